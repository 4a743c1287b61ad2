package storetest

import (
	"errors"
	"testing"

	"github.com/baton-sched/baton/internal/store"
)

func TestWorkflowsDisableAndDelete(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		wf := get(t, s, func(tx store.Tx) (store.Workflow, error) { return tx.Workflows().Upsert(ctx, "etl") })
		v := get(t, s, func(tx store.Tx) (store.Version, error) {
			return tx.Workflows().InsertVersion(ctx, store.NewVersion{WorkflowID: wf.ID, Version: 1, Digest: "d1", Spec: "{}"})
		})
		do(t, s, func(tx store.Tx) error { return tx.Workflows().SetLatest(ctx, wf.ID, v.ID, 1, "d1") })
		if wf.Disabled || wf.DeletedAt != 0 {
			t.Fatalf("new workflow: disabled %v, deleted at %d; want enabled, not deleted", wf.Disabled, wf.DeletedAt)
		}
		setDisabled := func(d bool) bool {
			return get(t, s, func(tx store.Tx) (bool, error) { return tx.Workflows().SetDisabled(ctx, wf.ID, d) })
		}
		lookup := func() (store.Workflow, error) {
			var got store.Workflow
			err := s.Read(ctx, func(tx store.Tx) (err error) {
				got, err = tx.Workflows().Get(ctx, "etl")
				return err
			})
			return got, err
		}
		if !setDisabled(true) {
			t.Error("SetDisabled(true) of an enabled workflow = false, want true")
		}
		if setDisabled(true) {
			t.Error("SetDisabled(true) twice = true, want false the second time")
		}
		if got, err := lookup(); err != nil || !got.Disabled {
			t.Errorf("Get after disable = %+v, %v; want Disabled", got, err)
		}
		if !setDisabled(false) {
			t.Error("SetDisabled(false) of a disabled workflow = false, want true")
		}
		setDisabled(true) // delete also enables

		if !get(t, s, func(tx store.Tx) (bool, error) { return tx.Workflows().Delete(ctx, wf.ID) }) {
			t.Fatal("Delete = false, want true")
		}
		if get(t, s, func(tx store.Tx) (bool, error) { return tx.Workflows().Delete(ctx, wf.ID) }) {
			t.Error("Delete twice = true, want false the second time")
		}
		if _, err := lookup(); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get of a deleted workflow: %v, want ErrNotFound", err)
		}
		list := read(t, s, func(tx store.Tx) ([]store.Workflow, error) { return tx.Workflows().List(ctx, "", 10) })
		if len(list) != 0 {
			t.Errorf("List after delete = %+v, want none", list)
		}
		if setDisabled(true) {
			t.Error("SetDisabled of a deleted workflow = true, want false")
		}
		gone := get(t, s, func(tx store.Tx) (store.Workflow, error) { return tx.Workflows().Upsert(ctx, "etl") })
		if gone.ID != wf.ID || gone.DeletedAt <= 0 || gone.Disabled || gone.LatestDigest != "" || gone.LatestVersion != 1 {
			t.Errorf("Upsert of a deleted workflow = %+v; want the same row, deleted, enabled, no digest, version 1", gone)
		}
		// A new version brings it back.
		v2 := get(t, s, func(tx store.Tx) (store.Version, error) {
			return tx.Workflows().InsertVersion(ctx, store.NewVersion{WorkflowID: wf.ID, Version: 2, Digest: "d2", Spec: "{}"})
		})
		do(t, s, func(tx store.Tx) error { return tx.Workflows().SetLatest(ctx, wf.ID, v2.ID, 2, "d2") })
		back, err := lookup()
		if err != nil || back.DeletedAt != 0 || back.LatestVersion != 2 || back.Disabled {
			t.Errorf("Get after a new version = %+v, %v; want it back at version 2, enabled", back, err)
		}
	})
}

func TestTasksCarry(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		run := newRun(t, s)
		ts := insertTasks(t, s, run.ID,
			store.NewTask{Idx: 0, Name: "a", State: store.TaskPending, Group: "default", CU: 1},
			store.NewTask{Idx: 1, Name: "b", State: store.TaskQueued, Group: "default", CU: 1})
		carry := func(id int64) bool {
			return get(t, s, func(tx store.Tx) (bool, error) {
				return tx.Tasks().Carry(ctx, id, store.TaskSucceeded, "carried from run 1", `{"rows":"3"}`)
			})
		}
		wantOK(t, "Carry of a pending task", carry(ts[0].ID), true)
		got := getTask(t, s, ts[0].ID)
		if got.State != store.TaskSucceeded || got.Outputs != `{"rows":"3"}` || got.Reason != "carried from run 1" || got.FinishedAt <= 0 {
			t.Errorf("carried task = %+v, want succeeded with the outputs, reason and a finish time", got)
		}
		wantOK(t, "Carry of a finished task", carry(ts[0].ID), false)
		wantOK(t, "Carry of a queued task", carry(ts[1].ID), false)
	})
}
