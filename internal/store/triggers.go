package store

import "context"

// Triggers stores event triggers: which workflows listen to which
// upstream workflow's successes, the record of every event that fired
// (unique per workflow and event: exactly once by constraint), and the
// webhook token of each workflow (its SHA-256 only).
type Triggers interface {
	// SetSubscriptions replaces the upstream names a workflow listens to.
	SetSubscriptions(ctx context.Context, workflowID int64, upstreams []string) error
	// Subscribers returns the workflows (not deleted) that listen to
	// upstream, by name.
	Subscribers(ctx context.Context, upstream string) ([]Subscriber, error)
	// Subscriptions returns every (upstream, workflow) pair, for the cycle
	// check of apply.
	Subscriptions(ctx context.Context) ([]Subscription, error)
	// Claim records an event for a workflow; false (and nothing written)
	// if that workflow's trigger key is already recorded.
	Claim(ctx context.Context, t NewTrigger) (Trigger, bool, error)
	// SetRun records the run a claimed event started (0: none, and why).
	SetRun(ctx context.Context, id, runID int64, reason string) error
	// ByKey returns the event recorded for a workflow's key; ErrNotFound
	// if none.
	ByKey(ctx context.Context, workflowID int64, key string) (Trigger, error)
	// OfRun returns the event that started a run; ErrNotFound if none.
	OfRun(ctx context.Context, runID int64) (Trigger, error)
	// OfUpstream returns the events an upstream run's success fired.
	OfUpstream(ctx context.Context, upstreamRunID int64) ([]Trigger, error)
	// SetWebhookToken creates or replaces the webhook token of a workflow.
	SetWebhookToken(ctx context.Context, workflowID int64, hash, actor string) error
	// WebhookByHash returns the webhook token with the hash, with its
	// workflow's name; ErrNotFound if none (or its workflow is deleted).
	WebhookByHash(ctx context.Context, hash string) (WebhookToken, error)
	// WebhookOf returns a workflow's webhook token; ErrNotFound if none.
	WebhookOf(ctx context.Context, workflowID int64) (WebhookToken, error)
	// DeleteWebhookToken removes a workflow's webhook token; false if none.
	DeleteWebhookToken(ctx context.Context, workflowID int64) (bool, error)
}

// Subscriber is a workflow that listens to an upstream workflow.
type Subscriber struct {
	ID       int64
	Name     string
	Disabled bool
}

// Subscription is one upstream name a workflow listens to.
type Subscription struct {
	Upstream string
	Workflow string
}

// NewTrigger is an event about to be recorded.
type NewTrigger struct {
	WorkflowID int64
	// Key is unique per workflow: "run:<upstream run id>",
	// "webhook:key:<Idempotency-Key>", "webhook:<random>".
	Key              string
	Kind             string
	UpstreamRunID    int64
	UpstreamWorkflow string
	// Depth counts the triggers before this one in a chain (0: the
	// upstream run was not itself started by a workflow trigger).
	Depth int64
	// Context is the JSON the run's templates read as trigger.*.
	Context string
	Reason  string
}

// Trigger is a recorded event.
type Trigger struct {
	ID               int64
	WorkflowID       int64
	Key              string
	Kind             string
	RunID            int64
	UpstreamRunID    int64
	UpstreamWorkflow string
	Depth            int64
	Context          string
	Reason           string
	CreatedAt        int64
}

// WebhookToken is the webhook token of a workflow (never its secret).
type WebhookToken struct {
	WorkflowID int64
	Workflow   string
	CreatedBy  string
	CreatedAt  int64
}
