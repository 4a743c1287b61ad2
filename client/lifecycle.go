package client

import (
	"context"
	"net/http"
	"net/url"
)

// WorkflowDeleted is what deleting a workflow did.
type WorkflowDeleted struct {
	Workflow  string   `json:"workflow"`
	Cancelled []int64  `json:"cancelled" doc:"The active runs a forced delete cancelled"`
	Schedules []string `json:"schedules" doc:"The schedules deleted with the workflow"`
}

// DeleteWorkflow deletes a workflow and its schedules; its runs stay as
// history. A workflow with active runs is refused (409) unless force,
// which cancels them.
func (c *Client) DeleteWorkflow(ctx context.Context, name string, force bool) (WorkflowDeleted, error) {
	var q url.Values
	if force {
		q = url.Values{"force": {"true"}}
	}
	var out WorkflowDeleted
	err := c.do(ctx, http.MethodDelete, "/api/v1/workflows/"+url.PathEscape(name), q, nil, &out)
	return out, err
}

// SetWorkflowDisabled disables a workflow (its schedules stop firing, its
// runs cannot be started) or enables it again.
func (c *Client) SetWorkflowDisabled(ctx context.Context, name string, disabled bool) (Workflow, error) {
	action := "enable"
	if disabled {
		action = "disable"
	}
	var out Workflow
	err := c.do(ctx, http.MethodPost, "/api/v1/workflows/"+url.PathEscape(name)+"/"+action, nil, nil, &out)
	return out, err
}
