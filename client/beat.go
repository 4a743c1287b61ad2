package client

import (
	"context"
	"net/http"
)

// Beat is Heartbeat with the whole request: a worker that sets
// req.Complete and lists in req.Ending the attempts whose finish report is
// on its way has every other started attempt of its ended at once (lost),
// so that none stays running after the worker lost track of it.
func (c *Client) Beat(ctx context.Context, workerID string, req HeartbeatRequest) (HeartbeatResponse, error) {
	if req.Running == nil {
		req.Running = []int64{}
	}
	var out HeartbeatResponse
	err := c.do(ctx, http.MethodPost, workerPath(workerID, "heartbeat"), nil, req, &out)
	return out, err
}
