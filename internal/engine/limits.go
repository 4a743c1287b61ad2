package engine

import (
	"fmt"

	"github.com/baton-sched/baton/internal/store"
)

// limitRun applies the workflow's max_active_runs to a run that just
// became active (started, or run again): it counts it, or, when the
// workflow is at its limit, makes it wait queued with its tasks held.
// It reports whether the run waits. The run's tasks must exist.
func (o *op) limitRun(run store.Run, p *plan) (bool, error) {
	limit := int64(p.def.MaxActiveRuns)
	if limit <= 0 {
		return false, nil
	}
	active, err := o.Runs().AddActive(o.ctx, run.WorkflowID, 1)
	if err != nil || active <= limit {
		return false, err
	}
	if _, err := o.Runs().AddActive(o.ctx, run.WorkflowID, -1); err != nil {
		return false, err
	}
	if ok, err := o.Runs().SetState(o.ctx, run.ID, store.RunRunning, store.RunQueued); err != nil || !ok {
		return false, cmpErr(err, fmt.Errorf("run %d is no longer running: %w", run.ID, store.ErrConflict))
	}
	if err := o.Tasks().HoldRun(o.ctx, run.ID, true); err != nil {
		return false, err
	}
	o.record(store.NewEvent{Kind: "run.queued", RunID: run.ID, OldState: store.RunRunning, NewState: store.RunQueued,
		Reason: fmt.Sprintf("waits for its turn: %d runs of %s active (max_active_runs %d)", limit, run.Workflow, limit)})
	return true, o.Runs().Wait(o.ctx, run.ID, run.WorkflowID)
}

// runEnded releases a limited workflow's place of a run that ended (in
// state was before): the oldest waiting runs are admitted.
func (o *op) runEnded(runID, workflowID, versionID int64, was string) error {
	p, err := o.plan(versionID)
	if err != nil {
		return err
	}
	limit := int64(p.def.MaxActiveRuns)
	if limit <= 0 {
		return nil
	}
	if was == store.RunQueued { // it never had a place
		return o.Runs().Unwait(o.ctx, runID)
	}
	active, err := o.Runs().AddActive(o.ctx, workflowID, -1)
	if err != nil {
		return err
	}
	for ; active < limit; active++ {
		id, found, err := o.Runs().PopWait(o.ctx, workflowID)
		if err != nil || !found {
			return err
		}
		if _, err := o.Runs().AddActive(o.ctx, workflowID, 1); err != nil {
			return err
		}
		if err := o.admit(id); err != nil {
			return err
		}
	}
	return nil
}

// admit starts a run that waited for its turn.
func (o *op) admit(runID int64) error {
	ok, err := o.Runs().SetState(o.ctx, runID, store.RunQueued, store.RunRunning)
	if err != nil || !ok {
		return err
	}
	if err := o.Tasks().HoldRun(o.ctx, runID, false); err != nil {
		return err
	}
	o.NotifyWork()
	o.record(store.NewEvent{Kind: "run.running", RunID: runID, OldState: store.RunQueued, NewState: store.RunRunning,
		Reason: "its turn came (max_active_runs)"})
	return nil
}
