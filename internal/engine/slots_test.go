package engine_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store"
)

// slotRunning reads how many tasks of a slot run now.
func (x *env) slotRunning(name string) int64 {
	x.t.Helper()
	slots, err := x.e.Slots(x.ctx)
	if err != nil {
		x.t.Fatal(err)
	}
	for _, s := range slots {
		if s.Name == name {
			return s.Running
		}
	}
	return -1
}

func (x *env) setSlot(name string, size int64) {
	x.t.Helper()
	if _, err := x.e.SetSlot(x.ctx, store.Slot{Name: name, Size: size}, "user:test"); err != nil {
		x.t.Fatal(err)
	}
}

// Tasks of two workflows share slot db of size 3: under 50 concurrent
// starts and 4 workers claiming at once, never more than 3 of them run,
// while tasks without a slot (and of an unknown slot, which wait) do not
// hold the others up.
func TestSlotsHoldUnderConcurrentStarts(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.setSlot("db", 3)
		x.apply("name: s1\ntasks:\n  - {name: load, run: a, slot: db}\n  - {name: free, run: b}\n")
		x.apply("name: s2\ndefaults:\n  slot: db\ntasks:\n  - {name: a, run: a}\n  - {name: b, run: b, needs: [a]}\n")
		x.apply("name: later\ntasks:\n  - {name: t, run: t, slot: reports}\n")
		waiting := x.start("later", nil)
		var wg sync.WaitGroup
		for i := range 50 {
			wg.Go(func() {
				if _, err := x.e.StartRun(x.ctx, engine.StartRequest{Workflow: fmt.Sprintf("s%d", i%2+1), Actor: "user:test"}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		var ran, peak atomic.Int64
		for w := range 4 {
			worker := x.worker(fmt.Sprintf("z%d", w), 100)
			wg.Go(func() {
				for {
					as, err := x.e.Claim(x.ctx, engine.ClaimRequest{WorkerID: worker.ID, Max: 10, FreeCU: 100})
					if err != nil {
						t.Error(err)
						return
					}
					if len(as) == 0 {
						return
					}
					slots, err := x.e.Slots(x.ctx)
					if err != nil {
						t.Error(err)
						return
					}
					for _, s := range slots {
						for v := peak.Load(); s.Name == "db" && s.Running > v; v = peak.Load() {
							if peak.CompareAndSwap(v, s.Running) {
								break
							}
						}
					}
					for _, a := range as {
						if a.Task == "t" {
							t.Errorf("task of the unknown slot reports ran")
						}
						_, err := x.e.Report(x.ctx, worker.ID, []engine.Report{{AttemptID: a.AttemptID, Kind: engine.ReportStart},
							{AttemptID: a.AttemptID, Kind: engine.ReportFinish, State: store.AttemptSucceeded}})
						if err != nil {
							t.Error(err)
						}
						ran.Add(1)
					}
				}
			})
		}
		wg.Wait()
		if got := peak.Load(); got > 3 {
			t.Errorf("%d tasks of slot db ran at once, size 3", got)
		}
		if got := ran.Load(); got != 100 {
			t.Errorf("%d tasks ran, want 100 (2 per run)", got)
		}
		for _, wf := range []string{"s1", "s2"} {
			if got := x.runStates(wf); got[store.RunSucceeded] != 25 {
				t.Errorf("runs of %s: %v, want 25 succeeded", wf, got)
			}
		}
		// The unknown slot's task waited; creating the slot lets it run.
		if got := x.tasks(waiting.ID)["t"].State; got != store.TaskQueued {
			t.Fatalf("task of an unknown slot is %s, want queued", got)
		}
		x.setSlot("reports", 1)
		w := x.worker("late", 1)
		a := x.claimOne(w)
		if a.Task != "t" || x.slotRunning("reports") != 1 {
			t.Errorf("claimed %s with %d running in reports, want t and 1", a.Task, x.slotRunning("reports"))
		}
	})
}

// A claim counts what runs already: with one place left it takes one
// task of the slot, however many it may take otherwise; a full slot's
// tasks stay queued, and a finished task frees its place.
func TestSlotPlacesAreCounted(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.setSlot("api", 2)
		x.apply("name: calls\ntasks:\n  - {name: a, run: a, slot: api}\n  - {name: b, run: b, slot: api}\n  - {name: c, run: c, slot: api}\n  - {name: d, run: d}\n")
		x.start("calls", nil)
		w := x.worker("a", 100)
		first := x.claim(w, 1)
		got := x.claim(w, 10)
		if len(first) != 1 || len(got) != 2 { // one more of the slot, and d
			t.Fatalf("claims took %d then %d tasks, want 1 then 2", len(first), len(got))
		}
		if x.slotRunning("api") != 2 || len(x.claim(w, 10)) != 0 {
			t.Fatalf("slot api runs %d, or a full slot gave more", x.slotRunning("api"))
		}
		x.finish(w, first[0], store.AttemptSucceeded, nil)
		if last := x.claim(w, 10); len(last) != 1 {
			t.Fatalf("after one finished, claimed %d, want the last task of the slot", len(last))
		}
		// Shrinking the slot stops nothing that runs.
		x.setSlot("api", 1)
		if x.slotRunning("api") != 2 {
			t.Errorf("slot api runs %d after shrinking, want the 2 running still", x.slotRunning("api"))
		}
	})
}

func TestSlotValidation(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		for _, s := range []store.Slot{{Name: "Bad Name", Size: 1}, {Name: "ok", Size: -1}} {
			if _, err := x.e.SetSlot(x.ctx, s, "user:test"); err == nil {
				t.Errorf("slot %+v accepted", s)
			}
		}
		if err := x.e.DeleteSlot(x.ctx, "none", "user:test"); err == nil {
			t.Error("deleting a missing slot succeeded")
		}
		if slots, _ := x.e.Slots(x.ctx); len(slots) != 0 {
			t.Errorf("slots %v after refused input, want none", slots)
		}
	})
}
