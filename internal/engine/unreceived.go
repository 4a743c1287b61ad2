package engine

import (
	"github.com/baton-sched/baton/internal/retry"
	"github.com/baton-sched/baton/internal/store"
)

// splitUnreceived parts a stopping worker's live attempts into those to
// lose and those that never reached it: dispatched (never started) and not
// among the attempts it holds. With held nil (a worker that does not say
// what it holds) every attempt is lost.
func splitUnreceived(as []store.Attempt, held []int64) (lost, unreceived []store.Attempt) {
	if held == nil {
		return as, nil
	}
	holds := make(map[int64]bool, len(held))
	for _, id := range held {
		holds[id] = true
	}
	for _, a := range as {
		if a.State == store.AttemptDispatched && !holds[a.ID] {
			unreceived = append(unreceived, a)
		} else {
			lost = append(lost, a)
		}
	}
	return lost, unreceived
}

// callOff ends attempts that never reached their worker as cancelled and
// queues their tasks again at once. Nothing of them ran, so the task is
// not charged a loss (a task that is not rerunnable runs too; max_lost is
// not counted down) nor a failure: the attempt counts as preempted.
func (o *op) callOff(as []store.Attempt, reason string) error {
	if len(as) == 0 {
		return nil
	}
	fins := make([]store.AttemptFinish, len(as))
	ids := make([]int64, len(as))
	for i, a := range as {
		fins[i] = store.AttemptFinish{State: store.AttemptCancelled, Reason: reason, ID: a.ID}
		ids[i] = a.TaskID
	}
	ended, err := o.Attempts().FinishMany(o.ctx, "", fins)
	if err != nil {
		return err
	}
	ts, err := o.Tasks().GetMany(o.ctx, ids)
	if err != nil {
		return err
	}
	tasks := make(map[int64]store.Task, len(ts))
	for _, t := range ts {
		tasks[t.ID] = t
	}
	for _, a := range ended {
		o.record(store.NewEvent{Kind: "attempt." + store.AttemptCancelled, RunID: a.RunID, TaskID: a.TaskID,
			Task: a.Task, AttemptID: a.ID, WorkerID: a.WorkerID, Zone: a.Zone, OldState: store.AttemptDispatched,
			NewState: store.AttemptCancelled, Reason: a.Reason})
		t, ok := tasks[a.TaskID]
		if !ok || t.State != store.TaskRunning || t.AttemptID != a.ID {
			continue // the task moved on meanwhile
		}
		if err := o.requeue(t, a, retry.Decision{Retry: true}, requeueUnreceived, reason); err != nil {
			return err
		}
	}
	return nil
}
