package engine_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store"
)

func TestPausedRunStartsNothingUntilResumed(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply(`name: p
tasks:
  - {name: a, run: "a"}
  - {name: b, run: "b"}
  - {name: c, run: "c", needs: [a]}
`)
		run := x.start("p", nil)
		w := x.worker("a", 10)
		first := x.claim(w, 1) // a or b runs on
		if len(first) != 1 {
			t.Fatalf("claimed %d", len(first))
		}
		paused, err := x.e.PauseRun(x.ctx, run.ID, true, "user:test", "")
		if err != nil || paused.State != store.RunPaused {
			t.Fatalf("pause: %+v %v", paused, err)
		}
		if as := x.claim(w, 10); len(as) != 0 {
			t.Errorf("claimed %v from a paused run", names(as))
		}
		// The running attempt finishes and counts; what it made ready waits.
		x.finish(w, first[0], store.AttemptSucceeded, nil)
		if as := x.claim(w, 10); len(as) != 0 {
			t.Errorf("claimed %v from a paused run after its running task ended", names(as))
		}
		if _, err := x.e.PauseRun(x.ctx, run.ID, true, "user:test", ""); err == nil {
			t.Error("paused a paused run")
		}
		if _, err := x.e.PauseRun(x.ctx, run.ID, false, "user:test", "upstream fixed"); err != nil {
			t.Fatal(err)
		}
		if got := names(x.play(w)); len(got) != 2 {
			t.Errorf("after resume ran %v, want the two tasks left", got)
		}
		if r := x.run(run.ID); r.State != store.RunSucceeded {
			t.Errorf("run %s, want succeeded", r.State)
		}
		if _, err := x.e.PauseRun(x.ctx, run.ID, true, "user:test", ""); !errors.Is(err, engine.ErrFinished) {
			t.Errorf("pause a finished run: %v, want ErrFinished", err)
		}
		if evs := x.events(run.ID, "run.paused"); len(evs) != 1 || evs[0].Actor != "user:test" {
			t.Errorf("run.paused events: %+v", evs)
		}
	})
}

func TestOnFailureStopCancelsTheRest(t *testing.T) {
	for _, strategy := range []string{"stop", "continue"} {
		t.Run(strategy, func(t *testing.T) {
			eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
				x.apply("name: s\non_failure: " + strategy + `
tasks:
  - {name: a, run: "a"}
  - {name: b, run: "b"}
  - {name: c, run: "c", needs: [b]}
`)
				run := x.start("s", nil)
				w := x.worker("a", 10)
				as := x.claim(w, 2)
				if len(as) != 2 {
					t.Fatalf("claimed %d", len(as))
				}
				var a, b engine.Assignment
				for _, x := range as {
					if x.Task == "a" {
						a = x
					} else {
						b = x
					}
				}
				x.finish(w, a, store.AttemptFailed, nil)
				r := x.run(run.ID)
				ts := x.tasks(run.ID)
				if strategy == "continue" {
					if r.State != store.RunRunning || ts["b"].State != store.TaskRunning {
						t.Errorf("continue: run %s, b %s; want b running on", r.State, ts["b"].State)
					}
					x.finish(w, b, store.AttemptSucceeded, nil)
					if got := names(x.play(w)); !slices.Equal(got, []string{"c"}) {
						t.Errorf("continue: ran %v after b, want c", got)
					}
					if r := x.run(run.ID); r.State != store.RunFailed {
						t.Errorf("continue: run %s at the end, want failed", r.State)
					}
					return
				}
				if r.State != store.RunFailed || r.TasksLeft != 0 || !strings.Contains(r.Reason, "on_failure: stop") {
					t.Errorf("stop: run %s (%q) with %d left; want failed at once", r.State, r.Reason, r.TasksLeft)
				}
				if ts["b"].State != store.TaskCancelled || ts["c"].State != store.TaskCancelled {
					t.Errorf("stop: b %s, c %s; want both cancelled", ts["b"].State, ts["c"].State)
				}
				if res := x.finish(w, b, store.AttemptSucceeded, nil); res.Status == engine.Accepted {
					t.Errorf("stop: b's late success was accepted: %+v", res)
				}
				if as := x.claim(w, 10); len(as) != 0 {
					t.Errorf("stop: claimed %v", names(as))
				}
			})
		})
	}
}

func TestRunTimeoutFailsTheRun(t *testing.T) {
	eachStore(t, engine.Config{LeaseTTL: time.Minute}, func(t *testing.T, x *env) {
		x.apply(`name: slow
timeout: 2s
tasks:
  - {name: a, run: "a"}
  - {name: b, run: "b", needs: [a]}
`)
		late := x.start("slow", nil)
		quickStarted := time.Now()
		quick := x.start("slow", nil)
		w := x.worker("a", 10)
		var lateA engine.Assignment
		for _, a := range x.claim(w, 2) {
			if a.RunID == late.ID {
				lateA = a
			} else {
				x.finish(w, a, store.AttemptSucceeded, nil)
			}
		}
		x.report(w, engine.Report{AttemptID: lateA.AttemptID, Kind: engine.ReportStart})
		for _, a := range x.claim(w, 2) { // quick's b
			x.finish(w, a, store.AttemptSucceeded, nil)
		}
		if r := x.run(quick.ID); r.State != store.RunSucceeded {
			t.Fatalf("quick run %s", r.State)
		}
		x.sweepUntil("the late run to time out", func() bool { return store.RunTerminal(x.run(late.ID).State) })
		r := x.run(late.ID)
		if r.State != store.RunFailed || !strings.Contains(r.Reason, "timed out after 2s") {
			t.Errorf("late run %s (%q), want failed for its timeout", r.State, r.Reason)
		}
		ts := x.tasks(late.ID)
		if ts["a"].State != store.TaskCancelled || ts["b"].State != store.TaskCancelled {
			t.Errorf("tasks a %s, b %s; want cancelled", ts["a"].State, ts["b"].State)
		}
		if res := x.finish(w, lateA, store.AttemptSucceeded, nil); res.Status != engine.Fenced {
			t.Errorf("late report of the cancelled attempt: %+v, want fenced", res)
		}
		// The quick run's deadline passes too: the sweep forgets it and
		// leaves the run alone.
		due := func() []int64 {
			var ids []int64
			if err := x.s.Read(x.ctx, func(tx store.Tx) (err error) {
				ids, err = tx.Runs().DueDeadlines(x.ctx, 10)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return ids
		}
		x.sweepUntil("the quick run's deadline to pass and be forgotten", func() bool {
			return time.Since(quickStarted) > 2500*time.Millisecond && len(due()) == 0
		})
		if r := x.run(quick.ID); r.State != store.RunSucceeded {
			t.Errorf("quick run %s after its deadline passed, want succeeded still", r.State)
		}
	})
}

// A running attempt that outlives its timeout and the grace without a
// report (its worker hung, or its kill failed) is ended by the servers.
func TestServersEndAttemptsPastTheirTimeout(t *testing.T) {
	eachStore(t, engine.Config{LeaseTTL: time.Minute, TimeoutGrace: 100 * time.Millisecond}, func(t *testing.T, x *env) {
		x.apply(`name: hang
tasks:
  - name: a
    run: "a"
    timeout: 2s
    retry: {strategy: fixed, max_attempts: 2, delay: 0s}
`)
		run := x.start("hang", nil)
		w := x.worker("a", 10)
		a := x.claimOne(w)
		x.report(w, engine.Report{AttemptID: a.AttemptID, Kind: engine.ReportStart})
		if b := x.beat(w, a.AttemptID); len(b.Kill) != 0 {
			t.Fatalf("killed at once: %+v", b)
		}
		var killed bool
		x.sweepUntil("the servers to end the hung attempt", func() bool {
			killed = slices.Contains(x.beat(w, a.AttemptID).Kill, a.AttemptID)
			return killed
		})
		as := x.attempts(run.ID)
		if as[0].State != store.AttemptTimedOut || !strings.Contains(as[0].Reason, "ended by the servers") {
			t.Errorf("attempt %s (%q), want timed_out by the servers", as[0].State, as[0].Reason)
		}
		if st := x.tasks(run.ID)["a"].State; st != store.TaskQueued {
			t.Errorf("task %s, want queued for its retry", st)
		}
		if res := x.finish(w, a, store.AttemptSucceeded, nil); res.Status != engine.Fenced {
			t.Errorf("late report of the ended attempt: %+v, want fenced", res)
		}
	})
}

func (x *env) attempts(runID int64) []store.Attempt {
	x.t.Helper()
	var as []store.Attempt
	err := x.s.Read(x.ctx, func(tx store.Tx) (err error) {
		as, err = tx.Attempts().ListRun(x.ctx, runID)
		return err
	})
	if err != nil {
		x.t.Fatal(err)
	}
	return as
}
