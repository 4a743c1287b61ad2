package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/baton-sched/baton/internal/store"
)

const day = int64(24 * time.Hour / time.Millisecond)

func TestRetentionRules(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		plain, _ := newWorkflow(t, s, "plain")
		kept, _ := newWorkflow(t, s, "kept")
		gone, _ := newWorkflow(t, s, "gone")
		for _, w := range []struct {
			wf   store.Workflow
			spec string
		}{{kept, `{"name":"kept","retention":"7d"}`}, {gone, `{"name":"gone","retention":"0s"}`}} {
			do(t, s, func(tx store.Tx) error {
				v, err := tx.Workflows().InsertVersion(ctx, store.NewVersion{WorkflowID: w.wf.ID, Version: 2, Digest: "d2", Spec: w.spec})
				if err != nil {
					return err
				}
				return tx.Workflows().SetLatest(ctx, w.wf.ID, v.ID, v.Version, v.Digest)
			})
		}
		do(t, s, func(tx store.Tx) error { _, err := tx.Workflows().Delete(ctx, gone.ID); return err })
		got := read(t, s, func(tx store.Tx) ([]store.RetentionRule, error) { return tx.Retention().Rules(ctx) })
		want := []store.RetentionRule{{ID: plain.ID}, {ID: kept.ID, Retention: "7d"}, {ID: gone.ID, Retention: "0s"}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("rules, deleted workflow included (-want +got):\n%s", diff)
		}
	})
}

func TestRetentionExpiredRuns(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		wf, v := newWorkflow(t, s, "old")
		now := time.Now().UnixMilli()
		load := func(runs int, finishedAt int64, state string) (int64, int64) {
			return LoadFinishedRuns(t, s, FinishedRuns{WorkflowID: wf.ID, VersionID: v.ID, Workflow: wf.Name,
				Runs: runs, Tasks: 2, FinishedAt: finishedAt, State: state})
		}
		// Old runs, out of ID order by finish time; a young one; one of
		// another workflow; a sub-workflow run; an active run with an old
		// finish time left by a rerun.
		late, _ := load(3, now-10*day, store.RunFailed)
		early, _ := load(3, now-20*day, store.RunSucceeded)
		young, _ := load(1, now-day/2, store.RunSucceeded)
		other, ov := newWorkflow(t, s, "other")
		LoadFinishedRuns(t, s, FinishedRuns{WorkflowID: other.ID, VersionID: ov.ID, Workflow: other.Name, Runs: 1, Tasks: 1,
			FinishedAt: now - 30*day})
		child, _ := load(1, now-30*day, store.RunSucceeded)
		Exec(t, s, fmt.Sprintf("UPDATE runs SET parent_run_id = %d, parent_task_id = 1 WHERE id = %d", early, child))
		rerun, _ := load(1, now-30*day, store.RunSucceeded)
		Exec(t, s, fmt.Sprintf("UPDATE runs SET state = 'running' WHERE id = %d", rerun))

		expired := func(f store.ExpiredRunFilter) []int64 {
			f.WorkflowID, f.AgeMs = wf.ID, day
			rs := get(t, s, func(tx store.Tx) ([]store.ExpiredRun, error) { return tx.Retention().ExpiredRuns(ctx, f) })
			ids := make([]int64, len(rs))
			for i, r := range rs {
				ids[i] = r.ID
			}
			return ids
		}
		all := expired(store.ExpiredRunFilter{Limit: 100})
		want := []int64{early, early + 1, early + 2, late, late + 1, late + 2}
		if diff := cmp.Diff(want, all); diff != "" {
			t.Fatalf("expired runs, oldest first, none young, active, of another workflow or a sub-workflow run (-want +got):\n%s", diff)
		}
		// Batches continue after the cursor.
		first := get(t, s, func(tx store.Tx) ([]store.ExpiredRun, error) {
			return tx.Retention().ExpiredRuns(ctx, store.ExpiredRunFilter{WorkflowID: wf.ID, AgeMs: day, Limit: 4})
		})
		lastOf := first[len(first)-1]
		next := expired(store.ExpiredRunFilter{AfterAt: lastOf.CreatedAt, AfterID: lastOf.ID, Limit: 4})
		if diff := cmp.Diff(want[4:], next); diff != "" {
			t.Errorf("second batch (-want +got):\n%s", diff)
		}
		// Children: the sub-workflow run of early, whatever its state.
		kids := get(t, s, func(tx store.Tx) ([]store.ChildRun, error) {
			return tx.Retention().Children(ctx, []int64{early, late, young})
		})
		if diff := cmp.Diff([]store.ChildRun{{ID: child, ParentRunID: early, State: store.RunSucceeded}}, kids); diff != "" {
			t.Errorf("children (-want +got):\n%s", diff)
		}
	})
}

func TestRetentionDeleteRuns(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		wf, v := newWorkflow(t, s, "old")
		now := time.Now().UnixMilli()
		first, last := LoadFinishedRuns(t, s, FinishedRuns{WorkflowID: wf.ID, VersionID: v.ID, Workflow: wf.Name,
			Runs: 5, Tasks: 2, FinishedAt: now - 10*day})
		keepFirst, keepLast := LoadFinishedRuns(t, s, FinishedRuns{WorkflowID: wf.ID, VersionID: v.ID, Workflow: wf.Name,
			Runs: 2, Tasks: 2, FinishedAt: now - 10*day})
		before := RunRows(t, s, keepFirst, keepLast)
		// keepFirst was rerun: running again, it stays whole.
		Exec(t, s, fmt.Sprintf("UPDATE runs SET state = 'running', finished_at = 0 WHERE id = %d", keepFirst))

		ids := []int64{keepFirst}
		for id := first; id <= last; id++ {
			ids = append(ids, id)
		}
		got := get(t, s, func(tx store.Tx) (store.RetentionDeleted, error) { return tx.Retention().DeleteRuns(ctx, ids) })
		// Per run: 2 tasks, 2 attempts with a log chunk each, 2*3+2 events.
		want := store.RetentionDeleted{Runs: 5, Tasks: 10, Attempts: 10, Events: 40, Logs: 10}
		if got != want {
			t.Errorf("deleted %+v, want %+v", got, want)
		}
		if n := RunRows(t, s, first, last); n != 0 {
			t.Errorf("%d rows of the deleted runs (or without their run) left", n)
		}
		if n := RunRows(t, s, keepFirst, keepLast); n != before {
			t.Errorf("the runs not deleted have %d rows, want %d as before", n, before)
		}
		if n := Int(t, s, "SELECT COUNT(*) FROM log_stats"); n != 4 {
			t.Errorf("%d log stats left, want the 4 of the runs kept", n)
		}
	})
}

func TestRetentionDeleteAudit(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		now := time.Now().UnixMilli()
		do(t, s, func(tx store.Tx) error {
			return tx.Events().Insert(ctx, []store.NewEvent{
				{Kind: "zone.cordoned", Actor: "user:a", Reason: "old-1"},
				{Kind: "token.created", Actor: "user:a", Reason: "old-2"},
				{Kind: "secret.set", Actor: "user:a", Reason: "old-3"},
				{Kind: "zone.uncordoned", Actor: "user:a", Reason: "young"},
				{Kind: "run.succeeded", Actor: "user:a", RunID: 7, Reason: "old run event"},
			})
		})
		Exec(t, s, fmt.Sprintf("UPDATE events SET at = %d WHERE reason LIKE 'old%%'", now-400*day))
		del := func(limit int64) int64 {
			return get(t, s, func(tx store.Tx) (int64, error) { return tx.Retention().DeleteAudit(ctx, 365*day, limit) })
		}
		if n := del(2); n != 2 {
			t.Errorf("first batch deleted %d, want 2 (the limit)", n)
		}
		if n := del(2); n != 1 {
			t.Errorf("second batch deleted %d, want the 1 left", n)
		}
		evs := read(t, s, func(tx store.Tx) ([]store.Event, error) { return tx.Events().List(ctx, store.EventFilter{Limit: 10}) })
		var left []string
		for _, e := range evs {
			left = append(left, e.Reason)
		}
		if diff := cmp.Diff([]string{"young", "old run event"}, left); diff != "" {
			t.Errorf("events left: the young one and the run's, which goes with its run (-want +got):\n%s", diff)
		}
	})
}
