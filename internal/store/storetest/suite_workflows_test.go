package storetest

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/baton-sched/baton/internal/store"
)

func TestWorkflowsUpsertIsIdempotent(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		upsert := func(name string) store.Workflow {
			return get(t, s, func(tx store.Tx) (store.Workflow, error) { return tx.Workflows().Upsert(t.Context(), name) })
		}
		first := upsert("etl")
		if first.ID == 0 || first.Name != "etl" || first.CreatedAt <= 0 || first.LatestVersion != 0 {
			t.Fatalf("first upsert = %+v, want a fresh workflow named etl", first)
		}
		if diff := cmp.Diff(first, upsert("etl")); diff != "" {
			t.Errorf("second upsert of the same name (-first +second):\n%s", diff)
		}
		if other := upsert("etl-2"); other.ID == first.ID {
			t.Errorf("upsert of another name reused ID %d", first.ID)
		}
		got := read(t, s, func(tx store.Tx) (store.Workflow, error) { return tx.Workflows().Get(t.Context(), "etl") })
		if diff := cmp.Diff(first, got); diff != "" {
			t.Errorf("Get after upserts (-want +got):\n%s", diff)
		}
	})
}

func TestWorkflowsVersions(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		wf := get(t, s, func(tx store.Tx) (store.Workflow, error) { return tx.Workflows().Upsert(ctx, "nightly") })
		insert := func(n int64) store.Version {
			nv := store.NewVersion{
				WorkflowID: wf.ID, Version: n, Digest: fmt.Sprintf("sha-%d", n),
				Spec: fmt.Sprintf(`{"v":%d}`, n), Source: "name: nightly\n", CreatedBy: "alice",
			}
			v := get(t, s, func(tx store.Tx) (store.Version, error) { return tx.Workflows().InsertVersion(ctx, nv) })
			want := store.Version{
				WorkflowID: nv.WorkflowID, Version: nv.Version, Digest: nv.Digest, Spec: nv.Spec,
				Source: nv.Source, CreatedBy: nv.CreatedBy,
			}
			if diff := cmp.Diff(want, v, cmpopts.IgnoreFields(store.Version{}, "ID", "CreatedAt")); diff != "" {
				t.Errorf("InsertVersion(%d) (-want +got):\n%s", n, diff)
			}
			if v.ID == 0 || v.CreatedAt <= 0 {
				t.Errorf("InsertVersion(%d): ID %d, CreatedAt %d, want both set", n, v.ID, v.CreatedAt)
			}
			return v
		}
		v1, v2 := insert(1), insert(2)

		do(t, s, func(tx store.Tx) error { return tx.Workflows().SetLatest(ctx, wf.ID, v2.ID, v2.Version, v2.Digest) })
		got := read(t, s, func(tx store.Tx) (store.Workflow, error) { return tx.Workflows().Get(ctx, "nightly") })
		want := wf
		want.LatestVersion, want.LatestVersionID, want.LatestDigest = 2, v2.ID, v2.Digest
		if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(store.Workflow{}, "UpdatedAt")); diff != "" {
			t.Errorf("Get after SetLatest (-want +got):\n%s", diff)
		}
		if got.UpdatedAt < wf.UpdatedAt {
			t.Errorf("UpdatedAt went back from %d to %d", wf.UpdatedAt, got.UpdatedAt)
		}

		byID := read(t, s, func(tx store.Tx) (store.Version, error) { return tx.Workflows().Version(ctx, v1.ID) })
		if diff := cmp.Diff(v1, byID); diff != "" {
			t.Errorf("Version(id) (-want +got):\n%s", diff)
		}
		byNumber := read(t, s, func(tx store.Tx) (store.Version, error) {
			return tx.Workflows().VersionByNumber(ctx, wf.ID, 2)
		})
		if diff := cmp.Diff(v2, byNumber); diff != "" {
			t.Errorf("VersionByNumber (-want +got):\n%s", diff)
		}
		all := read(t, s, func(tx store.Tx) ([]store.Version, error) { return tx.Workflows().Versions(ctx, wf.ID) })
		if diff := cmp.Diff([]store.Version{v2, v1}, all); diff != "" {
			t.Errorf("Versions, newest first (-want +got):\n%s", diff)
		}
	})
}

func TestWorkflowsVersionConflict(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		wf, v1 := newWorkflow(t, s, "dup")
		err := txErr(t, s, func(tx store.Tx) error {
			_, err := tx.Workflows().InsertVersion(ctx, store.NewVersion{WorkflowID: wf.ID, Version: 1, Digest: "other", Spec: "{}"})
			return err
		})
		wantErr(t, "second version 1 of one workflow", err, store.ErrConflict)
		kept := read(t, s, func(tx store.Tx) (store.Version, error) { return tx.Workflows().VersionByNumber(ctx, wf.ID, 1) })
		if diff := cmp.Diff(v1, kept); diff != "" {
			t.Errorf("version 1 after the refused insert (-want +got):\n%s", diff)
		}

		// Version numbers are per workflow: another workflow has its own 1.
		other := get(t, s, func(tx store.Tx) (store.Workflow, error) { return tx.Workflows().Upsert(ctx, "other") })
		do(t, s, func(tx store.Tx) error {
			_, err := tx.Workflows().InsertVersion(ctx, store.NewVersion{WorkflowID: other.ID, Version: 1, Digest: "d", Spec: "{}"})
			return err
		})
	})
}

func TestWorkflowsNotFound(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		wf, v := newWorkflow(t, s, "present")
		for _, tc := range []struct {
			name string
			call func(tx store.Tx) error
		}{
			{"Get", func(tx store.Tx) error { _, err := tx.Workflows().Get(t.Context(), "absent"); return err }},
			{"Version", func(tx store.Tx) error { _, err := tx.Workflows().Version(t.Context(), v.ID+1000); return err }},
			{"VersionByNumber", func(tx store.Tx) error {
				_, err := tx.Workflows().VersionByNumber(t.Context(), wf.ID, 42)
				return err
			}},
			{"VersionByNumber/other workflow", func(tx store.Tx) error {
				_, err := tx.Workflows().VersionByNumber(t.Context(), wf.ID+1000, 1)
				return err
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantErr(t, tc.name, s.Read(t.Context(), tc.call), store.ErrNotFound)
			})
		}
		none := read(t, s, func(tx store.Tx) ([]store.Version, error) { return tx.Workflows().Versions(t.Context(), wf.ID+1000) })
		if len(none) != 0 {
			t.Errorf("Versions of a missing workflow = %v, want none", none)
		}
	})
}

func TestWorkflowsList(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		do(t, s, func(tx store.Tx) error {
			for _, name := range []string{"c", "a", "e", "b", "d"} {
				if _, err := tx.Workflows().Upsert(t.Context(), name); err != nil {
					return err
				}
			}
			return nil
		})
		for _, tc := range []struct {
			name  string
			after string
			limit int64
			want  []string
		}{
			{"all by name", "", 10, []string{"a", "b", "c", "d", "e"}},
			{"limit", "", 2, []string{"a", "b"}},
			{"next page", "b", 2, []string{"c", "d"}},
			{"after a name that does not exist", "bb", 10, []string{"c", "d", "e"}},
			{"past the end", "e", 10, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wfs := read(t, s, func(tx store.Tx) ([]store.Workflow, error) {
					return tx.Workflows().List(t.Context(), tc.after, tc.limit)
				})
				var names []string
				for _, w := range wfs {
					names = append(names, w.Name)
				}
				if diff := cmp.Diff(tc.want, names); diff != "" {
					t.Errorf("List(%q, %d) names (-want +got):\n%s", tc.after, tc.limit, diff)
				}
			})
		}
	})
}
