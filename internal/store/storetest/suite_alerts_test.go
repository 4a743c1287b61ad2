package storetest

import (
	"testing"

	"github.com/baton-sched/baton/internal/store"
)

func TestAlertOutbox(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		c := get(t, s, func(tx store.Tx) (store.AlertChannel, error) {
			return tx.Alerts().UpsertChannel(ctx, store.AlertChannel{Name: "ops", URL: "http://a", Events: "run.failed"})
		})
		c2 := get(t, s, func(tx store.Tx) (store.AlertChannel, error) {
			return tx.Alerts().UpsertChannel(ctx, store.AlertChannel{Name: "ops", URL: "http://b", Secret: "k", Events: "zone.*"})
		})
		if c.CreatedAt == 0 || c2.URL != "http://b" || c2.Secret != "k" || c2.Events != "zone.*" {
			t.Errorf("upsert: %+v then %+v", c, c2)
		}
		do(t, s, func(tx store.Tx) error {
			for _, id := range []string{"a1", "a2", "a3"} {
				if err := tx.Alerts().Insert(ctx, id, "ops", "zone.down", `{"x":1}`); err != nil {
					return err
				}
			}
			return nil
		})
		wantErr(t, "Insert(duplicate alert id)", txErr(t, s, func(tx store.Tx) error {
			return tx.Alerts().Insert(ctx, "a1", "ops", "zone.down", "{}")
		}), store.ErrConflict)
		leased := get(t, s, func(tx store.Tx) ([]store.Alert, error) { return tx.Alerts().Lease(ctx, 2, 60_000) })
		if len(leased) != 2 || leased[0].AlertID != "a1" || leased[0].Payload != `{"x":1}` {
			t.Fatalf("first lease: %+v", leased)
		}
		// Leased alerts are not leased again before their lease ends.
		again := get(t, s, func(tx store.Tx) ([]store.Alert, error) { return tx.Alerts().Lease(ctx, 10, 60_000) })
		if len(again) != 1 || again[0].AlertID != "a3" {
			t.Errorf("second lease: %+v, want only a3", again)
		}
		do(t, s, func(tx store.Tx) error {
			if err := tx.Alerts().Delete(ctx, leased[0].ID); err != nil {
				return err
			}
			if err := tx.Alerts().Retry(ctx, leased[1].ID, "pending", "503", 0); err != nil {
				return err
			}
			return tx.Alerts().Retry(ctx, again[0].ID, "failed", "gave up", 0)
		})
		due := get(t, s, func(tx store.Tx) ([]store.Alert, error) { return tx.Alerts().Lease(ctx, 10, 60_000) })
		if len(due) != 1 || due[0].AlertID != "a2" || due[0].Attempts != 1 || due[0].LastError != "503" {
			t.Errorf("lease after retry: %+v, want a2 with one attempt (a3 given up)", due)
		}
		all := read(t, s, func(tx store.Tx) ([]store.Alert, error) { return tx.Alerts().List(ctx, 10) })
		if len(all) != 2 || all[1].State != "failed" {
			t.Errorf("List: %+v", all)
		}
		wantOK(t, "DeleteChannel", get(t, s, func(tx store.Tx) (bool, error) { return tx.Alerts().DeleteChannel(ctx, "ops") }), true)
		wantOK(t, "DeleteChannel again", get(t, s, func(tx store.Tx) (bool, error) { return tx.Alerts().DeleteChannel(ctx, "ops") }), false)
	})
}
