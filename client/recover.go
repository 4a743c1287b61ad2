package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
)

// RerunRequest runs a finished run again: from its failed tasks, or, with
// From, from that task and everything downstream of it.
type RerunRequest struct {
	From   string `json:"from,omitempty" doc:"Run this task and every task downstream of it again; empty: every failed, cancelled and upstream_failed task"`
	Reason string `json:"reason,omitempty" maxLength:"1000"`
	// Latest and Params rerun the run as a new run: on the workflow's
	// latest version, with these params over the run's own.
	Latest bool              `json:"latest,omitempty" doc:"Rerun as a new run on the workflow's latest version; tasks are matched by name: succeeded ones are carried with their outputs, added ones run, removed ones are dropped"`
	Params map[string]string `json:"params,omitempty" doc:"Rerun as a new run with these params over the run's own, checked against the version's params"`
}

// MarkRequest ends a failed, cancelled or upstream_failed task of a
// finished run as succeeded or skipped, so that what is downstream runs.
type MarkRequest struct {
	State  string `json:"state" enum:"succeeded,skipped"`
	Reason string `json:"reason,omitempty" maxLength:"1000"`
}

// Recovered is a run after a recovery and the tasks that run again.
type Recovered struct {
	Run   Run      `json:"run"`
	Rerun []string `json:"rerun"`
	// RerunOf, Carried and Dropped describe a rerun as a new run (latest
	// or params): the run it reran, the tasks carried into the new run as
	// they ended, and the old run's tasks the version no longer has.
	RerunOf int64    `json:"rerun_of,omitempty"`
	Carried []string `json:"carried,omitempty"`
	Dropped []string `json:"dropped,omitempty"`
}

// Rerun runs a finished run again (see RerunRequest).
func (c *Client) Rerun(ctx context.Context, id int64, req RerunRequest) (Recovered, error) {
	var out Recovered
	err := c.do(ctx, http.MethodPost, fmt.Sprintf("/api/v1/runs/%d/rerun", id), nil, req, &out)
	return out, err
}

// MarkTask marks a task of a finished run succeeded or skipped.
func (c *Client) MarkTask(ctx context.Context, id int64, task string, req MarkRequest) (Recovered, error) {
	var out Recovered
	err := c.do(ctx, http.MethodPost, fmt.Sprintf("/api/v1/runs/%d/tasks/%s/mark", id, url.PathEscape(task)), nil, req, &out)
	return out, err
}

// PauseRun pauses (action "pause") or resumes ("resume") a run.
func (c *Client) PauseRun(ctx context.Context, id int64, action, reason string) (Run, error) {
	var out Run
	err := c.do(ctx, http.MethodPost, fmt.Sprintf("/api/v1/runs/%d/%s", id, action), nil,
		map[string]string{"reason": reason}, &out)
	return out, err
}
