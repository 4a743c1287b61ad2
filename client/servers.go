package client

import (
	"context"
	"net/http"
	"time"
)

// Server is a server of the registry: every server records itself at
// start and refreshes its row every few seconds while it runs.
type Server struct {
	ID      string `json:"id"`
	Address string `json:"address"`
	Zone    string `json:"zone,omitempty"`
	Version string `json:"version"`
	// Alive: seen within the last ServerAliveWindow (by the database clock).
	Alive bool `json:"alive"`
	// Ready: the server took commits within its bound when last seen.
	Ready      bool      `json:"ready"`
	StartedAt  time.Time `json:"started_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	// SeenAgo is how long ago, in seconds, it was last seen.
	SeenAgo float64 `json:"seen_ago_seconds"`
}

// Servers lists every server recorded (those not seen for a day are
// forgotten), by zone and address.
func (c *Client) Servers(ctx context.Context) ([]Server, error) {
	var out Page[Server]
	err := c.do(ctx, http.MethodGet, "/api/v1/servers", nil, nil, &out)
	return out.Items, err
}
