package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
)

// Worker protocol calls, used by the worker agent.

// Register admits a worker and returns its ID and timing.
func (c *Client) Register(ctx context.Context, req RegisterRequest) (Registration, error) {
	var out Registration
	err := c.do(withBearer(ctx, c.joinToken()), http.MethodPost, "/api/v1/workers", nil, req, &out)
	if err == nil && out.Credential != "" {
		c.setCredential(out.Worker.ID, out.Credential)
	}
	return out, err
}

// Heartbeat renews the worker's lease. IsGone(err) means the worker was
// declared lost: kill everything and register again.
func (c *Client) Heartbeat(ctx context.Context, workerID string, running []int64) (HeartbeatResponse, error) {
	return c.Beat(ctx, workerID, HeartbeatRequest{Running: running})
}

// Beat is Heartbeat with the whole request: a worker that sets
// req.Complete and lists in req.Ending the attempts whose finish report is
// on its way has every other started attempt of its ended at once (lost),
// so that none stays running after the worker lost track of it.
func (c *Client) Beat(ctx context.Context, workerID string, req HeartbeatRequest) (HeartbeatResponse, error) {
	if req.Running == nil {
		req.Running = []int64{}
	}
	var out HeartbeatResponse
	err := c.do(c.asWorker(ctx, workerID), http.MethodPost, workerPath(workerID, "heartbeat"), nil, req, &out)
	return out, err
}

// Claim long-polls for up to req.Max attempts.
func (c *Client) Claim(ctx context.Context, workerID string, req ClaimRequest) ([]Assignment, error) {
	var out ClaimResponse
	err := c.do(c.asWorker(ctx, workerID), http.MethodPost, workerPath(workerID, "claim"), nil, req, &out)
	return out.Assignments, err
}

// Report sends a batch of reports; each result says accepted (200) or
// fenced (409).
func (c *Client) Report(ctx context.Context, workerID string, reports []Report) ([]ReportResult, error) {
	var out ReportBatchResult
	err := c.do(c.asWorker(ctx, workerID), http.MethodPost, workerPath(workerID, "reports"), nil, ReportBatch{Reports: reports}, &out)
	return out.Results, err
}

// ReportOne sends one report; IsConflict(err) means the attempt was fenced.
func (c *Client) ReportOne(ctx context.Context, workerID string, r Report) error {
	q := url.Values{"worker": {workerID}}
	return c.do(c.asWorker(ctx, workerID), http.MethodPost, fmt.Sprintf("/api/v1/attempts/%d/report", r.AttemptID), q, r, nil)
}

// SendLogs stores output chunks and returns the attempts that were fenced.
func (c *Client) SendLogs(ctx context.Context, workerID string, chunks []NewLogChunk) ([]int64, error) {
	var out LogBatchResult
	err := c.do(c.asWorker(ctx, workerID), http.MethodPost, workerPath(workerID, "logs"), nil, LogBatch{Chunks: chunks}, &out)
	return out.Fenced, err
}

func workerPath(id, op string) string {
	return "/api/v1/workers/" + url.PathEscape(id) + "/" + op
}

// StopWorker tells the servers the worker shut down; attempts it still held
// are handed on at once instead of after its lease expires. held lists
// every attempt it still holds (see WorkerStop), or is nil when the caller
// does not know (the stop of a previous process, say).
func (c *Client) StopWorker(ctx context.Context, workerID string, held []int64) error {
	return c.do(c.asWorker(ctx, workerID), http.MethodPost, workerPath(workerID, "stop"), nil,
		WorkerStop{Held: held}, nil)
}

// CredentialOf returns the credential c holds for a worker ("" if none),
// for tests and tools that hand a registration on.
func CredentialOf(c *Client, workerID string) string {
	s, _ := c.creds.get(workerID)
	return s
}
