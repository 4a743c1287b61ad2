package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/baton-sched/baton/internal/store"
)

func TestRunsInsertGetByKey(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		wf, v := newWorkflow(t, s, "etl")
		nr := store.NewRun{
			WorkflowID: wf.ID, Workflow: wf.Name, VersionID: v.ID, Version: v.Version,
			State: store.RunQueued, Params: `{"day":"2026-01-01"}`, IdempotencyKey: "k1",
			Priority: 5, ScheduledAt: 1_700_000_000_000, CreatedBy: "alice", TasksTotal: 3,
		}
		run := get(t, s, func(tx store.Tx) (store.Run, error) { return insertRun(ctx, tx, nr) })
		want := store.Run{
			WorkflowID: nr.WorkflowID, Workflow: nr.Workflow, VersionID: nr.VersionID, Version: nr.Version,
			State: nr.State, Params: nr.Params, IdempotencyKey: nr.IdempotencyKey, Priority: nr.Priority,
			ScheduledAt: nr.ScheduledAt, CreatedBy: nr.CreatedBy, TasksTotal: 3, TasksLeft: 3,
		}
		if diff := cmp.Diff(want, run, cmpopts.IgnoreFields(store.Run{}, "ID", "CreatedAt")); diff != "" {
			t.Errorf("Insert (-want +got):\n%s", diff)
		}
		if run.ID == 0 || run.CreatedAt <= 0 {
			t.Errorf("Insert: ID %d, CreatedAt %d, want both set", run.ID, run.CreatedAt)
		}

		got := read(t, s, func(tx store.Tx) (store.Run, error) { return tx.Runs().Get(ctx, run.ID) })
		if diff := cmp.Diff(run, got); diff != "" {
			t.Errorf("Get (-want +got):\n%s", diff)
		}
		byKey := read(t, s, func(tx store.Tx) (store.Run, error) { return tx.Runs().ByKey(ctx, wf.ID, "k1") })
		if diff := cmp.Diff(run, byKey); diff != "" {
			t.Errorf("ByKey (-want +got):\n%s", diff)
		}
		wantErr(t, "Get(missing)", s.Read(ctx, func(tx store.Tx) error {
			_, err := tx.Runs().Get(ctx, run.ID+1000)
			return err
		}), store.ErrNotFound)
		wantErr(t, "ByKey(unknown key)", s.Read(ctx, func(tx store.Tx) error {
			_, err := tx.Runs().ByKey(ctx, wf.ID, "k2")
			return err
		}), store.ErrNotFound)
	})
}

func TestRunsIdempotencyKey(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		for _, tc := range []struct {
			name         string
			key1, key2   string
			sameWorkflow bool
			wantConflict bool
		}{
			{"same key same workflow", "tick-1", "tick-1", true, true},
			{"empty keys never conflict", "", "", true, false},
			{"different keys", "tick-1", "tick-2", true, false},
			{"same key other workflow", "tick-1", "tick-1", false, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wf, v := newWorkflow(t, s, uniq("wf"))
				first := newRun(t, s, onVersion(wf, v), func(r *store.NewRun) { r.IdempotencyKey = tc.key1 })
				if !tc.sameWorkflow {
					wf, v = newWorkflow(t, s, uniq("wf"))
				}
				err := txErr(t, s, func(tx store.Tx) error {
					_, err := insertRun(t.Context(), tx, store.NewRun{
						WorkflowID: wf.ID, Workflow: wf.Name, VersionID: v.ID, Version: v.Version,
						State: store.RunQueued, Params: "{}", IdempotencyKey: tc.key2, TasksTotal: 1,
					})
					return err
				})
				if !tc.wantConflict {
					if err != nil {
						t.Fatalf("second insert: %v, want no error", err)
					}
					return
				}
				wantErr(t, "second insert", err, store.ErrConflict)
				kept := read(t, s, func(tx store.Tx) (store.Run, error) { return tx.Runs().ByKey(t.Context(), wf.ID, tc.key1) })
				if kept.ID != first.ID {
					t.Errorf("ByKey after the refused insert = run %d, want the first run %d", kept.ID, first.ID)
				}
			})
		}
	})
}

func TestRunsList(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		wfA, vA := newWorkflow(t, s, "a")
		wfB, vB := newWorkflow(t, s, "b")
		// One transaction per run so created_at follows insertion order.
		r1 := newRun(t, s, onVersion(wfA, vA))
		r2 := newRun(t, s, onVersion(wfB, vB))
		r3 := newRun(t, s, onVersion(wfA, vA), inState(store.RunRunning))
		r4 := newRun(t, s, onVersion(wfA, vA))
		r5 := newRun(t, s, onVersion(wfB, vB), inState(store.RunFailed))
		all := []store.Run{r5, r4, r3, r2, r1} // newest first
		ids := func(rs ...store.Run) []int64 {
			out := []int64{}
			for _, r := range rs {
				out = append(out, r.ID)
			}
			return out
		}
		// The created range is checked against the stored times, which may
		// coincide at millisecond resolution.
		createdIn := func(from, to int64) []int64 {
			out := []int64{}
			for _, r := range all {
				if r.CreatedAt >= from && (to == 0 || r.CreatedAt < to) {
					out = append(out, r.ID)
				}
			}
			return out
		}
		for _, tc := range []struct {
			name string
			f    store.RunFilter
			want []int64
		}{
			{"everything newest first", store.RunFilter{Limit: 100}, ids(all...)},
			{"workflow", store.RunFilter{Workflow: "a", Limit: 100}, ids(r4, r3, r1)},
			{"state", store.RunFilter{State: store.RunQueued, Limit: 100}, ids(r4, r2, r1)},
			{"workflow and state", store.RunFilter{Workflow: "a", State: store.RunQueued, Limit: 100}, ids(r4, r1)},
			{"unknown workflow", store.RunFilter{Workflow: "zzz", Limit: 100}, ids()},
			{"limit", store.RunFilter{Limit: 2}, ids(r5, r4)},
			{"before id", store.RunFilter{BeforeID: r4.ID, Limit: 100}, ids(r3, r2, r1)},
			{"before id with limit", store.RunFilter{BeforeID: r4.ID, Limit: 2}, ids(r3, r2)},
			{"created from", store.RunFilter{CreatedFrom: r3.CreatedAt, Limit: 100}, createdIn(r3.CreatedAt, 0)},
			{"created range", store.RunFilter{CreatedFrom: r2.CreatedAt, CreatedTo: r4.CreatedAt + 1, Limit: 100},
				createdIn(r2.CreatedAt, r4.CreatedAt+1)},
			{"created to is exclusive", store.RunFilter{CreatedTo: r1.CreatedAt, Limit: 100}, createdIn(0, r1.CreatedAt)},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got := read(t, s, func(tx store.Tx) ([]store.Run, error) { return tx.Runs().List(t.Context(), tc.f) })
				if diff := cmp.Diff(tc.want, ids(got...)); diff != "" {
					t.Errorf("List(%+v) IDs (-want +got):\n%s", tc.f, diff)
				}
			})
		}
	})
}

func TestRunsAddProgress(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		run := newRun(t, s, func(r *store.NewRun) { r.TasksTotal = 5 })
		for _, step := range []struct {
			done, failed, wantLeft, wantFailed int64
			wantState, wantReason              string
		}{
			{2, 0, 3, 0, store.RunQueued, ""},
			{1, 1, 2, 1, store.RunQueued, ""},
			{0, 0, 2, 1, store.RunQueued, ""},
			{2, 1, 0, 2, store.RunFailed, "2 task(s) failed"}, // the last tasks end the run
		} {
			got := get(t, s, func(tx store.Tx) (store.RunProgress, error) {
				return addProgress(ctx, tx, run.ID, step.done, step.failed)
			})
			want := store.RunProgress{ID: run.ID, State: step.wantState,
				TasksLeft: step.wantLeft, TasksFailed: step.wantFailed, Reason: step.wantReason,
				WorkflowID: run.WorkflowID, VersionID: run.VersionID}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("AddProgress(%d, %d) (-want +got):\n%s", step.done, step.failed, diff)
			}
		}
		stored := read(t, s, func(tx store.Tx) (store.Run, error) { return tx.Runs().Get(ctx, run.ID) })
		if stored.TasksLeft != 0 || stored.TasksFailed != 2 || stored.TasksTotal != 5 || stored.FinishedAt == 0 {
			t.Errorf("stored counters left=%d failed=%d total=%d finished_at %d, want 0, 2, 5 and a finish time",
				stored.TasksLeft, stored.TasksFailed, stored.TasksTotal, stored.FinishedAt)
		}
		// A run that already ended keeps its state (progress after a cancel).
		cancelled := newRun(t, s, func(r *store.NewRun) { r.TasksTotal = 1 })
		wantOK(t, "cancel", get(t, s, func(tx store.Tx) (bool, error) {
			return finishRun(ctx, tx, cancelled.ID, store.RunCancelled, "by test")
		}), true)
		got := get(t, s, func(tx store.Tx) (store.RunProgress, error) { return addProgress(ctx, tx, cancelled.ID, 1, 0) })
		if got.State != store.RunCancelled || got.TasksLeft != 0 || got.Reason != "by test" {
			t.Errorf("progress of a cancelled run: %+v, want it to stay cancelled", got)
		}
		succeeded := newRun(t, s, func(r *store.NewRun) { r.TasksTotal = 1 })
		got = get(t, s, func(tx store.Tx) (store.RunProgress, error) { return addProgress(ctx, tx, succeeded.ID, 1, 0) })
		if got.State != store.RunSucceeded || got.Reason != "" {
			t.Errorf("progress of the last task of a run: %+v, want it succeeded", got)
		}
		wantErr(t, "AddProgress(missing run)", txErr(t, s, func(tx store.Tx) error {
			_, err := addProgress(ctx, tx, run.ID+1000, 1, 0)
			return err
		}), store.ErrNotFound)
	})
}

func TestRunsFinish(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		finish := func(id int64, state, reason string) bool {
			return get(t, s, func(tx store.Tx) (bool, error) { return finishRun(ctx, tx, id, state, reason) })
		}
		getRun := func(id int64) store.Run {
			return read(t, s, func(tx store.Tx) (store.Run, error) { return tx.Runs().Get(ctx, id) })
		}
		for _, from := range []string{store.RunQueued, store.RunRunning, store.RunPaused} {
			t.Run("from "+from, func(t *testing.T) {
				run := newRun(t, s, inState(from))
				wantOK(t, "Finish", finish(run.ID, store.RunFailed, "task load failed"), true)
				done := getRun(run.ID)
				if done.State != store.RunFailed || done.Reason != "task load failed" || done.FinishedAt <= 0 {
					t.Errorf("after Finish: %q %q finished_at %d, want failed with the reason and a time",
						done.State, done.Reason, done.FinishedAt)
				}
				wantOK(t, "second Finish", finish(run.ID, store.RunSucceeded, "again"), false)
				if diff := cmp.Diff(done, getRun(run.ID)); diff != "" {
					t.Errorf("second Finish changed the run (-before +after):\n%s", diff)
				}
			})
		}
		for _, from := range []string{store.RunSucceeded, store.RunFailed, store.RunCancelled} {
			t.Run("from terminal "+from, func(t *testing.T) {
				run := newRun(t, s, inState(from))
				wantOK(t, "Finish", finish(run.ID, store.RunCancelled, "user"), false)
				if diff := cmp.Diff(run, getRun(run.ID)); diff != "" {
					t.Errorf("Finish of a terminal run changed it (-before +after):\n%s", diff)
				}
			})
		}
	})
}
