package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/baton-sched/baton/internal/store"
)

// Report kinds.
const (
	ReportStart  = "start"
	ReportFinish = "finish"
)

// Report is one thing a worker says about one of its attempts.
type Report struct {
	AttemptID int64
	Kind      string // ReportStart or ReportFinish
	// For ReportFinish: the attempt's end state (succeeded, failed,
	// timed_out, lost when the worker gave the task up, fenced when it
	// killed the task for lack of a lease, cancelled when it stopped the
	// task on a preempt order), exit code, reason and outputs.
	State    string
	ExitCode int64
	Reason   string
	Outputs  map[string]string
}

// ReportStatus says what became of one report.
type ReportStatus string

const (
	// Accepted: the report was applied, or had been already (a resend).
	Accepted ReportStatus = "accepted"
	// Fenced: the attempt is no longer the task's live attempt (or not this
	// worker's); the report was refused and the worker must kill it.
	Fenced ReportStatus = "fenced"
)

// ReportResult answers one report.
type ReportResult struct {
	AttemptID int64
	Status    ReportStatus
	State     string // the attempt's state now
}

var finishStates = map[string]bool{
	store.AttemptSucceeded: true, store.AttemptFailed: true, store.AttemptTimedOut: true,
	store.AttemptLost: true, store.AttemptFenced: true, store.AttemptCancelled: true,
}

// Report applies a batch of a worker's reports in one transaction. Each
// report is judged by its fencing token (the attempt ID): only the task's
// live attempt on this worker may change anything; any other is Fenced.
// Resent reports are accepted again without effect, so a worker may retry
// a batch whose answer it never got.
func (e *Engine) Report(ctx context.Context, workerID string, reports []Report) ([]ReportResult, error) {
	for i, r := range reports {
		switch {
		case r.Kind == ReportStart:
		case r.Kind == ReportFinish && finishStates[r.State]:
		case r.Kind == ReportFinish:
			return nil, invalid("reports[%d].state: %q is not a finish state", i, r.State)
		default:
			return nil, invalid("reports[%d].kind: %q is not start or finish", i, r.Kind)
		}
	}
	var out []ReportResult
	err := e.inTx(ctx, "worker:"+workerID, func(o *op) error {
		out = make([]ReportResult, len(reports))
		for i, r := range reports {
			res, err := o.report(workerID, r)
			if err != nil {
				return fmt.Errorf("attempt %d: %w", r.AttemptID, err)
			}
			out[i] = res
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("report for worker %s: %w", workerID, err)
	}
	return out, nil
}

func (o *op) report(workerID string, r Report) (ReportResult, error) {
	if r.Kind == ReportStart {
		a, err := o.Attempts().Start(o.ctx, r.AttemptID, workerID)
		if errors.Is(err, store.ErrNotFound) {
			return o.judgeResend(workerID, r, store.AttemptRunning)
		}
		if err != nil {
			return ReportResult{}, err
		}
		o.record(store.NewEvent{Kind: "attempt.running", RunID: a.RunID, TaskID: a.TaskID, Task: a.Task, AttemptID: a.ID,
			WorkerID: workerID, OldState: store.AttemptDispatched, NewState: store.AttemptRunning})
		return ReportResult{AttemptID: a.ID, Status: Accepted, State: a.State}, nil
	}
	a, err := o.Attempts().Finish(o.ctx, store.AttemptFinish{State: r.State, Reason: r.Reason,
		ExitCode: r.ExitCode, ID: r.AttemptID, WorkerID: workerID})
	if errors.Is(err, store.ErrNotFound) {
		return o.judgeResend(workerID, r, r.State)
	}
	if err != nil {
		return ReportResult{}, err
	}
	o.record(store.NewEvent{Kind: "attempt." + a.State, RunID: a.RunID, TaskID: a.TaskID, Task: a.Task,
		AttemptID: a.ID, WorkerID: workerID, NewState: a.State, Reason: r.Reason})
	if err := o.settle(a, r.Outputs); err != nil {
		return ReportResult{}, err
	}
	return ReportResult{AttemptID: a.ID, Status: Accepted, State: a.State}, nil
}

// judgeResend answers a report that changed nothing. A resend of what is
// already recorded is accepted; anything else comes from a superseded
// attempt and is refused, with an event.
func (o *op) judgeResend(workerID string, r Report, want string) (ReportResult, error) {
	a, err := o.Attempts().Get(o.ctx, r.AttemptID)
	if errors.Is(err, store.ErrNotFound) {
		return ReportResult{AttemptID: r.AttemptID, Status: Fenced}, nil
	}
	if err != nil {
		return ReportResult{}, err
	}
	if a.WorkerID == workerID && a.State == want {
		return ReportResult{AttemptID: a.ID, Status: Accepted, State: a.State}, nil
	}
	o.record(store.NewEvent{Kind: "attempt.report_refused", RunID: a.RunID, TaskID: a.TaskID, Task: a.Task, AttemptID: a.ID,
		WorkerID: workerID, OldState: a.State,
		Reason: fmt.Sprintf("%s report from worker %s for an attempt that is %s", r.Kind, workerID, a.State)})
	return ReportResult{AttemptID: a.ID, Status: Fenced, State: a.State}, nil
}
