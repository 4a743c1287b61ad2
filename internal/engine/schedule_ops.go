package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/workflow"
)

// ScheduleInfo is a schedule as operators see it.
type ScheduleInfo struct {
	Row store.Schedule
	Def workflow.Schedule
	// Buffered counts the due times waiting for active runs to end.
	Buffered int
	// Lateness lists, for the runs the schedule fired among its latest
	// 100 (newest first; triggered and backfilled runs left out), how long
	// after its fire time (due time plus jitter) each was created.
	Lateness []time.Duration
}

// lockSchedule returns the compiled schedule, locked for the transaction.
func (o *op) lockSchedule(workflowName, name string) (*compiled, error) {
	row, err := o.Schedules().Lock(o.ctx, workflowName, name)
	if err != nil {
		return nil, notFound(err, "schedule %s/%s", workflowName, name)
	}
	return compileSchedule(row)
}

// Schedules lists every schedule with its recent lateness.
func (e *Engine) Schedules(ctx context.Context) ([]ScheduleInfo, error) {
	var out []ScheduleInfo
	err := e.store.Read(ctx, func(tx store.Tx) error {
		rows, err := tx.Schedules().List(ctx)
		if err != nil {
			return err
		}
		out = make([]ScheduleInfo, 0, len(rows))
		for _, row := range rows {
			info, err := scheduleInfo(ctx, tx, row)
			if err != nil {
				return err
			}
			out = append(out, info)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list schedules: %w", err)
	}
	return out, nil
}

// Schedule returns one schedule with its recent lateness.
func (e *Engine) Schedule(ctx context.Context, workflowName, name string) (ScheduleInfo, error) {
	var info ScheduleInfo
	err := e.store.Read(ctx, func(tx store.Tx) error {
		row, err := tx.Schedules().Get(ctx, workflowName, name)
		if err != nil {
			return notFound(err, "schedule %s/%s", workflowName, name)
		}
		info, err = scheduleInfo(ctx, tx, row)
		return err
	})
	return info, err
}

func scheduleInfo(ctx context.Context, tx store.Tx, row store.Schedule) (ScheduleInfo, error) {
	c, err := compileSchedule(row)
	if err != nil {
		return ScheduleInfo{}, err
	}
	runs, err := tx.Schedules().RecentRuns(ctx, row.ID, 100)
	if err != nil {
		return ScheduleInfo{}, err
	}
	buffered, err := c.buffered()
	if err != nil {
		return ScheduleInfo{}, err
	}
	info := ScheduleInfo{Row: row, Def: c.def, Buffered: len(buffered)}
	for _, r := range runs {
		if !firedBySchedule(r) {
			continue
		}
		fire := c.fireAt(ms(r.ScheduledAt))
		info.Lateness = append(info.Lateness, time.Duration(max(r.CreatedAt-fire, 0))*time.Millisecond)
	}
	return info, nil
}

// NextFires returns a schedule and its next n due times, the stored next
// one first (none once it has ended).
func (e *Engine) NextFires(ctx context.Context, workflowName, name string, n int) (ScheduleInfo, []time.Time, error) {
	var row store.Schedule
	err := e.store.Read(ctx, func(tx store.Tx) (err error) {
		if row, err = tx.Schedules().Get(ctx, workflowName, name); err != nil {
			return notFound(err, "schedule %s/%s", workflowName, name)
		}
		return nil
	})
	if err != nil {
		return ScheduleInfo{}, nil, err
	}
	c, err := compileSchedule(row)
	if err != nil {
		return ScheduleInfo{}, nil, err
	}
	var out []time.Time
	for t := ms(row.NextFireAt); !t.IsZero() && len(out) < n; t = c.sch.Next(t) {
		out = append(out, t)
	}
	return ScheduleInfo{Row: row, Def: c.def}, out, nil
}
