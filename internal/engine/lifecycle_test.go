package engine_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store"
)

const ticking = `name: tick
tasks:
  - name: t
    noop: true
schedules:
  - name: s
    cron: "@every 1m"
    catchup: all
`

func TestWorkflowDisableStopsStartsAndSchedules(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply(ticking)
		row := x.rewind("tick", "s", time.Now().Add(-5*time.Minute).Truncate(time.Minute))
		wf, changed, err := x.e.SetWorkflowDisabled(x.ctx, "tick", true, "user:test")
		if err != nil || !changed || !wf.Disabled {
			t.Fatalf("disable = %+v, %v, %v; want a change to disabled", wf, changed, err)
		}
		if _, changed, err := x.e.SetWorkflowDisabled(x.ctx, "tick", true, "user:test"); err != nil || changed {
			t.Errorf("disable twice = %v, %v; want no change, no error", changed, err)
		}
		_, err = x.e.StartRun(x.ctx, engine.StartRequest{Workflow: "tick", Actor: "user:test"})
		if !errors.Is(err, engine.ErrDisabled) || !strings.Contains(err.Error(), `workflow "tick" is disabled`) {
			t.Errorf("start of a disabled workflow: %v, want ErrDisabled naming it", err)
		}
		if _, err := x.e.TriggerSchedule(x.ctx, "tick", "s", "user:test"); !errors.Is(err, engine.ErrDisabled) {
			t.Errorf("trigger of a disabled workflow's schedule: %v, want ErrDisabled", err)
		}
		now := time.Now()
		if _, err := x.e.Backfill(x.ctx, "tick", "s", now.Add(-3*time.Minute), now, "user:test"); !errors.Is(err, engine.ErrDisabled) {
			t.Errorf("backfill of a disabled workflow's schedule: %v, want ErrDisabled", err)
		}
		x.fire()
		if runs := x.scheduled(row.ID); len(runs) != 0 {
			t.Errorf("a disabled workflow's schedule fired %d run(s), want none", len(runs))
		}
		if n := x.kindCount("schedule.skipped"); n != 1 {
			t.Errorf("schedule.skipped events = %d, want 1", n)
		}
		var next int64
		err = x.s.Read(x.ctx, func(tx store.Tx) error {
			s, err := tx.Schedules().Get(x.ctx, "tick", "s")
			next = s.NextFireAt
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if next < now.UnixMilli() {
			t.Errorf("next due %s, want past now (%s): a disabled workflow's due times are skipped",
				time.UnixMilli(next).UTC(), now.UTC())
		}
		if _, _, err := x.e.SetWorkflowDisabled(x.ctx, "tick", false, "user:test"); err != nil {
			t.Fatalf("enable: %v", err)
		}
		x.fire()
		if runs := x.scheduled(row.ID); len(runs) != 0 {
			t.Errorf("enabled again, the schedule caught up %d run(s), want none", len(runs))
		}
		if r := x.start("tick", nil); r.ID == 0 {
			t.Error("start after enable: no run")
		}
		if _, _, err := x.e.SetWorkflowDisabled(x.ctx, "nosuch", true, "user:test"); !errors.Is(err, engine.ErrNotFound) {
			t.Errorf("disable of an unknown workflow: %v, want ErrNotFound", err)
		}
	})
}

func TestWorkflowDelete(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply(ticking)
		active := x.start("tick", nil)
		_, err := x.e.DeleteWorkflow(x.ctx, "tick", false, "user:test")
		if !errors.Is(err, engine.ErrWorkflowActive) || !strings.Contains(err.Error(), fmt.Sprint(active.ID)) {
			t.Fatalf("delete with an active run: %v, want ErrWorkflowActive naming run %d", err, active.ID)
		}
		if r := x.start("tick", nil); r.ID == 0 { // still there
			t.Fatal("refused delete removed the workflow")
		}
		del, err := x.e.DeleteWorkflow(x.ctx, "tick", true, "user:test")
		if err != nil {
			t.Fatalf("forced delete: %v", err)
		}
		if len(del.Cancelled) != 2 || del.Cancelled[0] != active.ID || len(del.Schedules) != 1 || del.Schedules[0] != "s" {
			t.Errorf("forced delete = %+v, want 2 runs cancelled (first %d) and schedule s removed", del, active.ID)
		}
		wantState(t, "run of a deleted workflow", x.run(active.ID).State, store.RunCancelled)
		if _, err := x.e.StartRun(x.ctx, engine.StartRequest{Workflow: "tick", Actor: "user:test"}); !errors.Is(err, engine.ErrNotFound) {
			t.Errorf("start of a deleted workflow: %v, want ErrNotFound", err)
		}
		if _, err := x.e.Schedule(x.ctx, "tick", "s"); err == nil {
			t.Error("schedule of a deleted workflow still there")
		}
		if _, err := x.e.DeleteWorkflow(x.ctx, "tick", true, "user:test"); !errors.Is(err, engine.ErrNotFound) {
			t.Errorf("second delete: %v, want ErrNotFound", err)
		}
		// Applied again, it comes back with the next version number and its schedule.
		again := x.apply(ticking)
		if !again.Changed || again.Version.Version != 2 || len(again.Schedules) != 1 || again.Schedules[0].Change != "added" {
			t.Errorf("apply after delete = %+v, want version 2 with schedule s added", again)
		}
		if _, err := x.e.Schedule(x.ctx, "tick", "s"); err != nil {
			t.Errorf("schedule after apply: %v", err)
		}
		if r := x.start("tick", nil); r.Version != 2 {
			t.Errorf("run after re-apply on version %d, want 2", r.Version)
		}
	})
}

func TestApplyDryRun(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		dry := func(src string) engine.Applied {
			t.Helper()
			out, err := x.e.ApplyWith(x.ctx, []engine.Source{{Filename: "t.yaml", Text: []byte(src)}}, "user:test",
				engine.ApplyOptions{DryRun: true})
			if err != nil {
				t.Fatalf("dry run: %v", err)
			}
			return out[0]
		}
		first := dry(ticking)
		if !first.Changed || first.Version.Version != 1 || len(first.Schedules) != 1 || first.Schedules[0].Change != "added" {
			t.Errorf("dry run of a new workflow = %+v, want version 1 with schedule s added", first)
		}
		if _, err := x.e.StartRun(x.ctx, engine.StartRequest{Workflow: "tick"}); !errors.Is(err, engine.ErrNotFound) {
			t.Fatalf("after a dry run, start: %v; want ErrNotFound (nothing stored)", err)
		}
		x.apply(ticking)
		if same := dry(ticking); same.Changed || same.Version.Version != 1 || len(same.Schedules) != 0 {
			t.Errorf("dry run of the same definition = %+v, want unchanged version 1", same)
		}
		changed := strings.Replace(ticking, `"@every 1m"`, `"@every 5m"`, 1) + `  - name: daily
    cron: "0 2 * * *"
`
		got := dry(changed)
		if !got.Changed || got.Version.Version != 2 || len(got.Schedules) != 2 ||
			got.Schedules[0].Name != "daily" || got.Schedules[0].Change != "added" ||
			got.Schedules[1].Name != "s" || got.Schedules[1].Change != "changed" || got.Schedules[1].Next.IsZero() {
			t.Errorf("dry run of a change = %+v, want version 2, daily added, s changed", got)
		}
		removed := dry(strings.Split(ticking, "schedules:")[0])
		if len(removed.Schedules) != 1 || removed.Schedules[0].Change != "removed" {
			t.Errorf("dry run without schedules = %+v, want s removed", removed.Schedules)
		}
		if r := x.start("tick", nil); r.Version != 1 {
			t.Errorf("after dry runs the latest version is %d, want 1", r.Version)
		}
		if n := x.kindCount("workflow.applied"); n != 1 {
			t.Errorf("workflow.applied events = %d, want 1 (dry runs record none)", n)
		}
	})
}
