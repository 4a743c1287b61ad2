package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/baton-sched/baton/internal/store"
)

// Sentinel errors of the workflow lifecycle.
var (
	// ErrDisabled: the workflow is disabled, so no run of it may start.
	ErrDisabled = errors.New("workflow is disabled")
	// ErrWorkflowActive: a delete without force of a workflow with runs
	// that have not finished.
	ErrWorkflowActive = errors.New("workflow has active runs")
)

// disabledError is the refusal of a start of a disabled workflow.
func disabledError(name string) error {
	return fmt.Errorf("workflow %q is disabled (baton workflow enable %s): %w", name, name, ErrDisabled)
}

// SetWorkflowDisabled disables a workflow (its schedules stop firing, and
// starts, triggers and backfills are refused) or enables it again. It is
// idempotent: Changed is false when the workflow already was so.
func (e *Engine) SetWorkflowDisabled(ctx context.Context, name string, disabled bool, actor string) (store.Workflow, bool, error) {
	var wf store.Workflow
	var changed bool
	verb := "enable"
	if disabled {
		verb = "disable"
	}
	err := e.inTx(ctx, actor, func(o *op) error {
		var err error
		if wf, err = o.Workflows().Get(o.ctx, name); err != nil {
			return notFound(err, "workflow %q", name)
		}
		if changed, err = o.Workflows().SetDisabled(o.ctx, wf.ID, disabled); err != nil || !changed {
			return err
		}
		wf.Disabled = disabled
		o.record(store.NewEvent{Kind: "workflow." + verb + "d", NewState: verb + "d",
			Reason: fmt.Sprintf("workflow %s %sd by %s", name, verb, o.actor)})
		return nil
	})
	if err != nil {
		return store.Workflow{}, false, fmt.Errorf("%s workflow %s: %w", verb, name, err)
	}
	return wf, changed, nil
}

// Deleted is what deleting a workflow did.
type Deleted struct {
	// Workflow is the workflow as it was before the delete.
	Workflow store.Workflow
	// Cancelled lists the active runs a forced delete cancelled.
	Cancelled []int64
	// Schedules names the schedules deleted with the workflow.
	Schedules []string
}

// maxActiveListed bounds the active runs a refused delete names.
const maxActiveListed = 10

// DeleteWorkflow deletes a workflow and its schedules in one transaction.
// Its runs stay, as history. A workflow with active runs (queued, running
// or paused) is refused with ErrWorkflowActive unless force is set, which
// cancels them first. Applying the name again later creates it anew (its
// next version number follows the deleted one's).
func (e *Engine) DeleteWorkflow(ctx context.Context, name string, force bool, actor string) (Deleted, error) {
	var out Deleted
	err := e.inTx(ctx, actor, func(o *op) error {
		out = Deleted{}
		wf, err := o.Workflows().Get(o.ctx, name)
		if err != nil {
			return notFound(err, "workflow %q", name)
		}
		// Marked deleted first: on Postgres the row is locked from here on.
		if ok, err := o.Workflows().Delete(o.ctx, wf.ID); err != nil || !ok {
			if err == nil {
				err = notFound(store.ErrNotFound, "workflow %q", name)
			}
			return err
		}
		active, err := o.activeRunsOf(name)
		if err != nil {
			return err
		}
		if len(active) > 0 && !force {
			return activeError(name, active)
		}
		reason := fmt.Sprintf("workflow %s deleted by %s", name, o.actor)
		for _, run := range active {
			ended, err := o.endRun(run, store.RunCancelled, reason)
			if err != nil {
				return err
			}
			if ended {
				out.Cancelled = append(out.Cancelled, run.ID)
			}
		}
		schedules, err := o.Schedules().ListWorkflow(o.ctx, wf.ID)
		if err != nil {
			return err
		}
		for _, s := range schedules {
			if err := o.Schedules().Delete(o.ctx, s.ID); err != nil {
				return err
			}
			out.Schedules = append(out.Schedules, s.Name)
			o.record(store.NewEvent{Kind: "schedule.removed", Reason: fmt.Sprintf("schedule %s/%s: %s", name, s.Name, reason)})
		}
		o.record(store.NewEvent{Kind: "workflow.deleted", NewState: "deleted", Reason: fmt.Sprintf(
			"%s; %d active run(s) cancelled, %d schedule(s) removed", reason, len(out.Cancelled), len(out.Schedules))})
		out.Workflow = wf
		return nil
	})
	if err != nil {
		return Deleted{}, fmt.Errorf("delete workflow %s: %w", name, err)
	}
	return out, nil
}

// activeError refuses a delete, naming some of the active runs.
func activeError(name string, active []store.Run) error {
	ids := make([]string, 0, maxActiveListed)
	for _, r := range active[:min(len(active), maxActiveListed)] {
		ids = append(ids, strconv.FormatInt(r.ID, 10))
	}
	more := ""
	if len(active) > maxActiveListed {
		more = fmt.Sprintf(" and %d more", len(active)-maxActiveListed)
	}
	return fmt.Errorf("workflow %s has %d active run(s) (%s%s): wait for them, cancel them, or delete with force: %w",
		name, len(active), strings.Join(ids, ", "), more, ErrWorkflowActive)
}

// activeRunsOf returns the runs of a workflow that have not finished,
// oldest first.
func (o *op) activeRunsOf(name string) ([]store.Run, error) {
	var out []store.Run
	for _, state := range []string{store.RunQueued, store.RunRunning, store.RunPaused} {
		f := store.RunFilter{Workflow: name, State: state, Limit: 1000}
		for {
			page, err := o.Runs().List(o.ctx, f)
			if err != nil {
				return nil, err
			}
			out = append(out, page...)
			if int64(len(page)) < f.Limit {
				break
			}
			f.BeforeID = page[len(page)-1].ID
		}
	}
	slices.SortFunc(out, func(a, b store.Run) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// skipDisabled moves the schedule of a disabled workflow past now without
// firing: its due times up to now are skipped (one event says so), its
// buffered runs keep waiting. Enabled again, it fires from its next due
// time on, with no catch-up of the time it was disabled.
func (o *op) skipDisabled(c *compiled, now int64) (bool, error) {
	wf, err := o.Workflows().Get(o.ctx, c.row.Workflow)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil // deleted in a transaction this one does not see yet
	}
	if err != nil || !wf.Disabled {
		return false, err
	}
	if c.row.FireAt == 0 || c.row.FireAt > now {
		return true, nil // only buffered runs: they wait
	}
	next := c.sch.Next(ms(now))
	o.record(store.NewEvent{Kind: "schedule.skipped", NewState: formatDue(ms(c.row.NextFireAt)), Reason: fmt.Sprintf(
		"schedule %s: due %s skipped: workflow %s is disabled", c.name(), formatDue(ms(c.row.NextFireAt)), wf.Name)})
	return true, o.Schedules().SetFiring(o.ctx, c.row.ID, unixMilli(next), c.fireAt(next), c.row.Buffered)
}
