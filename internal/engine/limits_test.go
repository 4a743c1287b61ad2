package engine_test

import (
	"slices"
	"sync"
	"testing"

	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store"
)

// runStates counts the runs of a workflow by state.
func (x *env) runStates(workflow string) map[string]int {
	x.t.Helper()
	var rs []store.Run
	err := x.s.Read(x.ctx, func(tx store.Tx) (err error) {
		rs, err = tx.Runs().List(x.ctx, store.RunFilter{Workflow: workflow, Limit: 1000})
		return err
	})
	if err != nil {
		x.t.Fatal(err)
	}
	out := map[string]int{}
	for _, r := range rs {
		out[r.State]++
	}
	return out
}

func TestMaxActiveRunsHoldsUnderConcurrentStarts(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply("name: lim\nmax_active_runs: 2\ntasks:\n  - {name: a, run: a}\n  - {name: b, run: b, needs: [a]}\n")
		var wg sync.WaitGroup
		var mu sync.Mutex
		var ids []int64
		for range 50 {
			wg.Go(func() {
				st, err := x.e.StartRun(x.ctx, engine.StartRequest{Workflow: "lim", Actor: "user:test"})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				ids = append(ids, st.Run.ID)
				mu.Unlock()
			})
		}
		wg.Wait()
		if got := x.runStates("lim"); got[store.RunRunning] != 2 || got[store.RunQueued] != 48 {
			t.Fatalf("after 50 starts: %v, want 2 running and 48 queued", got)
		}
		slices.Sort(ids)
		// Cancelling a waiting run takes no place from the others.
		if err := x.e.CancelRun(x.ctx, ids[49], "user:test", "not needed"); err != nil {
			t.Fatal(err)
		}
		w := x.worker("a", 100)
		for {
			as := x.claim(w, 100)
			if len(as) == 0 {
				break
			}
			for _, a := range as {
				x.finish(w, a, store.AttemptSucceeded, nil)
			}
			if got := x.runStates("lim"); got[store.RunRunning] > 2 {
				t.Fatalf("%d runs running at once, max_active_runs 2", got[store.RunRunning])
			}
		}
		if got := x.runStates("lim"); got[store.RunSucceeded] != 49 || got[store.RunCancelled] != 1 {
			t.Errorf("at the end: %v, want 49 succeeded and the cancelled one", got)
		}
		// Waiting runs were admitted oldest first.
		var admitted []int64
		for _, e := range x.events(0, "run.running") {
			if e.OldState == store.RunQueued {
				admitted = append(admitted, e.RunID)
			}
		}
		if len(admitted) != 47 || !slices.IsSorted(admitted) {
			t.Errorf("admitted %v, want the 47 waiting runs left, oldest first", admitted)
		}
	})
}
