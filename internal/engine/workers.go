package engine

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/workflow"
)

// WorkerSpec is what a worker declares when it registers.
type WorkerSpec struct {
	Name     string
	Zone     string
	Group    string
	Labels   map[string]string
	Capacity float64 // CU
	Version  string
}

// DefaultZone is the zone of workers that declare none.
const DefaultZone = "default"

// RegisterWorker admits a worker under a new ID with a fresh lease. A worker
// that restarts registers again and gets a new ID: attempts of its former
// self are lost when that one's lease runs out.
func (e *Engine) RegisterWorker(ctx context.Context, spec WorkerSpec) (store.Worker, error) {
	if spec.Capacity < 0 {
		return store.Worker{}, invalid("capacity: must be positive, got %v", spec.Capacity)
	}
	if spec.Zone != "" {
		if err := workflow.CheckZone(spec.Zone); err != nil {
			return store.Worker{}, invalid("zone: %v", err)
		}
	}
	if err := workflow.CheckLabels(spec.Labels); err != nil {
		return store.Worker{}, invalid("labels: %v", err)
	}
	if strings.HasPrefix(spec.Group, "@") {
		return store.Worker{}, invalid("group: %q: groups starting with @ are Baton's own", spec.Group)
	}
	if spec.Labels == nil {
		spec.Labels = map[string]string{}
	}
	labels, err := json.Marshal(spec.Labels)
	if err != nil {
		return store.Worker{}, err
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	n := store.NewWorker{
		ID: "w-" + hex.EncodeToString(b[:]), Name: spec.Name,
		Zone: cmp.Or(spec.Zone, DefaultZone), Group: cmp.Or(spec.Group, workflow.DefaultGroup),
		Labels: string(labels), Capacity: cmp.Or(spec.Capacity, 1), Version: spec.Version,
		TTLMs: e.cfg.LeaseTTL.Milliseconds(),
	}
	n.Name = cmp.Or(n.Name, n.ID)
	var w store.Worker
	err = e.inTx(ctx, "worker:"+n.ID, func(o *op) error {
		var err error
		if w, err = o.Workers().Register(o.ctx, n); err != nil {
			return err
		}
		if err := o.Zones().Ensure(o.ctx, w.Zone); err != nil {
			return err
		}
		o.record(store.NewEvent{Kind: "worker.active", WorkerID: w.ID, Zone: w.Zone, NewState: store.WorkerActive,
			Reason: fmt.Sprintf("%s registered in zone %s, group %s, %g CU", w.Name, w.Zone, w.Group, w.Capacity)})
		return nil
	})
	if err != nil {
		return store.Worker{}, fmt.Errorf("register worker %s: %w", n.Name, err)
	}
	return w, nil
}

// Beat is the answer to a heartbeat.
type Beat struct {
	// Kill lists attempts the worker runs that are no longer live: cancelled,
	// lost or superseded. The worker must kill them.
	Kill []int64
	// Preempt lists live attempts an operator moved elsewhere: the worker
	// stops them and reports them cancelled, and the tasks are requeued.
	Preempt  []int64
	State    string        // the worker's state: active or draining
	LeaseTTL time.Duration // how long the renewed lease lasts
}

// Holding is what a worker says it holds in a heartbeat.
type Holding struct {
	// Running are the attempts it claimed and has not ended.
	Running []int64
	// Ending are the attempts that ended whose finish report the servers
	// have not acknowledged yet: still held, their report on its way.
	Ending []int64
	// Complete says Running and Ending list every attempt the worker
	// holds: any other live attempt of the worker dispatched more than
	// DispatchTimeout ago is no longer on it, and is lost at once. Workers that do not send it are reconciled only
	// for attempts that never started.
	Complete bool
}

// Heartbeat renews the worker's lease with the attempts it runs; see
// Renew.
func (e *Engine) Heartbeat(ctx context.Context, workerID string, running []int64) (Beat, error) {
	return e.Renew(ctx, workerID, Holding{Running: running})
}

// Renew renews the worker's lease, which covers all its attempts, in
// O(1) statements, and tells it which of the attempts it runs to kill.
// An attempt dispatched to the worker longer than DispatchTimeout ago that
// the worker does not list never reached it (the claim's answer was lost):
// it is lost, and its task handed on. With h.Complete, a started attempt
// the worker does not list either is lost at once ("the worker no longer
// has it"): a worker that lost track of an attempt never leaves it
// running. ErrWorkerGone means the worker was declared lost: it must kill
// all its tasks and register again.
func (e *Engine) Renew(ctx context.Context, workerID string, h Holding) (Beat, error) {
	// The renewal commits alone, one statement on the worker's own row, so
	// that it never waits behind what the rest of the heartbeat touches
	// (tasks, runs) and its lease counts from when it reached the database.
	var w store.Worker
	rctx, cancel := e.txDeadline(ctx)
	defer cancel()
	err := e.store.InTx(rctx, func(tx store.Tx) error {
		var err error
		w, err = tx.Workers().Renew(rctx, workerID, e.cfg.LeaseTTL.Milliseconds())
		if errors.Is(err, store.ErrNotFound) {
			return ErrWorkerGone
		}
		return err
	})
	if err != nil {
		switch {
		case errors.Is(err, ErrWorkerGone):
			e.meter.renewFailed("worker_gone")
		case ctx.Err() == nil:
			e.meter.renewFailed("error")
		}
		// else the caller went away (its request ended): not a failure of
		// the renewal.
		return Beat{}, fmt.Errorf("heartbeat of worker %s: %w", workerID, err)
	}
	var beat Beat
	err = e.inTx(ctx, "worker:"+workerID, func(o *op) error {
		live, err := o.Attempts().Live(o.ctx, workerID, e.cfg.DispatchTimeout.Milliseconds(),
			e.cfg.TimeoutGrace.Milliseconds())
		if err != nil {
			return err
		}
		beat = Beat{State: w.State, LeaseTTL: e.cfg.LeaseTTL}
		held := func(id int64) bool { return slices.Contains(h.Running, id) || slices.Contains(h.Ending, id) }
		var missing, unlisted, overtime []int64
		for _, l := range live {
			switch {
			case l.Overtime:
				overtime = append(overtime, l.ID)
				beat.Kill = append(beat.Kill, l.ID)
			case l.StopRequested:
				beat.Preempt = append(beat.Preempt, l.ID)
			case l.Overdue && !held(l.ID):
				missing = append(missing, l.ID)
			case h.Complete && !held(l.ID):
				unlisted = append(unlisted, l.ID)
			}
		}
		if err := o.timeOut(overtime, e.cfg.TimeoutGrace); err != nil {
			return err
		}
		for _, id := range h.Running {
			if !slices.ContainsFunc(live, func(l store.LiveAttempt) bool { return l.ID == id }) {
				beat.Kill = append(beat.Kill, id)
			}
		}
		if err := o.loseIDs(missing, "dispatched but never received: the worker does not run it"); err != nil {
			return err
		}
		// An unlisted attempt dispatched less than DispatchTimeout ago is
		// not judged: the claim's answer may have reached the worker after
		// it listed what it held (the same allowance as for an answer
		// lost on the way).
		now := w.LeaseExpiresAt - e.cfg.LeaseTTL.Milliseconds()
		var gone []store.Attempt
		for _, id := range unlisted {
			a, err := o.Attempts().Get(o.ctx, id)
			if err != nil {
				return err
			}
			if a.DispatchedAt <= now-e.cfg.DispatchTimeout.Milliseconds() {
				gone = append(gone, a)
			}
		}
		return o.lose(gone, "the worker no longer has it (not in its heartbeat)")
	})
	if err != nil {
		// The lease is renewed: say so, so that the worker keeps its tasks;
		// the next heartbeat reconciles.
		e.log.WarnContext(ctx, "heartbeat: lease renewed, reconciliation failed", "worker_id", workerID, "err", err)
		return Beat{State: w.State, LeaseTTL: e.cfg.LeaseTTL}, nil
	}
	return beat, nil
}

// loseIDs loses the attempts ids (rare: a claim's answer lost on the way).
func (o *op) loseIDs(ids []int64, reason string) error {
	as := make([]store.Attempt, len(ids))
	for i, id := range ids {
		var err error
		if as[i], err = o.Attempts().Get(o.ctx, id); err != nil {
			return err
		}
	}
	return o.lose(as, reason)
}

// timeOut ends running attempts timed_out that ran past their timeout and
// grace without their worker reporting them ended: the retry policy then
// decides, and the worker is told to kill them.
func (o *op) timeOut(ids []int64, grace time.Duration) error {
	if len(ids) == 0 {
		return nil
	}
	reason := fmt.Sprintf("no report within the timeout and %v: ended by the servers", grace)
	fins := make([]store.AttemptFinish, len(ids))
	for i, id := range ids {
		fins[i] = store.AttemptFinish{State: store.AttemptTimedOut, Reason: reason, ID: id}
	}
	ended, err := o.Attempts().FinishMany(o.ctx, "", fins)
	if err != nil {
		return err
	}
	for _, a := range ended {
		o.record(store.NewEvent{Kind: "attempt.timed_out", RunID: a.RunID, TaskID: a.TaskID, Task: a.Task,
			AttemptID: a.ID, WorkerID: a.WorkerID, Zone: a.Zone, OldState: store.AttemptRunning,
			NewState: store.AttemptTimedOut, Reason: reason})
	}
	return o.settle(ended, nil)
}

// StopWorker records that a worker shut down cleanly. Attempts it still
// held are lost at once, without waiting for its lease to expire. held
// lists the attempts the worker holds, when it says (nil when not): an
// attempt still dispatched that it does not hold never reached it (the
// answer of a claim it gave up on as it stopped), so it is called off and
// its task queued again without counting a loss (see callOff).
func (e *Engine) StopWorker(ctx context.Context, workerID string, held []int64) error {
	err := e.inTx(ctx, "worker:"+workerID, func(o *op) error {
		w, err := o.Workers().Get(o.ctx, workerID)
		if err != nil {
			return notFound(err, "worker %s", workerID)
		}
		if !live(w.State) {
			return nil
		}
		ok, err := o.Workers().SetState(o.ctx, workerID, w.State, store.WorkerStopped)
		if err != nil || !ok {
			return err
		}
		o.record(store.NewEvent{Kind: "worker.stopped", WorkerID: workerID, Zone: w.Zone, OldState: w.State,
			NewState: store.WorkerStopped, Reason: "worker shut down"})
		as, err := o.Attempts().ListWorker(o.ctx, workerID)
		if err != nil {
			return err
		}
		lost, unreceived := splitUnreceived(as, held)
		if err := o.callOff(unreceived, "never received: worker "+w.Name+
			" shut down before the answer of the claim that dispatched it reached it"); err != nil {
			return err
		}
		return o.lose(lost, "worker shut down")
	})
	if err != nil {
		return fmt.Errorf("stop worker %s: %w", workerID, err)
	}
	return nil
}
