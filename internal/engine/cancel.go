package engine

import (
	"context"
	"fmt"

	"github.com/baton-sched/baton/internal/store"
)

// CancelRun cancels a run that has not finished: tasks not yet finished are
// cancelled, and live attempts too, so their workers kill them at their next
// heartbeat and their late reports are refused.
func (e *Engine) CancelRun(ctx context.Context, runID int64, actor, reason string) error {
	if reason == "" {
		reason = "cancelled by " + actor
	}
	err := e.inTx(ctx, actor, func(o *op) error {
		run, err := o.Runs().Get(o.ctx, runID)
		if err != nil {
			return notFound(err, "run %d", runID)
		}
		cancelled, err := o.endRun(run, store.RunCancelled, reason)
		if err == nil && !cancelled {
			return fmt.Errorf("run %d is %s: %w", runID, run.State, ErrFinished)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("cancel run %d: %w", runID, err)
	}
	return nil
}

// endRun ends run in state (cancelled, or failed by on_failure: stop) and
// cancels its unfinished tasks and its live attempts; false if the run had
// already finished.
func (o *op) endRun(run store.Run, state, reason string) (bool, error) {
	ended, err := o.Runs().FinishMany(o.ctx, []store.RunFinish{{ID: run.ID, State: state, Reason: reason}})
	if err != nil {
		return false, err
	}
	if len(ended) == 0 {
		return false, nil
	}
	o.record(store.NewEvent{Kind: "run." + state, RunID: run.ID, OldState: run.State,
		NewState: state, Reason: reason})
	if err := o.runEnded(run.ID, run.WorkflowID, run.VersionID, run.State); err != nil {
		return false, err
	}
	// Tasks first: a claim that raced us holds the task row, so by the
	// time this update passes it, the claim's attempt is visible below.
	tasks, err := o.Tasks().CancelRun(o.ctx, run.ID, reason)
	if err != nil {
		return false, err
	}
	attempts, err := o.Attempts().CancelRun(o.ctx, run.ID, reason)
	if err != nil {
		return false, err
	}
	if _, err := o.Approvals().CancelRun(o.ctx, run.ID, o.actor, reason); err != nil {
		return false, err
	}
	for _, t := range tasks {
		o.record(store.NewEvent{Kind: "task.cancelled", RunID: run.ID, TaskID: t.ID, Task: t.Name,
			NewState: store.TaskCancelled, Reason: reason})
	}
	for _, a := range attempts {
		o.record(store.NewEvent{Kind: "attempt.cancelled", RunID: run.ID, TaskID: a.TaskID, Task: a.Task, AttemptID: a.ID,
			WorkerID: a.WorkerID, NewState: store.AttemptCancelled, Reason: reason})
	}
	if _, err = o.Runs().AddProgressMany(o.ctx, []store.RunDelta{{ID: run.ID, Done: int64(len(tasks))}}); err != nil {
		return false, err
	}
	if err := o.childEnded(run.ParentTaskID, run.ID, state, reason); err != nil {
		return false, err
	}
	return true, o.cancelChildren(run.ID, reason)
}

// cancelChildren cancels the active sub-workflow runs of a run that ended.
func (o *op) cancelChildren(runID int64, reason string) error {
	children, err := o.Runs().Children(o.ctx, runID)
	if err != nil {
		return err
	}
	for _, c := range children {
		if store.RunTerminal(c.State) {
			continue
		}
		if _, err := o.endRun(c, store.RunCancelled, fmt.Sprintf("parent run %d ended: %s", runID, reason)); err != nil {
			return err
		}
	}
	return nil
}
