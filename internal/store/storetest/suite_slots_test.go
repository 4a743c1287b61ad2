package storetest

import (
	"slices"
	"testing"

	"github.com/baton-sched/baton/internal/store"
)

func TestSlots(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		if n := read(t, s, func(tx store.Tx) (int64, error) { return tx.Slots().Count(ctx) }); n != 0 {
			t.Fatalf("a fresh store has %d slots", n)
		}
		got := get(t, s, func(tx store.Tx) (store.Slot, error) {
			return tx.Slots().Upsert(ctx, store.Slot{Name: "db", Size: 2, Description: "pool"})
		})
		if got.Name != "db" || got.Size != 2 || got.Description != "pool" || got.UpdatedAt == 0 {
			t.Errorf("Upsert returned %+v", got)
		}
		run := newRun(t, s)
		ts := insertTasks(t, s, run.ID,
			store.NewTask{Idx: 0, Name: "a", Slot: "db"},
			store.NewTask{Idx: 1, Name: "b", Slot: "db"},
			store.NewTask{Idx: 2, Name: "free"},
			store.NewTask{Idx: 3, Name: "other", Slot: "nope"},
		)
		if ts[0].Slot != "db" || ts[2].Slot != "" {
			t.Errorf("stored slots %q and %q", ts[0].Slot, ts[2].Slot)
		}
		markRunning(t, s, ts[0].ID, 1)
		names := func(open string) []string {
			var out []string
			for _, c := range candidates(t, s, store.CandidateFilter{Group: "default", Zone: "z", WorkerLabels: "{}",
				OpenSlots: open, Limit: 10}) {
				out = append(out, c.Name+"/"+c.Slot)
			}
			return out
		}
		if got := names(""); !slices.Equal(got, []string{"free/"}) {
			t.Errorf("candidates with no open slot: %v, want only the task without a slot", got)
		}
		if got := names(",x,db,"); !slices.Equal(got, []string{"b/db", "free/"}) {
			t.Errorf("candidates with db open: %v", got)
		}
		infos := read(t, s, func(tx store.Tx) ([]store.SlotInfo, error) { return tx.Slots().List(ctx) })
		if len(infos) != 1 || infos[0].Running != 1 || infos[0].Queued != 1 {
			t.Errorf("List: %+v, want db with 1 running and 1 queued", infos)
		}
		usage := read(t, s, func(tx store.Tx) ([]store.SlotUsage, error) { return tx.Slots().Usage(ctx) })
		if !slices.Equal(usage, []store.SlotUsage{{Name: "db", Size: 2, Running: 1}}) {
			t.Errorf("Usage: %+v", usage)
		}
		do(t, s, func(tx store.Tx) error {
			if size, err := tx.Slots().Lock(ctx, "db"); err != nil || size != 2 {
				t.Errorf("Lock(db) = %d, %v", size, err)
			}
			if n, err := tx.Slots().Running(ctx, "db"); err != nil || n != 1 {
				t.Errorf("Running(db) = %d, %v", n, err)
			}
			_, err := tx.Slots().Lock(ctx, "nope")
			wantErr(t, "Lock of a missing slot", err, store.ErrNotFound)
			return nil
		})
		wantOK(t, "Delete(db)", get(t, s, func(tx store.Tx) (bool, error) { return tx.Slots().Delete(ctx, "db") }), true)
		wantOK(t, "Delete(db) again", get(t, s, func(tx store.Tx) (bool, error) { return tx.Slots().Delete(ctx, "db") }), false)
	})
}
