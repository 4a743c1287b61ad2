package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/baton-sched/baton/internal/store"
)

func TestStartRecords(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		wf, _ := newWorkflow(t, s, "keyed")
		other, _ := newWorkflow(t, s, "other")
		rec := store.StartRecord{WorkflowID: wf.ID, Key: "k1", BodyHash: "h1", RunIDs: []int64{7, 8, 9, 3, 9}}
		record := func(r store.StartRecord) bool {
			return get(t, s, func(tx store.Tx) (bool, error) { return tx.Runs().RecordStart(ctx, r) })
		}
		if !record(rec) {
			t.Fatal("first record refused")
		}
		again := rec
		again.BodyHash, again.RunIDs = "h2", []int64{1}
		if record(again) {
			t.Error("a second record of the same key was written")
		}
		if !record(store.StartRecord{WorkflowID: other.ID, Key: "k1", BodyHash: "h3", RunIDs: []int64{5}}) {
			t.Error("the same key of another workflow refused")
		}
		got := read(t, s, func(tx store.Tx) (store.StartRecord, error) { return tx.Runs().StartRecord(ctx, wf.ID, "k1") })
		if got.CreatedAt == 0 {
			t.Error("no creation time")
		}
		got.CreatedAt = 0
		if diff := cmp.Diff(rec, got); diff != "" {
			t.Errorf("record (-want +got):\n%s", diff)
		}
		err := s.Read(ctx, func(tx store.Tx) error { _, err := tx.Runs().StartRecord(ctx, wf.ID, "k2"); return err })
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown key: %v, want ErrNotFound", err)
		}

		// Retention deletes the old ones, oldest first, in bounded batches.
		for i := range 3 {
			record(store.StartRecord{WorkflowID: wf.ID, Key: fmt.Sprintf("old-%d", i), BodyHash: "h", RunIDs: []int64{1}})
		}
		now := time.Now().UnixMilli()
		Exec(t, s, fmt.Sprintf("UPDATE start_requests SET created_at = %d WHERE request_key LIKE 'old-%%'", now-2*day))
		del := func(limit int64) int64 {
			return get(t, s, func(tx store.Tx) (int64, error) { return tx.Retention().DeleteStartRecords(ctx, day, limit) })
		}
		if n := del(2); n != 2 {
			t.Errorf("deleted %d, want 2 (the limit)", n)
		}
		if n := del(10); n != 1 {
			t.Errorf("deleted %d, want the last old one", n)
		}
		if n := Int(t, s, "SELECT COUNT(*) FROM start_requests"); n != 2 {
			t.Errorf("%d records left, want the 2 young ones", n)
		}
	})
}
