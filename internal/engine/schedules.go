package engine

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/baton-sched/baton/client/vocab"
	"github.com/baton-sched/baton/internal/schedule"
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/workflow"
)

// Catch-up windows of schedules that set none: a tick of a `none`
// schedule fires if the loop reaches it at most DefaultNoneGrace late; an
// `all` schedule catches up on at most DefaultAllWindow of missed ticks.
const (
	DefaultNoneGrace = time.Second
	DefaultAllWindow = 24 * time.Hour
)

// compiled is a stored schedule with its definition parsed.
type compiled struct {
	row     store.Schedule
	def     workflow.Schedule
	sch     *schedule.Schedule
	catchup schedule.Catchup
	overlap schedule.Overlap
}

// compileSchedule parses a stored schedule. Definitions were checked when they
// were applied, so an error here means a corrupt row.
func compileSchedule(row store.Schedule) (*compiled, error) {
	c := &compiled{row: row}
	if err := json.Unmarshal([]byte(row.Spec), &c.def); err != nil {
		return nil, fmt.Errorf("schedule %s/%s: decode: %w", row.Workflow, row.Name, err)
	}
	var err error
	if c.sch, err = schedule.Parse(c.def.Spec()); err != nil {
		return nil, fmt.Errorf("schedule %s/%s: %w", row.Workflow, row.Name, err)
	}
	if c.catchup, err = schedule.ParseCatchup(c.def.Catchup); err != nil {
		return nil, fmt.Errorf("schedule %s/%s: %w", row.Workflow, row.Name, err)
	}
	if c.overlap, err = schedule.ParseOverlap(c.def.Overlap); err != nil {
		return nil, fmt.Errorf("schedule %s/%s: %w", row.Workflow, row.Name, err)
	}
	return c, nil
}

// buffered returns the due times waiting for active runs to end.
func (c *compiled) buffered() ([]int64, error) {
	var out []int64
	if c.row.Buffered == "" {
		return nil, nil
	}
	if err := json.Unmarshal([]byte(c.row.Buffered), &out); err != nil {
		return nil, fmt.Errorf("schedule %s: buffered: %w", c.name(), err)
	}
	return out, nil
}

// key is the idempotency key of the run due at due: the run's identity
// among the workflow's runs, whoever creates it (tick, catch-up, backfill).
func (c *compiled) key(due time.Time) string {
	return "schedule/" + c.row.Name + "/" + strconv.FormatInt(due.UnixMilli(), 10)
}

// fireAt returns when due fires: due plus its jitter; 0 for the zero time
// (the schedule has ended).
func (c *compiled) fireAt(due time.Time) int64 {
	if due.IsZero() {
		return 0
	}
	return due.Add(c.sch.JitterFor(c.row.Workflow+"/"+c.row.Name, due)).UnixMilli()
}

// window is the catch-up window Plan takes for the schedule's policy.
func (c *compiled) window() time.Duration {
	w := time.Duration(c.def.CatchupWindow)
	switch {
	case w > 0:
	case c.catchup == schedule.CatchupNone:
		w = DefaultNoneGrace
	default:
		w = DefaultAllWindow
	}
	if c.catchup == schedule.CatchupNone {
		w += c.def.Spec().Jitter // a jittered tick is not late
	}
	return w
}

// request is the start of the run due at due.
func (c *compiled) request(due time.Time, actor string) StartRequest {
	return StartRequest{Workflow: c.row.Workflow, Params: c.def.Params, IdempotencyKey: c.key(due),
		ScheduledAt: due, ScheduleID: c.row.ID, Actor: actor}
}

// name is "workflow/schedule".
func (c *compiled) name() string { return c.row.Workflow + "/" + c.row.Name }

// ms turns milliseconds since the epoch into a time; 0 is the zero time.
func ms(t int64) time.Time {
	if t == 0 {
		return time.Time{}
	}
	return time.UnixMilli(t)
}

// unixMilli is t in milliseconds since the epoch; the zero time is 0.
func unixMilli(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// syncSchedules makes the stored schedules of wf those of def: new ones
// start from their first due time after now, changed ones restart from
// theirs (keeping their pause), removed ones are deleted.
func (o *op) syncSchedules(wf store.Workflow, def *workflow.Definition) ([]ScheduleChange, error) {
	rows, err := o.Schedules().ListWorkflow(o.ctx, wf.ID)
	if err != nil {
		return nil, err
	}
	var changes []ScheduleChange
	old := make(map[string]store.Schedule, len(rows))
	for _, r := range rows {
		old[r.Name] = r
	}
	var now int64
	if len(def.Schedules) > 0 {
		if now, err = o.Schedules().Now(o.ctx); err != nil {
			return nil, err
		}
	}
	for _, s := range def.Schedules {
		spec, err := json.Marshal(s)
		if err != nil {
			return nil, err
		}
		row, exists := old[s.Name]
		delete(old, s.Name)
		if exists && row.Spec == string(spec) {
			continue
		}
		row.Workflow, row.Name, row.Spec = wf.Name, s.Name, string(spec)
		c, err := compileSchedule(row)
		if err != nil {
			return nil, err
		}
		next := c.sch.Next(ms(now))
		if exists {
			err = o.Schedules().UpdateSpec(o.ctx, row.ID, row.Spec, unixMilli(next), c.fireAt(next))
		} else {
			_, err = o.Schedules().Insert(o.ctx, store.NewSchedule{WorkflowID: wf.ID, Workflow: wf.Name,
				Name: s.Name, Spec: row.Spec, NextFireAt: unixMilli(next), FireAt: c.fireAt(next), Paused: s.Paused})
		}
		if err != nil {
			return nil, err
		}
		change := "added"
		if exists {
			change = "changed"
		}
		changes = append(changes, ScheduleChange{Name: s.Name, Change: change, Cron: s.Cron, Next: next})
		o.record(store.NewEvent{Kind: "schedule.applied", NewState: vocab.ScheduleActive,
			Reason: fmt.Sprintf("schedule %s: %s, next due %s", c.name(), s.Cron, formatDue(next))})
	}
	for _, r := range old {
		if err := o.Schedules().Delete(o.ctx, r.ID); err != nil {
			return nil, err
		}
		changes = append(changes, ScheduleChange{Name: r.Name, Change: "removed"})
		o.record(store.NewEvent{Kind: "schedule.removed", Reason: fmt.Sprintf("schedule %s/%s", r.Workflow, r.Name)})
	}
	slices.SortFunc(changes, func(a, b ScheduleChange) int { return cmp.Compare(a.Name, b.Name) })
	return changes, nil
}

// formatDue renders a due time for events and errors.
func formatDue(t time.Time) string {
	if t.IsZero() {
		return "never (ended)"
	}
	return t.UTC().Format(time.RFC3339)
}
