package client

import (
	"context"
	"net/http"
	"net/url"
	"time"
)

// WebhookToken is a workflow's new webhook token: the secret is shown
// once, only the server's hash of it is kept.
type WebhookToken struct {
	Workflow  string    `json:"workflow"`
	Token     string    `json:"token" doc:"The secret: send it as Authorization: Bearer <token> to the URL. Shown once."`
	Path      string    `json:"path" doc:"The webhook's path on any server: /api/v1/hooks/NAME"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// WebhookStarted is the answer to a webhook call.
type WebhookStarted struct {
	Workflow string `json:"workflow"`
	RunID    int64  `json:"run_id"`
	Created  bool   `json:"created" doc:"False when an Idempotency-Key repeated an earlier call: its run"`
}

// CreateWebhookToken creates, or replaces (rotation), the webhook token
// of a workflow; the old token stops working at once.
func (c *Client) CreateWebhookToken(ctx context.Context, workflow string) (WebhookToken, error) {
	var out WebhookToken
	err := c.do(ctx, http.MethodPost, "/api/v1/workflows/"+url.PathEscape(workflow)+"/webhook-token", nil, nil, &out)
	return out, err
}

// DeleteWebhookToken removes the webhook token of a workflow: its
// webhook answers 401 until a new token is created.
func (c *Client) DeleteWebhookToken(ctx context.Context, workflow string) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/workflows/"+url.PathEscape(workflow)+"/webhook-token", nil, nil, nil)
}
