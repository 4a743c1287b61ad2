package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// Zone is the live state of an availability zone.
type Zone struct {
	Name string `json:"name"`
	// State is healthy (no recently lost worker), degraded (some workers
	// lost and not back) or down (workers were lost and none is live).
	State    string    `json:"state" enum:"healthy,degraded,down"`
	Cordoned bool      `json:"cordoned" doc:"No new work is placed in a cordoned zone"`
	Since    time.Time `json:"since,omitzero" doc:"When the zone entered its state"`
	Workers  int       `json:"workers" doc:"Live workers"`
	Lost     int       `json:"lost" doc:"Workers lost recently and not back"`
	Capacity
	// Groups breaks the zone's capacity down by resource group.
	Groups []GroupCapacity `json:"groups"`
}

// Capacity is CU figures of a set of workers.
type Capacity struct {
	LiveCU       float64 `json:"live_cu" doc:"Capacity of live workers"`
	RegisteredCU float64 `json:"registered_cu" doc:"Capacity of live workers plus recently lost ones"`
	UsedCU       float64 `json:"used_cu" doc:"Capacity taken by running attempts"`
	// Availability is the resource availability ratio: live CU over
	// registered CU (1 when nothing is registered).
	Availability float64 `json:"availability"`
}

// GroupCapacity is the capacity of one resource group (in one zone, or
// over all zones).
type GroupCapacity struct {
	Group string `json:"group"`
	Capacity
}

// Placement is the capacity picture: every zone, and every group over all zones.
type Placement struct {
	Zones  []Zone          `json:"zones"`
	Groups []GroupCapacity `json:"groups"`
}

// Zones returns zone health and the availability ratios per zone and group.
func (c *Client) Zones(ctx context.Context) (Placement, error) {
	var out Placement
	err := c.do(ctx, http.MethodGet, "/api/v1/zones", nil, nil, &out)
	return out, err
}

// DrainRequest drains a zone or a worker.
type DrainRequest struct {
	// Reschedule hands running rerunnable tasks elsewhere at once (their
	// processes are stopped first); otherwise running tasks finish.
	Reschedule bool   `json:"reschedule,omitempty"`
	Reason     string `json:"reason,omitempty"`
}

// ZoneAction applies "cordon", "uncordon" or "drain" to a zone.
func (c *Client) ZoneAction(ctx context.Context, zone, action string, req DrainRequest) (Zone, error) {
	var out Zone
	err := c.do(ctx, http.MethodPost, fmt.Sprintf("/api/v1/zones/%s/%s", url.PathEscape(zone), action), nil, req, &out)
	return out, err
}

// DrainWorker stops placing work on a worker; it exits once its running
// tasks end (at once handed elsewhere with Reschedule).
func (c *Client) DrainWorker(ctx context.Context, workerID string, req DrainRequest) (Worker, error) {
	var out Worker
	err := c.do(ctx, http.MethodPost, workerPath(workerID, "drain"), nil, req, &out)
	return out, err
}
