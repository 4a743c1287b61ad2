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
	// RunsTimedOut counts the runs failed for their workflow's timeout.
	RunsTimedOut int
	// ApprovalsTimedOut counts the approvals decided by their timeout's
	// default.
	ApprovalsTimedOut int
	// Resumed is the time since the previous sweep when it exceeded
	// ResumeAfter: the leases of LeasesExtended live workers were extended
	// instead of expired.
	Resumed        time.Duration
	LeasesExtended int
	// Deferred: the last sweep committed is older than ResumeAfter and
	// another sweep holds or moved the mark; this one expired nothing.
	Deferred bool
}

// Sweep is the failure detector. It marks workers whose lease ran out as
// lost and, in the same transaction, turns their live attempts into lost
// attempts that the tasks' policies then handle, and it queues retries
// whose wait is over. (Attempts dispatched to a live worker that never
// received them are found by its heartbeat.) Every server runs it; concurrent sweeps skip each other's rows, and
// every step is a guarded update. Now and then (OrphanCheck) it also looks
// for live attempts of any lost or stopped worker, a safety net behind the
// hand-over at expiry and at a worker's stop.
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
			n, err := o.loseWorkerAttempts(w.ID, "worker lease expired")
			if err != nil {
				return err
			}
			res.AttemptsLost += n
		}
		res.WorkersLost = len(lost)
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("sweep workers: %w", err)
	}
	for _, find := range e.attemptSweeps() {
		for {
			n, err := e.loseFound(ctx, find)
			res.AttemptsLost += n
			if err != nil {
				return res, fmt.Errorf("sweep attempts: %w", err)
			}
			if n < e.cfg.SweepBatch {
				break
			}
		}
	}
	for {
		n, err := e.expireRuns(ctx)
		res.RunsTimedOut += n
		if err != nil {
			return res, fmt.Errorf("sweep run deadlines: %w", err)
		}
		if n < e.cfg.SweepBatch {
			break
		}
	}
	for {
		n, err := e.expireApprovals(ctx)
		res.ApprovalsTimedOut += n
		if err != nil {
			return res, fmt.Errorf("sweep approval deadlines: %w", err)
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

// expireRuns fails the runs whose deadline passed and are still going:
// what runs is cancelled (its workers kill it), nothing more starts. It
// returns how many deadlines it handled.
func (e *Engine) expireRuns(ctx context.Context) (int, error) {
	var n int
	err := e.inTx(ctx, "server:sweeper", func(o *op) error {
		ids, err := o.Runs().DueDeadlines(o.ctx, int64(e.cfg.SweepBatch))
		if err != nil {
			return err
		}
		n = len(ids)
		scopes, err := o.runScopes(ids)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if err := o.Runs().DeleteDeadline(o.ctx, id); err != nil {
				return err
			}
			rs := scopes[id]
			if rs == nil || store.RunTerminal(rs.run.State) {
				continue
			}
			reason := fmt.Sprintf("run timed out after %v (workflow timeout)", time.Duration(rs.plan.def.Timeout))
			if _, err := o.endRun(rs.run, store.RunFailed, reason); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}

// sweepMark names the loop mark of the sweeper.
const sweepMark = "sweep"

// resumeAfterOutage advances the sweep mark and, when the previous sweep
// is older than ResumeAfter, extends the live leases. It reports whether
// this sweep must expire nothing.
//
// The mark tells whether renewals could have reached the database: a
// sweep committed within ResumeAfter means the database took writes. When
// the last committed sweep is older, either the servers or the database
// were down, or another sweep is still in flight (a server with a slow
// link holds the mark): of concurrent sweeps, only the one that advanced
// the mark decides, and it extends the leases; the others expire nothing
// this time. Advancing never waits for a mark another sweep holds.
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
	if m.At == 0 || gap < o.e.cfg.ResumeAfter {
		return false, nil
	}
	if !advanced {
		res.Deferred = true
		return true, nil
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

// attemptFinder finds attempts a sweep loses, locked, and says why.
type attemptFinder func(o *op) ([]store.Attempt, string, error)

// attemptSweeps are this sweep's searches for attempts to lose: orphans,
// when OrphanCheck has passed since the last look.
func (e *Engine) attemptSweeps() []attemptFinder {
	now := time.Now().UnixNano()
	if last := e.orphanCheck.Load(); now-last < int64(e.cfg.OrphanCheck) || !e.orphanCheck.CompareAndSwap(last, now) {
		return nil
	}
	return []attemptFinder{func(o *op) ([]store.Attempt, string, error) {
		as, err := o.Attempts().Orphaned(o.ctx, int64(e.cfg.SweepBatch))
		return as, "its worker is lost or stopped", err
	}}
}

// loseFound loses, in one transaction, the attempts find returns.
func (e *Engine) loseFound(ctx context.Context, find attemptFinder) (int, error) {
	var n int
	err := e.inTx(ctx, "server:sweeper", func(o *op) error {
		as, reason, err := find(o)
		if err != nil {
			return err
		}
		n = len(as)
		return o.lose(as, reason)
	})
	return n, err
}

// loseWorkerAttempts loses every live attempt of a worker that is gone.
func (o *op) loseWorkerAttempts(workerID, reason string) (int, error) {
	as, err := o.Attempts().ListWorker(o.ctx, workerID)
	if err != nil {
		return 0, err
	}
	return len(as), o.lose(as, reason)
}

// lose ends live attempts as lost and applies that to their tasks.
func (o *op) lose(as []store.Attempt, reason string) error {
	if len(as) == 0 {
		return nil
	}
	fins := make([]store.AttemptFinish, len(as))
	for i, x := range as {
		fins[i] = store.AttemptFinish{State: store.AttemptLost, Reason: reason, ID: x.ID}
	}
	lost, err := o.Attempts().FinishMany(o.ctx, "", fins)
	if err != nil {
		return err
	}
	for _, a := range lost {
		o.record(store.NewEvent{Kind: "attempt.lost", RunID: a.RunID, TaskID: a.TaskID, Task: a.Task, AttemptID: a.ID,
			WorkerID: a.WorkerID, Zone: a.Zone, OldState: endedFrom(a), NewState: store.AttemptLost, Reason: a.Reason})
	}
	return o.settle(lost, nil)
}
