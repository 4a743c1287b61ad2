package client

import (
	"context"
	"net/http"
	"net/url"
	"time"
)

// Slot is a named concurrency limit shared across workflows (like an
// Airflow pool): at most Size tasks naming it run at once.
type Slot struct {
	Name        string    `json:"name" readOnly:"true"`
	Size        int64     `json:"size" minimum:"0" maximum:"1000000"`
	Description string    `json:"description,omitempty"`
	Running     int64     `json:"running" readOnly:"true" doc:"Tasks of the slot running now."`
	Queued      int64     `json:"queued" readOnly:"true" doc:"Tasks of the slot ready and waiting."`
	UpdatedAt   time.Time `json:"updated_at" readOnly:"true"`
}

// Slots lists the slots with their running and queued tasks.
func (c *Client) Slots(ctx context.Context) ([]Slot, error) {
	var out []Slot
	err := c.do(ctx, http.MethodGet, "/api/v1/slots", nil, nil, &out)
	return out, err
}

// SetSlot creates a slot or changes its size.
func (c *Client) SetSlot(ctx context.Context, s Slot) (Slot, error) {
	var out Slot
	err := c.do(ctx, http.MethodPut, "/api/v1/slots/"+url.PathEscape(s.Name), nil, s, &out)
	return out, err
}

// DeleteSlot removes a slot; its queued tasks wait until it exists again.
func (c *Client) DeleteSlot(ctx context.Context, name string) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/slots/"+url.PathEscape(name), nil, nil, nil)
}
