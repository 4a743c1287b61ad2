package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Approval is what an approval task waits for, and its decision once
// taken.
type Approval struct {
	RunID    int64  `json:"run_id"`
	Task     string `json:"task"`
	Workflow string `json:"workflow"`
	Attempt  int64  `json:"attempt_id" doc:"The attempt that waits"`
	Message  string `json:"message" doc:"What is to be approved, rendered"`
	State    string `json:"state" enum:"pending,approved,rejected,cancelled"`
	// Default is the decision the timeout takes; empty without a timeout.
	Default     string    `json:"default,omitempty" enum:"approve,reject"`
	Deadline    time.Time `json:"deadline,omitzero" doc:"When the timeout decides; absent without a timeout"`
	RequestedAt time.Time `json:"requested_at"`
	DecidedBy   string    `json:"decided_by,omitempty" doc:"user:NAME, token:NAME, or system for the timeout"`
	Note        string    `json:"note,omitempty"`
	DecidedAt   time.Time `json:"decided_at,omitzero"`
}

// ApprovalDecision is a person's answer to an approval task.
type ApprovalDecision struct {
	Decision string `json:"decision" enum:"approve,reject"`
	Note     string `json:"note,omitempty" maxLength:"2048" doc:"Why; at most 2048 bytes"`
}

// Decide approves (or, with reject, rejects) the approval task of a run;
// it needs the operator role.
func (c *Client) Decide(ctx context.Context, runID int64, task string, d ApprovalDecision) (Approval, error) {
	var out Approval
	err := c.do(ctx, http.MethodPost, fmt.Sprintf("/api/v1/runs/%d/tasks/%s/approval", runID, url.PathEscape(task)),
		nil, d, &out)
	return out, err
}

// Approvals lists approvals in state (empty: any), newest first.
func (c *Client) Approvals(ctx context.Context, state string, limit int) ([]Approval, error) {
	q := url.Values{}
	if state != "" {
		q.Set("state", state)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out Page[Approval]
	err := c.do(ctx, http.MethodGet, "/api/v1/approvals", q, nil, &out)
	return out.Items, err
}
