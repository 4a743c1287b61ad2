package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/baton-sched/baton/internal/store"
)

// Operators' controls over where work goes: cordon a zone (no new
// placements there), drain a zone or a worker (no new placements, and the
// workers exit once their running tasks end), optionally rescheduling the
// running rerunnable tasks at once. Every control is an event with its
// actor.

// DrainOptions qualify a drain.
type DrainOptions struct {
	// Reschedule asks the workers to stop their running rerunnable tasks so
	// that they run again elsewhere at once; tasks that are not rerunnable
	// finish where they are.
	Reschedule bool
	Reason     string
}

// CordonZone stops (cordon true) or resumes new placements in a zone;
// running tasks are not touched. Cordoning a cordoned zone changes
// nothing.
func (e *Engine) CordonZone(ctx context.Context, zone string, cordon bool, actor, reason string) (store.Zone, error) {
	var z store.Zone
	err := e.inTx(ctx, actor, func(o *op) error {
		var err error
		z, err = o.cordon(zone, cordon, reason)
		return err
	})
	if err != nil {
		return store.Zone{}, fmt.Errorf("cordon zone %s: %w", zone, err)
	}
	return z, nil
}

func (o *op) cordon(zone string, cordon bool, reason string) (store.Zone, error) {
	z, err := o.Zones().Get(o.ctx, zone)
	if err != nil {
		return store.Zone{}, notFound(err, "zone %q", zone)
	}
	if z.Cordoned == cordon {
		return z, nil
	}
	if z, err = o.Zones().SetCordon(o.ctx, zone, cordon, reason); err != nil {
		return store.Zone{}, err
	}
	kind := "zone.uncordoned"
	if cordon {
		kind = "zone.cordoned"
	}
	o.record(store.NewEvent{Kind: kind, Zone: zone, Reason: reason})
	return z, nil
}

// DrainZone cordons a zone and drains all its live workers.
func (e *Engine) DrainZone(ctx context.Context, zone string, opts DrainOptions, actor string) (store.Zone, error) {
	var z store.Zone
	err := e.inTx(ctx, actor, func(o *op) error {
		var err error
		if z, err = o.cordon(zone, true, opts.Reason); err != nil {
			return err
		}
		drained, err := o.Workers().DrainZone(o.ctx, zone)
		if err != nil {
			return err
		}
		for _, w := range drained {
			o.record(store.NewEvent{Kind: "worker.draining", WorkerID: w.ID, Zone: w.Zone,
				OldState: store.WorkerActive, NewState: store.WorkerDraining, Reason: opts.Reason})
		}
		if !opts.Reschedule {
			return nil
		}
		ws, err := o.Workers().List(o.ctx, false)
		if err != nil {
			return err
		}
		for _, w := range ws {
			if w.Zone == zone {
				if err := o.preemptWorker(w.ID, opts.Reason); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return store.Zone{}, fmt.Errorf("drain zone %s: %w", zone, err)
	}
	return z, nil
}

// DrainWorker stops placing work on a live worker; it exits once its
// running tasks end. ErrWorkerGone if it is not live.
func (e *Engine) DrainWorker(ctx context.Context, workerID string, opts DrainOptions, actor string) (store.Worker, error) {
	var w store.Worker
	err := e.inTx(ctx, actor, func(o *op) error {
		var err error
		if w, err = o.Workers().Get(o.ctx, workerID); err != nil {
			return notFound(err, "worker %s", workerID)
		}
		if !live(w.State) {
			return fmt.Errorf("worker %s is %s: %w", workerID, w.State, ErrWorkerGone)
		}
		if w.State == store.WorkerActive {
			ok, err := o.Workers().SetState(o.ctx, workerID, store.WorkerActive, store.WorkerDraining)
			if err != nil || !ok {
				return errors.Join(err, fmt.Errorf("worker %s changed state during the drain", workerID))
			}
			o.record(store.NewEvent{Kind: "worker.draining", WorkerID: w.ID, Zone: w.Zone,
				OldState: store.WorkerActive, NewState: store.WorkerDraining, Reason: opts.Reason})
			w.State = store.WorkerDraining
		}
		if opts.Reschedule {
			return o.preemptWorker(workerID, opts.Reason)
		}
		return nil
	})
	if err != nil {
		return store.Worker{}, fmt.Errorf("drain worker %s: %w", workerID, err)
	}
	return w, nil
}

// preemptWorker asks a worker to stop its live attempts of rerunnable
// tasks. Each stays live until the worker reports it stopped, so the task
// never has two attempts running at once.
func (o *op) preemptWorker(workerID, reason string) error {
	as, err := o.Attempts().ListWorker(o.ctx, workerID)
	if err != nil {
		return err
	}
	runIDs := make([]int64, len(as))
	for i, a := range as {
		runIDs[i] = a.RunID
	}
	scopes, err := o.runScopes(runIDs)
	if err != nil {
		return err
	}
	for _, a := range as {
		if a.StopRequested {
			continue
		}
		rs := scopes[a.RunID]
		task, err := o.Tasks().Get(o.ctx, a.TaskID)
		if err != nil {
			return err
		}
		if !rs.plan.graph.Nodes[task.Idx].Rerunnable {
			continue
		}
		ok, err := o.Attempts().RequestStop(o.ctx, a.ID)
		if err != nil {
			return err
		}
		if ok {
			o.record(store.NewEvent{Kind: "attempt.stop_requested", RunID: a.RunID, TaskID: a.TaskID, Task: a.Task,
				AttemptID: a.ID, WorkerID: workerID, Zone: a.Zone, Reason: reason})
		}
	}
	return nil
}
