package client

import (
	"context"
	"net/http"
	"net/url"
	"time"
)

// AlertChannel is a webhook subscribed to event kinds.
type AlertChannel struct {
	Name string `json:"name"`
	URL  string `json:"url"`
	// Events are event kinds ("run.failed") or prefixes ("zone.*").
	Events []string `json:"events"`
	// Secret, when set, signs each delivery: X-Baton-Signature is
	// "sha256=" and the hex HMAC-SHA256 of the body. Never returned.
	Secret    string `json:"secret,omitempty" writeOnly:"true"`
	HasSecret bool   `json:"has_secret" readOnly:"true"`
}

// PendingAlert is an alert not delivered yet.
type PendingAlert struct {
	AlertID   string    `json:"alert_id"`
	Channel   string    `json:"channel"`
	Kind      string    `json:"kind"`
	State     string    `json:"state" enum:"pending,failed" doc:"failed: given up after 20 attempts"`
	Attempts  int64     `json:"attempts"`
	NextAt    time.Time `json:"next_at"`
	LastError string    `json:"last_error,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Alerts is the channels and the alerts not delivered yet.
type Alerts struct {
	Channels []AlertChannel `json:"channels"`
	Pending  []PendingAlert `json:"pending"`
}

// Alerts returns the channels and up to 1000 undelivered alerts.
func (c *Client) Alerts(ctx context.Context) (Alerts, error) {
	var out Alerts
	err := c.do(ctx, http.MethodGet, "/api/v1/alerts", nil, nil, &out)
	return out, err
}

// SetAlertChannel creates or replaces a channel.
func (c *Client) SetAlertChannel(ctx context.Context, ch AlertChannel) (AlertChannel, error) {
	var out AlertChannel
	err := c.do(ctx, http.MethodPut, "/api/v1/alerts/channels/"+url.PathEscape(ch.Name), nil, ch, &out)
	return out, err
}

// DeleteAlertChannel removes a channel.
func (c *Client) DeleteAlertChannel(ctx context.Context, name string) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/alerts/channels/"+url.PathEscape(name), nil, nil, nil)
}
