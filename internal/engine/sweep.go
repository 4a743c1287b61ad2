package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/baton-sched/baton/internal/store"
)

// SweepResult counts what one sweep changed.
type SweepResult struct {
	WorkersLost  int
	AttemptsLost int
	TasksWoken   int
	// Resumed is the time since the previous sweep when it exceeded
	// ResumeAfter: the leases of LeasesExtended live workers were extended
	// instead of expired.
	Resumed        time.Duration
	LeasesExtended int
}

// Sweep is the failure detector. It marks workers whose lease ran out as
// lost, turns their live attempts (and dispatched attempts never started)
// into lost attempts that the tasks' policies then handle, and queues
// retries whose wait is over. Every server runs it; concurrent sweeps skip
// each other's rows, and every step is a guarded update.
//
// The first sweep after no sweep ran for ResumeAfter (every server or the
// database was down, so no worker could renew) extends the live leases
// instead: workers that are alive renew within the new lease, and the
// others are found lost a lease later.
func (e *Engine) Sweep(ctx context.Context) (SweepResult, error) {
	var res SweepResult
	err := e.inTx(ctx, "server:sweeper", func(o *op) error {
		res = SweepResult{}
		resumed, err := o.resumeAfterOutage(&res)
		if err != nil || resumed {
			return err
		}
		lost, err := o.Workers().Expire(o.ctx)
		if err != nil {
			return err
		}
		for _, w := range lost {
			o.record(store.NewEvent{Kind: "worker.lost", WorkerID: w.ID, Zone: w.Zone, NewState: store.WorkerLost,
				Reason: fmt.Sprintf("lease expired (zone %s)", w.Zone)})
		}
		res.WorkersLost = len(lost)
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("sweep workers: %w", err)
	}
	for {
		n, err := e.loseExpired(ctx)
		res.AttemptsLost += n
		if err != nil {
			return res, fmt.Errorf("sweep attempts: %w", err)
		}
		if n < e.cfg.SweepBatch {
			break
		}
	}
	err = e.inTx(ctx, "server:sweeper", func(o *op) error {
		woken, err := o.Tasks().WakeRetries(o.ctx)
		if err != nil {
			return err
		}
		for _, t := range woken {
			o.record(store.NewEvent{Kind: "task.queued", RunID: t.RunID, TaskID: t.ID, Task: t.Name,
				OldState: store.TaskRetryWait, NewState: store.TaskQueued, Reason: "retry delay over"})
		}
		if len(woken) > 0 {
			o.NotifyWork()
		}
		res.TasksWoken = len(woken)
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("sweep retries: %w", err)
	}
	return res, nil
}

// sweepMark names the loop mark of the sweeper.
const sweepMark = "sweep"

// resumeAfterOutage advances the sweep mark and, when the previous sweep
// is older than ResumeAfter, extends the live leases. Of concurrent
// sweeps, the one that advanced the mark decides.
func (o *op) resumeAfterOutage(res *SweepResult) (bool, error) {
	m, err := o.Marks().Get(o.ctx, sweepMark)
	if err != nil {
		return false, err
	}
	advanced, err := o.Marks().Advance(o.ctx, sweepMark, m.At)
	if err != nil {
		return false, err
	}
	gap := time.Duration(m.Now-m.At) * time.Millisecond
	if !advanced || m.At == 0 || gap < o.e.cfg.ResumeAfter {
		return false, nil
	}
	n, err := o.Workers().ExtendLeases(o.ctx, o.e.cfg.LeaseTTL.Milliseconds())
	if err != nil {
		return false, err
	}
	// No start report could arrive either: attempts claimed just before
	// the outage get their whole dispatch timeout again.
	if _, err := o.Attempts().ResetDispatched(o.ctx); err != nil {
		return false, err
	}
	res.Resumed, res.LeasesExtended = gap, int(n)
	o.record(store.NewEvent{Kind: "sweeper.resumed",
		Reason: fmt.Sprintf("no sweep for %v (servers or database down): leases of %d live workers extended by %v",
			gap.Round(time.Millisecond), n, o.e.cfg.LeaseTTL)})
	return true, nil
}

func (e *Engine) loseExpired(ctx context.Context) (int, error) {
	var n int
	err := e.inTx(ctx, "server:sweeper", func(o *op) error {
		expired, err := o.Attempts().Expired(o.ctx, e.cfg.DispatchTimeout.Milliseconds(), int64(e.cfg.SweepBatch))
		if err != nil {
			return err
		}
		n = len(expired)
		fins := make([]store.AttemptFinish, len(expired))
		was := make(map[int64]string, len(expired))
		for i, x := range expired {
			reason := "worker lease expired"
			if x.State == store.AttemptDispatched {
				reason = "dispatched but never started"
			}
			fins[i] = store.AttemptFinish{State: store.AttemptLost, Reason: reason, ID: x.ID}
			was[x.ID] = x.State
		}
		lost, err := o.Attempts().FinishMany(o.ctx, "", fins)
		if err != nil {
			return err
		}
		for _, a := range lost {
			o.record(store.NewEvent{Kind: "attempt.lost", RunID: a.RunID, TaskID: a.TaskID, Task: a.Task, AttemptID: a.ID,
				WorkerID: a.WorkerID, Zone: a.Zone, OldState: was[a.ID], NewState: store.AttemptLost, Reason: a.Reason})
		}
		return o.settle(lost, nil)
	})
	return n, err
}
