package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/baton-sched/baton/internal/schedule"
	"github.com/baton-sched/baton/internal/store"
)

// fireBatch bounds the schedules one FireSchedules transaction fires.
const fireBatch = 50

// overlapWindow bounds the runs of a schedule looked at for active ones:
// its latest runs, which is where a policy other than allow_all keeps them
// (at most one active and the buffered ones).
const overlapWindow = 100

// maxWait is the longest FireSchedules asks to wait: schedules applied by
// another server, or buffered runs whose predecessor ended, are noticed
// within it.
const maxWait = time.Second

// FireSchedules fires the schedules that are due, by the database clock,
// each in its own transaction with the runs it starts, and returns how
// long to wait before calling again. Any number of servers may call it at
// once: a due time's run is unique, and a schedule being fired by one is
// skipped by the others.
func (e *Engine) FireSchedules(ctx context.Context) (time.Duration, error) {
	// Another batch while this one was full of due ticks; schedules with
	// only buffered runs waiting come back every time and do not count.
	for ticked := fireBatch; ticked == fireBatch; {
		err := e.inTx(ctx, "server:scheduler", func(o *op) error {
			ticked = 0
			due, err := o.Schedules().Due(o.ctx, fireBatch)
			if err != nil {
				return err
			}
			now, err := o.Schedules().Now(o.ctx)
			if err != nil {
				return err
			}
			for _, row := range due {
				if row.FireAt != 0 && row.FireAt <= now {
					ticked++
				}
				if err := o.fire(row, now); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return maxWait, fmt.Errorf("fire schedules: %w", err)
		}
	}
	var fireAt, now int64
	err := e.store.Read(ctx, func(tx store.Tx) (err error) {
		fireAt, now, err = tx.Schedules().NextFire(ctx)
		return err
	})
	if err != nil || fireAt == 0 {
		return maxWait, err
	}
	return min(max(time.Duration(fireAt-now)*time.Millisecond, 0), maxWait), nil
}

// firing is the state of one schedule while it fires.
type firing struct {
	*compiled
	o        *op
	active   []store.ScheduledRun
	buffered []int64
	starts   []StartRequest
}

// fire starts the schedule's buffered runs whose turn has come, then
// decides about each due time up to now by its catch-up and overlap
// policies, and moves its next due time on.
func (o *op) fire(row store.Schedule, now int64) error {
	c, err := compileSchedule(row)
	if err != nil {
		return err
	}
	if skipped, err := o.skipDisabled(c, now); err != nil || skipped {
		return err
	}
	f := &firing{compiled: c, o: o}
	if f.buffered, err = c.buffered(); err != nil {
		return err
	}
	// allow_all starts every run whatever is active: no need to look.
	if c.overlap != schedule.OverlapAllowAll || len(f.buffered) > 0 {
		if f.active, err = o.activeRuns(row.ID); err != nil {
			return err
		}
	}
	if len(f.active) == 0 && len(f.buffered) > 0 {
		f.start(ms(f.buffered[0]))
		f.buffered = f.buffered[1:]
	}
	next, fireAt := row.NextFireAt, row.FireAt
	if fireAt != 0 && fireAt <= now {
		plan := schedule.Plan(c.sch, c.catchup, c.window(), ms(row.NextFireAt), ms(now))
		f.missed(plan, fmt.Sprintf("missed, catchup %s", c.catchup))
		for _, due := range plan.Fire {
			if err := f.decide(due); err != nil {
				return err
			}
		}
		next, fireAt = unixMilli(plan.Next), c.fireAt(plan.Next)
	}
	if err := f.startAll(); err != nil {
		return err
	}
	var buffered []byte
	if len(f.buffered) > 0 {
		buffered, _ = json.Marshal(f.buffered)
	}
	return o.Schedules().SetFiring(o.ctx, row.ID, next, fireAt, string(buffered))
}

// activeRuns returns the schedule's latest runs that have not finished.
func (o *op) activeRuns(scheduleID int64) ([]store.ScheduledRun, error) {
	recent, err := o.Schedules().RecentRuns(o.ctx, scheduleID, overlapWindow)
	if err != nil {
		return nil, err
	}
	var active []store.ScheduledRun
	for _, r := range recent {
		if !store.RunTerminal(r.State) {
			active = append(active, r)
		}
	}
	return active, nil
}

// decide applies the overlap policy to a due time.
func (f *firing) decide(due time.Time) error {
	active := len(f.active) + len(f.starts)
	switch schedule.Decide(f.overlap, active, len(f.buffered)) {
	case schedule.Start:
		f.start(due)
	case schedule.Buffer:
		f.buffered = append(f.buffered, due.UnixMilli())
		f.o.record(store.NewEvent{Kind: "schedule.buffered", Reason: fmt.Sprintf(
			"schedule %s: due %s waits for %d active run(s) (overlap %s)", f.name(), formatDue(due), active, f.overlap)})
	case schedule.Drop:
		f.skip("schedule.skipped", due, fmt.Sprintf("%d run(s) active, overlap %s", active, f.overlap))
	case schedule.CancelAndStart:
		if err := f.startAll(); err != nil {
			return err
		}
		for _, r := range f.active {
			run, err := f.o.Runs().Get(f.o.ctx, r.ID)
			if err != nil {
				return err
			}
			reason := fmt.Sprintf("schedule %s is due %s (overlap cancel_other)", f.name(), formatDue(due))
			if _, err := f.o.endRun(run, store.RunCancelled, reason); err != nil {
				return err
			}
		}
		f.active = f.active[:0]
		f.start(due)
	}
	return nil
}

// start queues the start of the run due at due.
func (f *firing) start(due time.Time) {
	f.starts = append(f.starts, f.request(due, "schedule:"+f.name()))
}

// startAll starts the queued runs; runs that exist already (a backfill or
// another server created them) are found, not doubled.
func (f *firing) startAll() error {
	if len(f.starts) == 0 {
		return nil
	}
	started, err := f.o.startRuns(f.starts, false)
	if err != nil {
		return fmt.Errorf("schedule %s: %w", f.name(), err)
	}
	for _, s := range started {
		f.active = append(f.active, store.ScheduledRun{ID: s.Run.ID, State: s.Run.State,
			ScheduledAt: s.Run.ScheduledAt, CreatedAt: s.Run.CreatedAt})
		if s.Created {
			late := s.Run.CreatedAt - f.fireAt(ms(s.Run.ScheduledAt))
			f.o.observe(histLateness, "", late)
		}
	}
	f.starts = f.starts[:0]
	return nil
}

// missed records the due times a catch-up plan skipped, as
// schedule.missed events.
func (f *firing) missed(plan schedule.Firing, why string) {
	for _, due := range plan.Skipped {
		f.skip("schedule.missed", due, why)
	}
	if plan.SkippedMore > 0 {
		f.o.record(store.NewEvent{Kind: "schedule.missed", Reason: fmt.Sprintf(
			"schedule %s: %d more due times skipped: %s", f.name(), plan.SkippedMore, why)})
	}
}

// skip records a due time that will not fire: missed (catch-up) or
// skipped (overlap).
func (f *firing) skip(kind string, due time.Time, why string) {
	f.o.record(store.NewEvent{Kind: kind, NewState: formatDue(due),
		Reason: fmt.Sprintf("schedule %s: due %s skipped: %s", f.name(), formatDue(due), why)})
}
