package engine_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/storetest"
)

const keyedWorkflow = "name: p\nparams:\n  n: {}\ntasks:\n  - name: t\n    run: echo ${{ params.n }}\n"

func keyedReqs(actor string, ns ...string) []engine.StartRequest {
	reqs := make([]engine.StartRequest, len(ns))
	for i, n := range ns {
		reqs[i] = engine.StartRequest{Workflow: "p", Params: map[string]string{"n": n}, Actor: actor}
	}
	return reqs
}

func startedIDs(st []engine.Started) []int64 {
	ids := make([]int64, len(st))
	for i, s := range st {
		ids[i] = s.Run.ID
	}
	return ids
}

func (x *env) runCount() int {
	x.t.Helper()
	n := 0
	for _, c := range x.runStates("p") {
		n += c
	}
	return n
}

// A request key starts the request's runs once: a repeat returns them,
// another key starts others, the key with another request is refused.
func TestStartRunsOnceByRequestKey(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply(keyedWorkflow)
		reqs := keyedReqs("user:test", "1", "2", "3")
		reqs[2].IdempotencyKey = "own"
		first, err := x.e.StartRunsOnce(x.ctx, "k1", reqs)
		if err != nil || len(first) != 3 || !first[0].Created || !first[2].Created {
			t.Fatalf("first: %+v %v", first, err)
		}
		if first[0].Run.IdempotencyKey != "" || first[1].Run.IdempotencyKey != "" || first[2].Run.IdempotencyKey != "own" {
			t.Errorf("run keys %q %q %q, want none but the run's own", first[0].Run.IdempotencyKey,
				first[1].Run.IdempotencyKey, first[2].Run.IdempotencyKey)
		}
		again, err := x.e.StartRunsOnce(x.ctx, "k1", reqs)
		if err != nil || fmt.Sprint(startedIDs(again)) != fmt.Sprint(startedIDs(first)) {
			t.Fatalf("repeat: %v %v, want the runs %v", startedIDs(again), err, startedIDs(first))
		}
		for i, st := range again {
			if st.Created || st.Run.Params != first[i].Run.Params {
				t.Errorf("repeat %d: %+v, want run %d found", i, st, first[i].Run.ID)
			}
		}
		if n := x.runCount(); n != 3 {
			t.Errorf("%d runs after a repeat, want 3", n)
		}

		// Another key: new runs, but the run's own key still finds its run.
		other, err := x.e.StartRunsOnce(x.ctx, "k2", reqs)
		if err != nil || !other[0].Created || other[0].Run.ID == first[0].Run.ID || other[2].Created ||
			other[2].Run.ID != first[2].Run.ID {
			t.Errorf("another key: %+v %v, want 2 new runs and the own key's run found", other, err)
		}
		if n := x.runCount(); n != 5 {
			t.Errorf("%d runs, want 5", n)
		}

		// The key with another body, or another caller: refused, nothing started.
		changed := keyedReqs("user:test", "1", "2", "4")
		changed[2].IdempotencyKey = "own"
		for name, r := range map[string][]engine.StartRequest{"params": changed, "caller": keyedReqs("user:other", "1", "2", "3"),
			"runs": keyedReqs("user:test", "1", "2")} {
			if name == "caller" {
				r[2].IdempotencyKey = "own"
			}
			if _, err := x.e.StartRunsOnce(x.ctx, "k1", r); !errors.Is(err, engine.ErrKeyReused) {
				t.Errorf("key reused with other %s: %v, want ErrKeyReused", name, err)
			}
		}
		if n := x.runCount(); n != 5 {
			t.Errorf("%d runs after refusals, want 5", n)
		}
	})
}

// Concurrent requests with one key, on two engines (two servers) of one
// database: one starts the runs, every one answers with them.
func TestStartRunsOnceConcurrent(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply(keyedWorkflow)
		engines := []*engine.Engine{x.e, engine.New(x.s, engine.Config{})}
		const n = 6
		outs := make([][]engine.Started, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				outs[i], errs[i] = engines[i%2].StartRunsOnce(x.ctx, "same", keyedReqs("user:test", "1", "2"))
			})
		}
		wg.Wait()
		created := 0
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("request %d: %v", i, errs[i])
			}
			if fmt.Sprint(startedIDs(outs[i])) != fmt.Sprint(startedIDs(outs[0])) {
				t.Errorf("request %d answered runs %v, request 0 %v", i, startedIDs(outs[i]), startedIDs(outs[0]))
			}
			if outs[i][0].Created {
				created++
			}
		}
		if created != 1 {
			t.Errorf("%d requests created the runs, want 1", created)
		}
		if c := x.runCount(); c != 2 {
			t.Errorf("%d runs, want 2", c)
		}
	})
}

// A keyed request split over several transactions gives its runs keys
// derived from the request's, and a repeat still returns the same runs.
func TestStartRunsOnceSplit(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s store.Store) {
		e := engine.New(s, engine.Config{Limits: engine.Limits{MaxRowsPerTx: 10}})
		x := &env{t: t, ctx: context.Background(), e: e, s: s}
		x.apply(wideWorkflow("four", 4)) // 5 rows a run: 2 runs a transaction
		reqs := make([]engine.StartRequest, 5)
		for i := range reqs {
			reqs[i] = engine.StartRequest{Workflow: "four", Actor: "user:test"}
		}
		first, err := e.StartRunsOnce(x.ctx, "big", reqs)
		if err != nil || len(first) != 5 {
			t.Fatalf("first: %+v %v", first, err)
		}
		if first[3].Run.IdempotencyKey != "request:big:3" {
			t.Errorf("run key %q, want one derived from the request key", first[3].Run.IdempotencyKey)
		}
		again, err := e.StartRunsOnce(x.ctx, "big", reqs)
		if err != nil || fmt.Sprint(startedIDs(again)) != fmt.Sprint(startedIDs(first)) || again[0].Created {
			t.Errorf("repeat: %v %v, want the runs %v found", startedIDs(again), err, startedIDs(first))
		}
		if n := len(x.runStates("four")); n == 0 || x.runStates("four")["running"] != 5 {
			t.Errorf("runs %v, want 5 running", x.runStates("four"))
		}
	})
}

// Retention forgets request keys past their age: a repeat then starts
// new runs; younger keys stay.
func TestStartRecordsExpire(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply(keyedWorkflow)
		old, err := x.e.StartRunsOnce(x.ctx, "old", keyedReqs("user:test", "1"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := x.e.StartRunsOnce(x.ctx, "young", keyedReqs("user:test", "1")); err != nil {
			t.Fatal(err)
		}
		storetest.Exec(t, x.s, fmt.Sprintf("UPDATE start_requests SET created_at = %d WHERE request_key = 'old'",
			time.Now().Add(-25*time.Hour).UnixMilli()))
		n, err := x.e.DeleteExpiredStartRecords(x.ctx, 24*time.Hour, 10)
		if err != nil || n != 1 {
			t.Fatalf("deleted %d %v, want the old key", n, err)
		}
		again, err := x.e.StartRunsOnce(x.ctx, "old", keyedReqs("user:test", "1"))
		if err != nil || !again[0].Created || again[0].Run.ID == old[0].Run.ID {
			t.Errorf("repeat of a forgotten key: %+v %v, want a new run", again, err)
		}
		young, err := x.e.StartRunsOnce(x.ctx, "young", keyedReqs("user:test", "1"))
		if err != nil || young[0].Created {
			t.Errorf("repeat of a kept key: %+v %v, want its run", young, err)
		}
	})
}
