package engine

import (
	"cmp"
	"context"
	"fmt"

	"github.com/baton-sched/baton/internal/store"
)

// PauseRun pauses a running run (paused true) or resumes a paused one.
// While a run is paused no task of it starts: its tasks are held, also
// those that become ready meanwhile (upstream done, retry due, requeued
// after a loss); attempts already running finish, and their results count.
// A paused run whose last task ends still ends. The sub-workflow runs it
// started pause and resume with it.
func (e *Engine) PauseRun(ctx context.Context, runID int64, paused bool, actor, reason string) (store.Run, error) {
	from, verb := store.RunRunning, "pause"
	if !paused {
		from, verb = store.RunPaused, "resume"
	}
	var run store.Run
	err := e.inTx(ctx, actor, func(o *op) error {
		r, err := o.Runs().Get(o.ctx, runID)
		if err != nil {
			return notFound(err, "run %d", runID)
		}
		ok, err := o.pauseRun(runID, paused, reason)
		if err != nil {
			return err
		}
		if !ok {
			if store.RunTerminal(r.State) {
				return fmt.Errorf("run %d is %s: %w", runID, r.State, ErrFinished)
			}
			return invalid("run %d is %s, not %s", runID, r.State, from)
		}
		run, err = o.Runs().Get(o.ctx, runID)
		return err
	})
	if err != nil {
		return store.Run{}, fmt.Errorf("%s run %d: %w", verb, runID, err)
	}
	return run, nil
}

// pauseRun pauses (or resumes) a run and its active sub-workflow runs;
// false if the run was not running (paused).
func (o *op) pauseRun(runID int64, paused bool, reason string) (bool, error) {
	from, to, kind := store.RunRunning, store.RunPaused, "run.paused"
	if !paused {
		from, to, kind = store.RunPaused, store.RunRunning, "run.running"
	}
	ok, err := o.Runs().SetState(o.ctx, runID, from, to)
	if err != nil || !ok {
		return false, err
	}
	if err := o.Tasks().HoldRun(o.ctx, runID, paused); err != nil {
		return false, err
	}
	if !paused {
		o.NotifyWork()
	}
	o.record(store.NewEvent{Kind: kind, RunID: runID, OldState: from, NewState: to,
		Reason: cmp.Or(reason, to+" by "+o.actor)})
	children, err := o.Runs().Children(o.ctx, runID)
	if err != nil {
		return false, err
	}
	for _, c := range children {
		if c.State != from {
			continue
		}
		if _, err := o.pauseRun(c.ID, paused, fmt.Sprintf("parent run %d %s", runID, to)); err != nil {
			return false, err
		}
	}
	return true, nil
}
