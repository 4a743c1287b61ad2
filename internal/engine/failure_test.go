package engine_test

import (
	"strings"
	"testing"

	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store"
)

const flaky = `
name: flaky
tasks:
  - name: fetch
    run: ./fetch
    retry: {strategy: fixed, max_attempts: 2, delay: 0s}
  - name: use
    needs: [fetch]
    run: ./use
  - name: side
    run: ./side
`

func TestRetryThenFailCascades(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply(flaky)
		run := x.start("flaky", nil)
		w := x.worker("a", 1)
		claimTask := func(name string) engine.Assignment {
			t.Helper()
			for _, a := range x.claim(w, 10) {
				if a.Task == name {
					return a
				}
				x.finish(w, a, store.AttemptSucceeded, nil)
			}
			t.Fatalf("task %s not claimable", name)
			return engine.Assignment{}
		}
		first := claimTask("fetch")
		x.finish(w, first, store.AttemptFailed, nil)
		wantState(t, "fetch after first failure", x.tasks(run.ID)["fetch"].State, store.TaskQueued)
		second := claimTask("fetch")
		if second.Number != 2 || second.AttemptID == first.AttemptID {
			t.Fatalf("second attempt: %+v", second)
		}
		x.finish(w, second, store.AttemptFailed, nil)
		x.runAll(w) // side still runs: failures do not stop independent branches
		ts := x.tasks(run.ID)
		wantState(t, "fetch", ts["fetch"].State, store.TaskFailed)
		wantState(t, "use", ts["use"].State, store.TaskUpstreamFailed)
		wantState(t, "side", ts["side"].State, store.TaskSucceeded)
		r := x.run(run.ID)
		wantState(t, "run", r.State, store.RunFailed)
		if !strings.Contains(r.Reason, "failed") {
			t.Errorf("run reason %q", r.Reason)
		}
	})
}

func TestRetryDelayWaitsThenWakes(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply(`
name: slow-retry
tasks:
  - name: t
    run: x
    retry: {strategy: fixed, max_attempts: 3, delay: 150ms}
`)
		run := x.start("slow-retry", nil)
		w := x.worker("a", 1)
		x.finish(w, x.claimOne(w), store.AttemptFailed, nil)
		wantState(t, "task", x.tasks(run.ID)["t"].State, store.TaskRetryWait)
		if as := x.claim(w, 1); len(as) != 0 {
			t.Fatalf("claimed during the retry delay: %+v", as)
		}
		x.sweepUntil("retry to be queued", func() bool { return x.tasks(run.ID)["t"].State == store.TaskQueued })
		if a := x.claimOne(w); a.Number != 2 {
			t.Errorf("attempt number %d, want 2", a.Number)
		}
	})
}

func TestReportValidation(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		w := x.worker("a", 1)
		for _, r := range []engine.Report{
			{AttemptID: 1, Kind: "explode"},
			{AttemptID: 1, Kind: engine.ReportFinish, State: "running"},
		} {
			if _, err := x.e.Report(x.ctx, w.ID, []engine.Report{r}); !isInvalid(err) {
				t.Errorf("report %+v: err %v, want InvalidError", r, err)
			}
		}
	})
}
