package engine_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store"
)

func TestCancelRun(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply(chain)
		run := x.start("chain", nil)
		w := x.worker("a", 1)
		a := x.claimOne(w)
		x.report(w, engine.Report{AttemptID: a.AttemptID, Kind: engine.ReportStart})
		if err := x.e.CancelRun(x.ctx, run.ID, "user:test", ""); err != nil {
			t.Fatal(err)
		}
		r := x.run(run.ID)
		wantState(t, "run", r.State, store.RunCancelled)
		for name, task := range x.tasks(run.ID) {
			wantState(t, "task "+name, task.State, store.TaskCancelled)
		}
		beat, err := x.e.Heartbeat(x.ctx, w.ID, []int64{a.AttemptID})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(beat.Kill, []int64{a.AttemptID}) {
			t.Errorf("kill list %v, want the cancelled attempt", beat.Kill)
		}
		late := x.report(w, engine.Report{AttemptID: a.AttemptID, Kind: engine.ReportFinish, State: store.AttemptSucceeded})
		if late[0].Status != engine.Fenced {
			t.Errorf("report after cancel: %+v, want fenced", late[0])
		}
		wantState(t, "run after late report", x.run(run.ID).State, store.RunCancelled)
		if as := x.claim(w, 10); len(as) != 0 {
			t.Errorf("claimable after cancel: %+v", as)
		}
		if err := x.e.CancelRun(x.ctx, run.ID, "user:test", ""); !errors.Is(err, engine.ErrFinished) {
			t.Errorf("second cancel: %v, want ErrFinished", err)
		}
	})
}
