package storetest

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/baton-sched/baton/internal/store"
)

func TestTriggers(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		down, _ := newWorkflow(t, s, "down")
		other, _ := newWorkflow(t, s, "other")
		do(t, s, func(tx store.Tx) error { return tx.Triggers().SetSubscriptions(ctx, down.ID, []string{"up", "gone"}) })
		do(t, s, func(tx store.Tx) error { return tx.Triggers().SetSubscriptions(ctx, down.ID, []string{"up"}) })
		do(t, s, func(tx store.Tx) error { return tx.Triggers().SetSubscriptions(ctx, other.ID, []string{"up"}) })
		subs := read(t, s, func(tx store.Tx) ([]store.Subscriber, error) { return tx.Triggers().Subscribers(ctx, "up") })
		if diff := cmp.Diff([]store.Subscriber{{ID: down.ID, Name: "down"}, {ID: other.ID, Name: "other"}}, subs); diff != "" {
			t.Errorf("subscribers (-want +got):\n%s", diff)
		}
		if gone := read(t, s, func(tx store.Tx) ([]store.Subscriber, error) { return tx.Triggers().Subscribers(ctx, "gone") }); len(gone) != 0 {
			t.Errorf("subscribers of a replaced upstream: %v", gone)
		}

		// A key is claimed once per workflow; another workflow has its own.
		nt := store.NewTrigger{WorkflowID: down.ID, Key: "run:7", Kind: "workflow_succeeded", UpstreamRunID: 7,
			UpstreamWorkflow: "up", Context: `{"kind":"workflow_succeeded"}`}
		var first store.Trigger
		do(t, s, func(tx store.Tx) error {
			var ok bool
			var err error
			first, ok, err = tx.Triggers().Claim(ctx, nt)
			if err == nil && !ok {
				err = errors.New("first claim refused")
			}
			if err != nil {
				return err
			}
			if _, again, err := tx.Triggers().Claim(ctx, nt); err != nil || again {
				return errors.Join(err, errors.New("second claim of the same key succeeded"))
			}
			nt.WorkflowID = other.ID
			if _, ok, err := tx.Triggers().Claim(ctx, nt); err != nil || !ok {
				return errors.Join(err, errors.New("claim by another workflow refused"))
			}
			return tx.Triggers().SetRun(ctx, first.ID, 99, "")
		})
		got := read(t, s, func(tx store.Tx) (store.Trigger, error) { return tx.Triggers().OfRun(ctx, 99) })
		if got.ID != first.ID || got.UpstreamRunID != 7 || got.Context != `{"kind":"workflow_succeeded"}` {
			t.Errorf("OfRun = %+v", got)
		}
		if n := len(read(t, s, func(tx store.Tx) ([]store.Trigger, error) { return tx.Triggers().OfUpstream(ctx, 7) })); n != 2 {
			t.Errorf("%d triggers of upstream run 7, want 2", n)
		}

		// Webhook tokens: one per workflow, a new one replaces the old.
		do(t, s, func(tx store.Tx) error { return tx.Triggers().SetWebhookToken(ctx, down.ID, "h1", "user:a") })
		do(t, s, func(tx store.Tx) error { return tx.Triggers().SetWebhookToken(ctx, down.ID, "h2", "user:b") })
		err := s.Read(ctx, func(tx store.Tx) error { _, err := tx.Triggers().WebhookByHash(ctx, "h1"); return err })
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("replaced token: %v, want not found", err)
		}
		wt := read(t, s, func(tx store.Tx) (store.WebhookToken, error) { return tx.Triggers().WebhookByHash(ctx, "h2") })
		if wt.WorkflowID != down.ID || wt.Workflow != "down" || wt.CreatedBy != "user:b" {
			t.Errorf("token = %+v", wt)
		}
	})
}
