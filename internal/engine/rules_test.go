package engine_test

import (
	"slices"
	"testing"

	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store"
)

func TestTriggerRules(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply(`name: rules
tasks:
  - {name: a, run: "a"}
  - {name: b, run: "b"}
  - {name: cleanup, run: "cleanup", needs: [a, b], trigger_rule: one_failed}
  - {name: report, run: "report", needs: [a, b], trigger_rule: all_done}
  - {name: next, run: "next", needs: [a]}
  - {name: after-next, run: "after-next", needs: [next], trigger_rule: all_done}
  - {name: notify, run: "notify", needs: [b], trigger_rule: one_failed}
  - {name: final, run: "final", needs: [notify], trigger_rule: none_failed}
`)
		run := x.start("rules", nil)
		w := x.worker("a", 10)
		as := x.claim(w, 2)
		byTask := map[string]engine.Assignment{}
		for _, a := range as {
			byTask[a.Task] = a
		}
		x.finish(w, byTask["a"], store.AttemptFailed, nil)
		ts := x.tasks(run.ID)
		for name, want := range map[string]string{"cleanup": "queued", "report": "pending", "next": "upstream_failed",
			"after-next": "queued", "notify": "pending"} {
			if ts[name].State != want {
				t.Errorf("after a failed: %s is %s, want %s", name, ts[name].State, want)
			}
		}
		x.finish(w, byTask["b"], store.AttemptSucceeded, nil)
		ts = x.tasks(run.ID)
		for name, want := range map[string]string{"report": "queued", "notify": "skipped", "final": "queued"} {
			if ts[name].State != want {
				t.Errorf("after b succeeded: %s is %s, want %s", name, ts[name].State, want)
			}
		}
		if got := names(x.play(w)); !slices.Equal(got, []string{"after-next", "cleanup", "final", "report"}) {
			t.Errorf("ran %v", got)
		}
		r := x.run(run.ID)
		if r.State != store.RunFailed || r.TasksLeft != 0 || r.TasksFailed != 1 {
			t.Errorf("run %s, %d left, %d failed; want failed, 0, 1", r.State, r.TasksLeft, r.TasksFailed)
		}
		// Rerun from failed: a runs again; so do the tasks that waited on
		// its success; the ones that ran for its failure stay done.
		rec, err := x.e.RecoverRun(x.ctx, run.ID, engine.Recovery{Failed: true, Actor: "user:test"})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(rec.Rerun, []string{"a", "next"}) {
			t.Errorf("rerun %v, want a and next", rec.Rerun)
		}
		if got := names(x.play(w)); !slices.Equal(got, []string{"a", "next"}) {
			t.Errorf("ran again %v", got)
		}
		if r := x.run(run.ID); r.State != store.RunSucceeded {
			t.Errorf("run %s after the rerun, want succeeded", r.State)
		}
	})
}
