package engine_test

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/baton-sched/baton/client/vocab"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/storetest"
)

func approvalWorkflow(extra string) string {
	return `name: release
params:
  date: {default: "2026-12-01"}
tasks:
  - {name: build, run: build}
  - name: sign-off
    needs: [build]
    retry: {strategy: fixed, max_attempts: 3, delay: 1s}
    approval:
      message: "Load ${{ params.date }} into prod?"
` + extra + `  - {name: load, run: load, needs: [sign-off]}
`
}

// startApprovals runs the servers' approval loop once.
func (x *env) startApprovals() int {
	x.t.Helper()
	n, err := x.e.StartServerTasks(x.ctx, vocab.KindApproval, 100)
	if err != nil {
		x.t.Fatalf("start approvals: %v", err)
	}
	return n
}

// waiting runs build and starts the approval of a new run of release.
func (x *env) waiting(extra string) (store.Run, store.Worker) {
	x.t.Helper()
	x.apply(approvalWorkflow(extra))
	run := x.start("release", nil)
	w := x.worker("a", 10)
	x.play(w)
	if n := x.startApprovals(); n != 1 {
		x.t.Fatalf("started %d approvals, want 1", n)
	}
	wantState(x.t, "sign-off", x.tasks(run.ID)["sign-off"].State, store.TaskRunning)
	return run, w
}

func (x *env) decide(runID int64, decision, actor, note string) (store.Approval, error) {
	return x.e.Decide(x.ctx, engine.Decision{RunID: runID, Task: "sign-off", Decision: decision, Note: note, Actor: actor})
}

func TestApprovalApprovedRunContinues(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		run, w := x.waiting("")
		if as := x.claim(w, 10); len(as) != 0 {
			t.Fatalf("a worker claimed %v while the approval waits", names(as))
		}
		evs := x.events(run.ID, vocab.EventApprovalRequested)
		if len(evs) != 1 || evs[0].Reason != "Load 2026-12-01 into prod?" || evs[0].Task != "sign-off" {
			t.Fatalf("approval.requested events %+v, want one with the rendered message", evs)
		}
		pending, err := x.e.Approvals(x.ctx, vocab.ApprovalPending, 10)
		if err != nil || len(pending) != 1 || pending[0].Message != "Load 2026-12-01 into prod?" || pending[0].DeadlineAt != 0 {
			t.Fatalf("pending approvals %+v %v", pending, err)
		}
		ap, err := x.decide(run.ID, vocab.DecisionApprove, "user:olga", "looks good")
		if err != nil || ap.State != vocab.ApprovalApproved || ap.Actor != "user:olga" {
			t.Fatalf("approve: %+v %v", ap, err)
		}
		wantState(t, "sign-off", x.tasks(run.ID)["sign-off"].State, store.TaskSucceeded)
		evs = x.events(run.ID, vocab.EventApprovalApproved)
		if len(evs) != 1 || evs[0].Actor != "user:olga" || !strings.Contains(evs[0].Reason, "looks good") {
			t.Errorf("approval.approved events %+v, want one by user:olga with the note", evs)
		}
		if as := x.play(w); len(as) != 1 || as[0].Task != "load" {
			t.Fatalf("after approval ran %v, want load", names(as))
		}
		wantState(t, "run", x.run(run.ID).State, store.RunSucceeded)
		if _, err := x.decide(run.ID, vocab.DecisionReject, "user:olga", ""); !errors.Is(err, store.ErrConflict) {
			t.Errorf("second decision: %v, want a conflict", err)
		}
	})
}

func TestApprovalRejectedFailsWithoutRetry(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		run, _ := x.waiting("")
		if _, err := x.decide(run.ID, vocab.DecisionReject, "token:ci", "not today"); err != nil {
			t.Fatal(err)
		}
		ts := x.tasks(run.ID)
		wantState(t, "sign-off", ts["sign-off"].State, store.TaskFailed)
		wantState(t, "load", ts["load"].State, store.TaskUpstreamFailed)
		wantState(t, "run", x.run(run.ID).State, store.RunFailed)
		if ts["sign-off"].Attempts != 1 {
			t.Errorf("sign-off has %d attempts: a rejection must not be retried", ts["sign-off"].Attempts)
		}
		if evs := x.events(run.ID, vocab.EventApprovalRejected); len(evs) != 1 || evs[0].Actor != "token:ci" {
			t.Errorf("approval.rejected events %+v, want one by token:ci", evs)
		}
	})
}

func TestApprovalRefusesBadDecisions(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		run, _ := x.waiting("")
		if _, err := x.decide(run.ID, "maybe", "user:a", ""); !isInvalid(err) {
			t.Errorf("decision maybe: %v, want invalid", err)
		}
		if _, err := x.decide(run.ID, vocab.DecisionApprove, "user:a", strings.Repeat("n", engine.MaxApprovalNote+1)); !isInvalid(err) {
			t.Errorf("oversize note: %v, want invalid", err)
		}
		if _, err := x.decide(run.ID+100, vocab.DecisionApprove, "user:a", ""); !errors.Is(err, engine.ErrNotFound) {
			t.Errorf("unknown run: %v, want not found", err)
		}
		_, err := x.e.Decide(x.ctx, engine.Decision{RunID: run.ID, Task: "nope", Decision: vocab.DecisionApprove, Actor: "user:a"})
		if !errors.Is(err, engine.ErrNotFound) {
			t.Errorf("unknown task: %v, want not found", err)
		}
		_, err = x.e.Decide(x.ctx, engine.Decision{RunID: run.ID, Task: "build", Decision: vocab.DecisionApprove, Actor: "user:a"})
		if !errors.Is(err, store.ErrConflict) {
			t.Errorf("task not waiting: %v, want a conflict", err)
		}
		wantState(t, "sign-off", x.tasks(run.ID)["sign-off"].State, store.TaskRunning)
	})
}

func TestApprovalTimeoutAppliesDefault(t *testing.T) {
	for _, c := range []struct{ outcome, task, run string }{
		{vocab.DecisionApprove, store.TaskSucceeded, store.RunRunning},
		{vocab.DecisionReject, store.TaskFailed, store.RunFailed},
	} {
		t.Run(c.outcome, func(t *testing.T) {
			eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
				run, _ := x.waiting("      timeout: 4h\n      default: " + c.outcome + "\n")
				res, err := x.e.Sweep(x.ctx)
				if err != nil || res.ApprovalsTimedOut != 0 {
					t.Fatalf("sweep before the deadline: %+v %v", res, err)
				}
				storetest.Exec(t, x.s, "UPDATE approvals SET deadline_at = requested_at + 1")
				res, err = x.e.Sweep(x.ctx)
				if err != nil || res.ApprovalsTimedOut != 1 {
					t.Fatalf("sweep after the deadline: %+v %v", res, err)
				}
				wantState(t, "sign-off", x.tasks(run.ID)["sign-off"].State, c.task)
				wantState(t, "run", x.run(run.ID).State, c.run)
				kind := vocab.EventApprovalApproved
				if c.outcome == vocab.DecisionReject {
					kind = vocab.EventApprovalRejected
				}
				evs := x.events(run.ID, kind)
				if len(evs) != 1 || evs[0].Actor != engine.TimeoutActor || !strings.Contains(evs[0].Reason, "timeout") {
					t.Errorf("%s events %+v, want one by system saying timeout", kind, evs)
				}
				if _, err := x.decide(run.ID, vocab.DecisionApprove, "user:late", ""); !errors.Is(err, store.ErrConflict) {
					t.Errorf("decision after the timeout: %v, want a conflict", err)
				}
			})
		})
	}
}

func TestApprovalEndsWithItsRun(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		run, _ := x.waiting("      timeout: 4h\n      default: approve\n")
		if err := x.e.CancelRun(x.ctx, run.ID, "user:test", ""); err != nil {
			t.Fatal(err)
		}
		wantState(t, "sign-off", x.tasks(run.ID)["sign-off"].State, store.TaskCancelled)
		aps, err := x.e.RunApprovals(x.ctx, run.ID)
		if err != nil || len(aps) != 1 || aps[0].State != vocab.ApprovalCancelled {
			t.Fatalf("approvals of the cancelled run %+v %v, want one cancelled", aps, err)
		}
		if _, err := x.decide(run.ID, vocab.DecisionApprove, "user:a", ""); !errors.Is(err, store.ErrConflict) {
			t.Errorf("decision on a cancelled run: %v, want a conflict", err)
		}
		storetest.Exec(t, x.s, "UPDATE approvals SET deadline_at = requested_at + 1")
		if res, err := x.e.Sweep(x.ctx); err != nil || res.ApprovalsTimedOut != 0 {
			t.Errorf("sweep of a cancelled approval: %+v %v, want nothing", res, err)
		}
	})
}

// TestApprovalRaceOneWins decides concurrently on two engines (two
// servers) of one store: exactly one decision applies.
func TestApprovalRaceOneWins(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		run, _ := x.waiting("")
		other := engine.New(x.s, engine.Config{})
		engines := []*engine.Engine{x.e, other, x.e, other}
		errs := make([]error, len(engines))
		var wg sync.WaitGroup
		for i, e := range engines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				decision := vocab.DecisionApprove
				if i%2 == 1 {
					decision = vocab.DecisionReject
				}
				_, errs[i] = e.Decide(x.ctx, engine.Decision{RunID: run.ID, Task: "sign-off", Decision: decision,
					Actor: "user:u" + string(rune('a'+i))})
			}()
		}
		wg.Wait()
		wins := 0
		for i, err := range errs {
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, store.ErrConflict):
				t.Errorf("decision %d: %v, want success or conflict", i, err)
			}
		}
		if wins != 1 {
			t.Fatalf("%d decisions won, want exactly 1: %v", wins, errs)
		}
		decided := len(x.events(run.ID, vocab.EventApprovalApproved)) + len(x.events(run.ID, vocab.EventApprovalRejected))
		if decided != 1 {
			t.Errorf("%d decision events, want 1", decided)
		}
	})
}
