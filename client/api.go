package client

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Apply validates and stores definitions, all or none.
func (c *Client) Apply(ctx context.Context, files []SourceFile) ([]Applied, error) {
	return c.apply(ctx, files, nil)
}

// ApplyDryRun validates definitions and says what applying them would
// change (new versions, schedules), storing nothing.
func (c *Client) ApplyDryRun(ctx context.Context, files []SourceFile) ([]Applied, error) {
	return c.apply(ctx, files, url.Values{"dry_run": {"true"}})
}

func (c *Client) apply(ctx context.Context, files []SourceFile, q url.Values) ([]Applied, error) {
	var out struct {
		Applied []Applied `json:"applied"`
	}
	err := c.do(ctx, http.MethodPost, "/api/v1/workflows", q, ApplyRequest{Files: files}, &out)
	return out.Applied, err
}

// Workflows lists workflows by name.
func (c *Client) Workflows(ctx context.Context) ([]Workflow, error) {
	var out Page[Workflow]
	err := c.do(ctx, http.MethodGet, "/api/v1/workflows", nil, nil, &out)
	return out.Items, err
}

// Workflow returns one workflow's latest version, with its definition.
func (c *Client) Workflow(ctx context.Context, name string) (WorkflowVersion, error) {
	var out WorkflowVersion
	err := c.do(ctx, http.MethodGet, "/api/v1/workflows/"+url.PathEscape(name), nil, nil, &out)
	return out, err
}

// StartRun starts a run. The request carries a random Idempotency-Key
// header, the same on every server it is tried on, so that retrying it
// after a lost answer cannot start two runs. req.IdempotencyKey, when
// set, is the run's own key: a start with it, however much later,
// returns the first run.
func (c *Client) StartRun(ctx context.Context, workflow string, req StartRunRequest) (Run, error) {
	var out Run
	err := c.do(ctx, http.MethodPost, "/api/v1/workflows/"+url.PathEscape(workflow)+"/runs", nil,
		keyedBody{key: requestKey(), body: req}, &out)
	return out, err
}

// StartRuns starts up to the servers' max_runs_per_batch runs (default
// 100) of a workflow in one request, in one transaction unless they are
// larger than max_rows_per_tx rows. As with StartRun, the request carries
// one random Idempotency-Key header, so that a retried request starts its
// runs once; runs with an IdempotencyKey of their own keep it.
func (c *Client) StartRuns(ctx context.Context, workflow string, reqs []StartRunRequest) ([]Run, error) {
	var out StartRunsResponse
	err := c.do(ctx, http.MethodPost, "/api/v1/workflows/"+url.PathEscape(workflow)+"/runs/batch", nil,
		keyedBody{key: requestKey(), body: StartRunsRequest{Runs: reqs}}, &out)
	return out.Runs, err
}

// requestKey is a random Idempotency-Key for one request.
func requestKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

// RunFilter selects runs; zero fields match everything.
type RunFilter struct {
	Workflow string
	State    string
	Since    time.Time
	Until    time.Time
	Limit    int
	Cursor   string // Page.Next of the previous page
}

// Runs lists runs, newest first.
func (c *Client) Runs(ctx context.Context, f RunFilter) (Page[Run], error) {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("workflow", f.Workflow)
	set("state", f.State)
	set("cursor", f.Cursor)
	if !f.Since.IsZero() {
		q.Set("since", f.Since.Format(time.RFC3339Nano))
	}
	if !f.Until.IsZero() {
		q.Set("until", f.Until.Format(time.RFC3339Nano))
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var out Page[Run]
	err := c.do(ctx, http.MethodGet, "/api/v1/runs", q, nil, &out)
	return out, err
}

// Run returns a run with its tasks.
func (c *Client) Run(ctx context.Context, id int64) (RunDetail, error) {
	var out RunDetail
	err := c.do(ctx, http.MethodGet, fmt.Sprintf("/api/v1/runs/%d", id), nil, nil, &out)
	return out, err
}

// Attempts lists every attempt of a run.
func (c *Client) Attempts(ctx context.Context, runID int64) ([]Attempt, error) {
	var out Page[Attempt]
	err := c.do(ctx, http.MethodGet, fmt.Sprintf("/api/v1/runs/%d/attempts", runID), nil, nil, &out)
	return out.Items, err
}

// CancelRun cancels a run that has not finished.
func (c *Client) CancelRun(ctx context.Context, id int64, reason string) (Run, error) {
	var out Run
	err := c.do(ctx, http.MethodPost, fmt.Sprintf("/api/v1/runs/%d/cancel", id), nil,
		map[string]string{"reason": reason}, &out)
	return out, err
}

// Logs reads a task's output after sequence number after; attempt 0 means
// the latest attempt.
func (c *Client) Logs(ctx context.Context, runID int64, task string, attempt, after int64) (Logs, error) {
	q := url.Values{"after": {strconv.FormatInt(after, 10)}}
	if attempt > 0 {
		q.Set("attempt", strconv.FormatInt(attempt, 10))
	}
	var out Logs
	err := c.do(ctx, http.MethodGet, fmt.Sprintf("/api/v1/runs/%d/tasks/%s/logs", runID, url.PathEscape(task)), q, nil, &out)
	return out, err
}

// Workers lists live workers, or all with all set.
func (c *Client) Workers(ctx context.Context, all bool) ([]Worker, error) {
	var out Page[Worker]
	err := c.do(ctx, http.MethodGet, "/api/v1/workers", url.Values{"all": {strconv.FormatBool(all)}}, nil, &out)
	return out.Items, err
}

// EventFilter selects events; zero fields match everything.
type EventFilter struct {
	RunID int64
	Kind  string
	After int64 // event ID
	// Before: only events below this event ID; the list is newest first.
	Before int64
	// Newest lists newest first (page on with Before = the page's Next).
	Newest bool
	Limit  int
	Actor  string // as the trail names it: user:alice, worker:w-1
	// From and To bound the events' time: From <= at < To (zero: no bound).
	From, To time.Time
}

// Events lists audit events in order.
func (c *Client) Events(ctx context.Context, f EventFilter) (Page[Event], error) {
	q := url.Values{}
	if f.RunID > 0 {
		q.Set("run", strconv.FormatInt(f.RunID, 10))
	}
	if f.Kind != "" {
		q.Set("kind", f.Kind)
	}
	if f.After > 0 {
		q.Set("after", strconv.FormatInt(f.After, 10))
	}
	if f.Before > 0 {
		q.Set("before", strconv.FormatInt(f.Before, 10))
	}
	if f.Newest {
		q.Set("order", "desc")
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	if f.Actor != "" {
		q.Set("actor", f.Actor)
	}
	if !f.From.IsZero() {
		q.Set("from", f.From.UTC().Format(time.RFC3339Nano))
	}
	if !f.To.IsZero() {
		q.Set("to", f.To.UTC().Format(time.RFC3339Nano))
	}
	var out Page[Event]
	err := c.do(ctx, http.MethodGet, "/api/v1/events", q, nil, &out)
	return out, err
}
