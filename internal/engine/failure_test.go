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

func TestRetryStrategiesInTheEngine(t *testing.T) {
	eachStore(t, fastLeases, func(t *testing.T, x *env) {
		x.apply(`
name: strategies
tasks:
  - name: backoff
    run: ./backoff
    retry: {strategy: exponential, max_attempts: 3, delay: 1h, factor: 2}
  - name: no-timeouts
    run: ./slow
    retry: {strategy: fixed, max_attempts: 5, retry_on: [failed]}
  - name: not-after-loss
    run: ./load
    retry: {strategy: fixed, max_attempts: 5, retry_on: [failed, timed_out]}
`)
		run := x.start("strategies", nil)
		w := x.worker("a", 3)
		byTask := map[string]engine.Assignment{}
		for _, a := range x.claim(w, 3) {
			byTask[a.Task] = a
		}
		x.finish(w, byTask["backoff"], store.AttemptFailed, nil)
		backoff := x.tasks(run.ID)["backoff"]
		if backoff.State != store.TaskRetryWait || backoff.ReadyAt-backoff.StartedAt < 3_500_000 {
			t.Errorf("backoff after one failure: %s, ready %d ms after its start; want a wait of about an hour",
				backoff.State, backoff.ReadyAt-backoff.StartedAt)
		}
		x.finish(w, byTask["no-timeouts"], store.AttemptTimedOut, nil)
		slow := x.tasks(run.ID)["no-timeouts"]
		if slow.State != store.TaskFailed || !strings.Contains(slow.Reason, "timed_out is not in retry_on") {
			t.Errorf("timed-out task: %s %q, want failed because retry_on excludes timed_out", slow.State, slow.Reason)
		}
		// The worker dies with not-after-loss running: rerunnable, but its
		// policy does not retry lost attempts.
		x.report(w, engine.Report{AttemptID: byTask["not-after-loss"].AttemptID, Kind: engine.ReportStart})
		x.sweepUntil("the attempt to be lost", func() bool {
			return x.tasks(run.ID)["not-after-loss"].State == store.TaskFailed
		})
		if r := x.tasks(run.ID)["not-after-loss"].Reason; r != "lost: lost is not in retry_on" {
			t.Errorf("lost task reason %q", r)
		}
	})
}
