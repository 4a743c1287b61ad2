// This file is dialect-neutral: `make generate` copies it to
// ../postgres/triggers_gen.go with the other generated package imported as db.
// Edit it here only.

package sqlite

import (
	"context"

	"github.com/baton-sched/baton/internal/store"
	db "github.com/baton-sched/baton/internal/store/sqlitedb"
)

func (t *tx) Triggers() store.Triggers { return triggers{t.q} }

type triggers struct{ q *db.Queries }

func toTrigger(r db.RunTrigger) store.Trigger {
	return store.Trigger{ID: r.ID, WorkflowID: r.WorkflowID, Key: r.TriggerKey, Kind: r.Kind, RunID: r.RunID,
		UpstreamRunID: r.UpstreamRunID, UpstreamWorkflow: r.UpstreamWorkflow, Depth: r.Depth, Context: r.Context,
		Reason: r.Reason, CreatedAt: r.CreatedAt}
}

func (k triggers) SetSubscriptions(ctx context.Context, workflowID int64, upstreams []string) error {
	if err := k.q.DeleteSubscriptions(ctx, workflowID); err != nil {
		return mapErr(err)
	}
	for _, u := range upstreams {
		if err := k.q.InsertSubscription(ctx, db.InsertSubscriptionParams{Upstream: u, WorkflowID: workflowID}); err != nil {
			return mapErr(err)
		}
	}
	return nil
}

func (k triggers) Subscribers(ctx context.Context, upstream string) ([]store.Subscriber, error) {
	return many(func(r db.SubscribersRow) store.Subscriber { return store.Subscriber(r) })(k.q.Subscribers(ctx, upstream))
}

func (k triggers) Subscriptions(ctx context.Context) ([]store.Subscription, error) {
	return many(func(r db.AllSubscriptionsRow) store.Subscription { return store.Subscription(r) })(k.q.AllSubscriptions(ctx))
}

func (k triggers) Claim(ctx context.Context, t store.NewTrigger) (store.Trigger, bool, error) {
	rows, err := k.q.ClaimTrigger(ctx, db.ClaimTriggerParams{WorkflowID: t.WorkflowID, TriggerKey: t.Key, Kind: t.Kind,
		UpstreamRunID: t.UpstreamRunID, UpstreamWorkflow: t.UpstreamWorkflow, Depth: t.Depth, Context: t.Context,
		Reason: t.Reason})
	if err != nil || len(rows) == 0 {
		return store.Trigger{}, false, mapErr(err)
	}
	return toTrigger(rows[0]), true, nil
}

func (k triggers) SetRun(ctx context.Context, id, runID int64, reason string) error {
	return mapErr(k.q.SetTriggerRun(ctx, db.SetTriggerRunParams{RunID: runID, Reason: reason, ID: id}))
}

func (k triggers) ByKey(ctx context.Context, workflowID int64, key string) (store.Trigger, error) {
	return one(toTrigger)(k.q.TriggerByKey(ctx, db.TriggerByKeyParams{WorkflowID: workflowID, TriggerKey: key}))
}

func (k triggers) OfRun(ctx context.Context, runID int64) (store.Trigger, error) {
	return one(toTrigger)(k.q.TriggerOfRun(ctx, runID))
}

func (k triggers) OfUpstream(ctx context.Context, upstreamRunID int64) ([]store.Trigger, error) {
	return many(toTrigger)(k.q.TriggersOfUpstream(ctx, upstreamRunID))
}

func (k triggers) SetWebhookToken(ctx context.Context, workflowID int64, hash, actor string) error {
	return mapErr(k.q.UpsertWebhookToken(ctx, db.UpsertWebhookTokenParams{WorkflowID: workflowID, Hash: hash,
		CreatedBy: actor}))
}

func (k triggers) WebhookByHash(ctx context.Context, hash string) (store.WebhookToken, error) {
	return one(func(r db.WebhookTokenByHashRow) store.WebhookToken { return store.WebhookToken(r) })(
		k.q.WebhookTokenByHash(ctx, hash))
}

func (k triggers) WebhookOf(ctx context.Context, workflowID int64) (store.WebhookToken, error) {
	return one(func(r db.WebhookTokenOfRow) store.WebhookToken {
		return store.WebhookToken{WorkflowID: r.WorkflowID, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt}
	})(k.q.WebhookTokenOf(ctx, workflowID))
}

func (k triggers) DeleteWebhookToken(ctx context.Context, workflowID int64) (bool, error) {
	return affected(k.q.DeleteWebhookToken(ctx, workflowID))
}
