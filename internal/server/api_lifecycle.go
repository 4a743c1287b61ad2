package server

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/engine"
)

type deleteWorkflowInput struct {
	Name  string `path:"name" doc:"Workflow name"`
	Force bool   `query:"force" doc:"Cancel the workflow's active runs instead of refusing"`
}

type workflowDeletedOutput struct{ Body client.WorkflowDeleted }

type workflowActionInput struct {
	Name string `path:"name" doc:"Workflow name"`
}

type workflowOutput struct{ Body client.Workflow }

// registerLifecycle registers deleting, disabling and enabling workflows.
func (s *Server) registerLifecycle(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "delete-workflow", Method: http.MethodDelete, Path: "/api/v1/workflows/{name}",
		Summary: "Delete a workflow and its schedules", Tags: []string{"workflows"},
		Description: "Its runs stay, as history. 409 while it has active runs (queued, running or paused) " +
			"unless force=true, which cancels them. Applying the name again creates it anew.",
	}, func(ctx context.Context, in *deleteWorkflowInput) (*workflowDeletedOutput, error) {
		del, err := s.engine.DeleteWorkflow(ctx, in.Name, in.Force, actorOf(ctx))
		if err != nil {
			return nil, s.apiError(ctx, err)
		}
		s.scheduler.Wake()
		out := &workflowDeletedOutput{Body: client.WorkflowDeleted{Workflow: del.Workflow.Name,
			Cancelled: del.Cancelled, Schedules: del.Schedules}}
		if out.Body.Cancelled == nil {
			out.Body.Cancelled = []int64{}
		}
		if out.Body.Schedules == nil {
			out.Body.Schedules = []string{}
		}
		return out, nil
	})
	for _, op := range []struct {
		verb, summary, description string
		disabled                   bool
	}{
		{"disable", "Disable a workflow", "Its schedules stop firing (their due times are skipped) and starts, " +
			"triggers and backfills are refused with 409 until it is enabled. Runs already active go on.", true},
		{"enable", "Enable a disabled workflow", "Its schedules fire again from their next due time on, " +
			"with no catch-up of the time it was disabled.", false},
	} {
		huma.Register(api, huma.Operation{
			OperationID: op.verb + "-workflow", Method: http.MethodPost, Path: "/api/v1/workflows/{name}/" + op.verb,
			Summary: op.summary, Description: op.description, Tags: []string{"workflows"},
		}, func(ctx context.Context, in *workflowActionInput) (*workflowOutput, error) {
			wf, _, err := s.engine.SetWorkflowDisabled(ctx, in.Name, op.disabled, actorOf(ctx))
			if err != nil {
				return nil, s.apiError(ctx, err)
			}
			s.scheduler.Wake()
			return &workflowOutput{Body: toWorkflow(wf)}, nil
		})
	}
}

// toApplied is the answer about one applied (or, dry, checked) definition.
func toApplied(a engine.Applied) client.Applied {
	out := client.Applied{Workflow: a.Workflow.Name, Version: a.Version.Version, Changed: a.Changed}
	for _, c := range a.Schedules {
		sc := client.ScheduleChange{Name: c.Name, Change: c.Change, Cron: c.Cron}
		if !c.Next.IsZero() {
			next := c.Next.UTC()
			sc.Next = &next
		}
		out.Schedules = append(out.Schedules, sc)
	}
	return out
}
