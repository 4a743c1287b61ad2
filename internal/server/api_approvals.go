package server

import (
	"context"
	"net/http"
	"unicode/utf8"

	"github.com/danielgtaylor/huma/v2"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store"
)

// maxApprovalBody bounds a decision's request body: a note of
// engine.MaxApprovalNote bytes, escaped, and the decision.
const maxApprovalBody = 16 << 10

type decideInput struct {
	ID   int64  `path:"id"`
	Task string `path:"task"`
	Body client.ApprovalDecision
}

type approvalOutput struct{ Body client.Approval }

type listApprovalsInput struct {
	State string `query:"state" enum:"pending,approved,rejected,cancelled"`
	Limit int64  `query:"limit" minimum:"1" maximum:"1000" default:"100"`
}

type approvalsOutput struct{ Body client.Page[client.Approval] }

func (s *Server) registerApprovals(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "decide-approval", Method: http.MethodPost, Path: "/api/v1/runs/{id}/tasks/{task}/approval",
		Summary: "Approve or reject an approval task", Tags: []string{"runs"}, MaxBodyBytes: maxApprovalBody,
		Description: "Needs the operator role. approve: the task succeeds and the run goes on; reject: the task " +
			"fails (its retry policy does not apply). One decision only: a second one, or one for a task that is " +
			"not waiting (not an approval task, not running, timed out, run cancelled), answers 409. The decision " +
			"and its author are recorded as event approval.approved or approval.rejected.",
	}, s.decideApproval)

	huma.Register(api, huma.Operation{
		OperationID: "list-approvals", Method: http.MethodGet, Path: "/api/v1/approvals",
		Summary: "List approvals, newest first", Tags: []string{"runs"},
		Description: "state=pending lists the approval tasks waiting for a decision.",
	}, func(ctx context.Context, in *listApprovalsInput) (*approvalsOutput, error) {
		aps, err := s.engine.Approvals(ctx, in.State, int(in.Limit))
		if err != nil {
			return nil, s.apiError(ctx, err)
		}
		out := &approvalsOutput{Body: client.Page[client.Approval]{Items: make([]client.Approval, len(aps))}}
		for i, a := range aps {
			out.Body.Items[i] = toApproval(a)
		}
		return out, nil
	})
}

// decideApproval is the decide-approval operation (and the web UI's).
func (s *Server) decideApproval(ctx context.Context, in *decideInput) (*approvalOutput, error) {
	if len(in.Body.Note) > engine.MaxApprovalNote || !utf8.ValidString(in.Body.Note) {
		return nil, huma.Error422UnprocessableEntity("invalid request: nothing was changed", &huma.ErrorDetail{
			Location: "body.note", Message: "at most 2048 bytes of UTF-8 text", Value: len(in.Body.Note)})
	}
	ap, err := s.engine.Decide(ctx, engine.Decision{RunID: in.ID, Task: in.Task, Decision: in.Body.Decision,
		Note: in.Body.Note, Actor: actorOf(ctx)})
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	return &approvalOutput{Body: toApproval(ap)}, nil
}

func toApproval(a store.Approval) client.Approval {
	out := client.Approval{RunID: a.RunID, Task: a.Task, Workflow: a.Workflow, Attempt: a.AttemptID,
		Message: a.Message, State: a.State, Default: a.Outcome, RequestedAt: ms(a.RequestedAt),
		DecidedBy: a.Actor, Note: a.Note}
	if a.DeadlineAt > 0 {
		out.Deadline = ms(a.DeadlineAt)
	}
	if a.DecidedAt > 0 {
		out.DecidedAt = ms(a.DecidedAt)
	}
	return out
}
