package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/baton-sched/baton/internal/store"
)

// MaxBackfill bounds the runs one backfill creates.
const MaxBackfill = 10_000

// PauseSchedule stops a schedule firing (paused true) or lets it fire again.
// A resumed schedule does not catch up on the ticks due while it was
// paused: it goes on from its first due time after now, and the ticks it
// passes over are recorded in the resume event.
func (e *Engine) PauseSchedule(ctx context.Context, workflowName, name string, paused bool, note, actor string) error {
	err := e.inTx(ctx, actor, func(o *op) error {
		c, err := o.lockSchedule(workflowName, name)
		if err != nil {
			return err
		}
		next, fireAt := c.row.NextFireAt, c.row.FireAt
		kind, reason := "schedule.paused", fmt.Sprintf("schedule %s paused", c.name())
		if !paused {
			now, err := o.Schedules().Now(o.ctx)
			if err != nil {
				return err
			}
			if !ms(next).IsZero() && next <= now {
				missed := len(c.sch.Between(ms(next).Add(-time.Nanosecond), ms(now), MaxBackfill))
				t := c.sch.Next(ms(now))
				next, fireAt = unixMilli(t), c.fireAt(t)
				reason = fmt.Sprintf("schedule %s resumed; %d due time(s) from %s passed over while paused",
					c.name(), missed, formatDue(ms(c.row.NextFireAt)))
			} else {
				reason = fmt.Sprintf("schedule %s resumed", c.name())
			}
			kind = "schedule.resumed"
		}
		if note != "" {
			reason += ": " + note
		}
		if err := o.Schedules().SetPaused(o.ctx, c.row.ID, paused, note, next, fireAt); err != nil {
			return err
		}
		o.record(store.NewEvent{Kind: kind, Reason: reason})
		return nil
	})
	if err != nil {
		verb := "pause"
		if !paused {
			verb = "resume"
		}
		return fmt.Errorf("%s schedule %s/%s: %w", verb, workflowName, name, err)
	}
	return nil
}

// TriggerSchedule starts a run of the schedule now, with its params and
// now as its due time, whatever its overlap policy or pause (as Airflow's
// trigger does).
func (e *Engine) TriggerSchedule(ctx context.Context, workflowName, name, actor string) (store.Run, error) {
	var run store.Run
	err := e.inTx(ctx, actor, func(o *op) error {
		c, err := o.lockSchedule(workflowName, name)
		if err != nil {
			return err
		}
		now, err := o.Schedules().Now(o.ctx)
		if err != nil {
			return err
		}
		started, err := o.startRuns([]StartRequest{c.request(ms(now), actor)}, false)
		if err != nil {
			return err
		}
		run = started[0].Run
		o.record(store.NewEvent{Kind: "schedule.triggered", RunID: run.ID,
			Reason: fmt.Sprintf("schedule %s triggered by %s", c.name(), actor)})
		return nil
	})
	if err != nil {
		return store.Run{}, fmt.Errorf("trigger schedule %s/%s: %w", workflowName, name, err)
	}
	return run, nil
}

// Backfilled counts the runs of a backfill: created now, or found because
// a tick or an earlier backfill had created them.
type Backfilled struct {
	Created, Existing int
	Runs              []store.Run
}

// Backfill creates the runs of a schedule due in [from, to] (to no later
// than now), oldest first, in one transaction. Each due time's run is the
// one its tick would create, so backfilling twice, or over ticks that
// fired, creates nothing new. It ignores the overlap policy, as the
// runs asked for are in the past.
func (e *Engine) Backfill(ctx context.Context, workflowName, name string, from, to time.Time, actor string) (Backfilled, error) {
	var out Backfilled
	err := e.inTx(ctx, actor, func(o *op) error {
		out = Backfilled{}
		c, err := o.lockSchedule(workflowName, name)
		if err != nil {
			return err
		}
		now, err := o.Schedules().Now(o.ctx)
		if err != nil {
			return err
		}
		if to.After(ms(now)) {
			to = ms(now)
		}
		if to.Before(from) {
			return invalid("to: %s is before from (%s)", formatDue(to), formatDue(from))
		}
		due := c.sch.Between(from.Add(-time.Nanosecond), to, MaxBackfill+1)
		if len(due) > MaxBackfill {
			return invalid("from: more than %d due times from %s to %s: backfill a shorter range",
				MaxBackfill, formatDue(from), formatDue(to))
		}
		for len(due) > 0 {
			n := min(len(due), MaxStartBatch)
			reqs := make([]StartRequest, n)
			for i, t := range due[:n] {
				reqs[i] = c.request(t, actor)
			}
			started, err := o.startRuns(reqs, false)
			if err != nil {
				return err
			}
			for _, s := range started {
				out.Runs = append(out.Runs, s.Run)
				if s.Created {
					out.Created++
				} else {
					out.Existing++
				}
			}
			due = due[n:]
		}
		o.record(store.NewEvent{Kind: "schedule.backfilled", Reason: fmt.Sprintf(
			"schedule %s backfilled from %s to %s: %d run(s) created, %d existed",
			c.name(), formatDue(from), formatDue(to), out.Created, out.Existing)})
		return nil
	})
	if err != nil {
		return Backfilled{}, fmt.Errorf("backfill %s/%s: %w", workflowName, name, err)
	}
	return out, nil
}
