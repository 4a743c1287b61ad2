package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/baton-sched/baton/internal/store"
)

func TestQueueDepth(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		depth := func() []store.QueueDepth {
			return read(t, s, func(tx store.Tx) ([]store.QueueDepth, error) { return tx.Stats().QueueDepth(ctx) })
		}
		if got := depth(); len(got) != 0 {
			t.Fatalf("QueueDepth of an empty store = %+v", got)
		}
		run := newRun(t, s)
		insertTasks(t, s, run.ID,
			store.NewTask{Idx: 0},
			store.NewTask{Idx: 1},
			store.NewTask{Idx: 2, Group: "gpu", ZonesAllow: ",a,b,"},
			store.NewTask{Idx: 3, State: store.TaskPending},
			store.NewTask{Idx: 4, State: store.TaskRetryWait})
		held := newRun(t, s)
		insertTasks(t, s, held.ID, store.NewTask{Idx: 0})
		do(t, s, func(tx store.Tx) error { return tx.Tasks().HoldRun(ctx, held.ID, true) })

		got := depth()
		for _, q := range got {
			if q.OldestMs < 0 || q.OldestMs > 60_000 {
				t.Errorf("%s/%s oldest %d ms, want a small figure", q.Group, q.ZonesAllow, q.OldestMs)
			}
		}
		want := []store.QueueDepth{{Group: "default", Tasks: 2}, {Group: "gpu", ZonesAllow: ",a,b,", Tasks: 1}}
		less := func(a, b store.QueueDepth) bool { return a.Group < b.Group }
		if diff := cmp.Diff(want, got, cmpopts.SortSlices(less), cmpopts.IgnoreFields(store.QueueDepth{}, "OldestMs")); diff != "" {
			t.Errorf("QueueDepth: queued tasks not held, per group and zones (-want +got):\n%s", diff)
		}
	})
}

func TestUndeliveredAlerts(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		do(t, s, func(tx store.Tx) error {
			for _, id := range []string{"a1", "a2", "a3"} {
				if err := tx.Alerts().Insert(ctx, id, "ops", "zone.down", "{}"); err != nil {
					return err
				}
			}
			return nil
		})
		leased := get(t, s, func(tx store.Tx) ([]store.Alert, error) { return tx.Alerts().Lease(ctx, 1, 60_000) })
		if len(leased) != 1 {
			t.Fatalf("leased %d alerts, want 1", len(leased))
		}
		do(t, s, func(tx store.Tx) error { return tx.Alerts().Retry(ctx, leased[0].ID, "failed", "refused", 0) })
		got := read(t, s, func(tx store.Tx) ([]store.AlertBacklog, error) { return tx.Stats().UndeliveredAlerts(ctx) })
		want := []store.AlertBacklog{{State: "failed", Alerts: 1}, {State: "pending", Alerts: 2}}
		less := func(a, b store.AlertBacklog) bool { return a.State < b.State }
		if diff := cmp.Diff(want, got, cmpopts.SortSlices(less), cmpopts.IgnoreFields(store.AlertBacklog{}, "OldestMs")); diff != "" {
			t.Errorf("UndeliveredAlerts (-want +got):\n%s", diff)
		}
	})
}
