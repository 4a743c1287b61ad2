package server

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/danielgtaylor/huma/v2"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/client/vocab"
	"github.com/baton-sched/baton/internal/auth"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/ui"
)

// uiSource gives the web UI the API's own reads.
type uiSource struct{ s *Server }

var _ ui.Source = uiSource{}

func (u uiSource) Placement(ctx context.Context) (client.Placement, error) { return u.s.placement(ctx) }

func (u uiSource) Workers(ctx context.Context, all bool) ([]client.Worker, error) {
	return u.s.listWorkers(ctx, all)
}

func (u uiSource) Runs(ctx context.Context, q ui.RunQuery) ([]client.Run, string, error) {
	f := store.RunFilter{Workflow: q.Workflow, State: q.State, BeforeID: q.Before, Limit: q.Limit}
	if !q.Since.IsZero() {
		f.CreatedFrom = q.Since.UnixMilli()
	}
	if !q.Until.IsZero() {
		f.CreatedTo = q.Until.UnixMilli()
	}
	return u.s.listRuns(ctx, f)
}

func (u uiSource) Run(ctx context.Context, id int64) (client.RunDetail, error) {
	return u.s.runDetail(ctx, id)
}

func (u uiSource) Attempts(ctx context.Context, runID int64) ([]client.Attempt, error) {
	return u.s.runAttempts(ctx, runID)
}

func (u uiSource) Logs(ctx context.Context, runID int64, task string, attempt, after, limitBytes int64) (client.Logs, error) {
	return u.s.taskLogs(ctx, runID, task, attempt, after, 10000, limitBytes)
}

func (u uiSource) Events(ctx context.Context, q ui.EventQuery) ([]client.Event, error) {
	f := store.EventFilter{RunID: q.Run, Kind: q.Kind, AfterID: q.After, BeforeID: q.Before, Newest: q.Newest,
		Limit: q.Limit, Actor: q.Actor}
	if !q.From.IsZero() {
		f.AtFrom = q.From.UnixMilli()
	}
	if !q.To.IsZero() {
		f.AtTo = q.To.UnixMilli()
	}
	return u.s.listEvents(ctx, f)
}

func (u uiSource) Workflows(ctx context.Context) ([]client.Workflow, error) {
	return u.s.listWorkflows(ctx)
}

func (u uiSource) Versions(ctx context.Context, workflow string) ([]client.WorkflowVersion, error) {
	return u.s.workflowVersions(ctx, workflow)
}

func (u uiSource) Version(ctx context.Context, workflow string, version int64) (client.WorkflowVersion, error) {
	return u.s.workflowVersion(ctx, workflow, version)
}

func (u uiSource) Schedules(ctx context.Context) ([]client.Schedule, error) {
	return u.s.listSchedules(ctx)
}

func (u uiSource) Servers(ctx context.Context) ([]client.Server, error) { return u.s.listServers(ctx) }

func (u uiSource) Slots(ctx context.Context) ([]client.Slot, error) { return u.s.listSlots(ctx) }

func (u uiSource) Alerts(ctx context.Context) (client.Alerts, error) { return u.s.listAlerts(ctx) }

// Tokens lists the tokens for those the API lets list them.
func (u uiSource) Tokens(ctx context.Context) ([]client.Token, error) {
	p, _ := auth.From(ctx)
	if need := permissions["list-tokens"]; !p.Role.Allows(need) {
		return nil, fmt.Errorf("listing tokens needs the %s permission: %w", need, ui.ErrForbidden)
	}
	return u.s.listTokens(ctx)
}

// Users lists the local users for those the API lets list them.
func (u uiSource) Users(ctx context.Context) ([]client.User, error) {
	p, _ := auth.From(ctx)
	if need := permissions["list-users"]; !p.Role.Allows(need) {
		return nil, fmt.Errorf("listing users needs the %s permission: %w", need, ui.ErrForbidden)
	}
	return u.s.listUsers(ctx)
}

// newUI returns the web UI over this server's reads; its API docs page
// renders api's OpenAPI document.
func (s *Server) newUI(api huma.API) *ui.Handler {
	return ui.New(uiSource{s}, ui.Options{
		Logger:  s.log,
		OpenAPI: func() ([]byte, error) { return json.Marshal(api.OpenAPI()) },
		CSRF:    pageCSRF,
		Allowed: allowed,
		Actions: uiActions{s},
	})
}

// allowed says whether the principal of ctx may use the API operation op,
// by the permission table: the UI shows an action only to those.
func allowed(ctx context.Context, op string) bool {
	p, ok := auth.From(ctx)
	need, known := permissions[op]
	return ok && known && !p.Join && p.Role.Allows(need)
}

// Children lists the runs the sub-workflow tasks of a run started.
func (u uiSource) Children(ctx context.Context, runID int64) ([]ui.ChildRun, error) {
	var runs []store.Run
	err := u.s.engine.Store().Read(ctx, func(tx store.Tx) error {
		var err error
		runs, err = tx.Runs().Children(ctx, runID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("child runs of run %d: %w", runID, err)
	}
	out := make([]ui.ChildRun, len(runs))
	for i, r := range runs {
		out[i] = ui.ChildRun{TaskID: r.ParentTaskID, RunID: r.ID, State: r.State}
	}
	return out, nil
}

// Approvals lists a run's approvals, or (runID 0) the pending ones.
func (u uiSource) Approvals(ctx context.Context, runID int64) ([]client.Approval, error) {
	var aps []store.Approval
	var err error
	if runID > 0 {
		aps, err = u.s.engine.RunApprovals(ctx, runID)
	} else {
		aps, err = u.s.engine.Approvals(ctx, vocab.ApprovalPending, 100)
	}
	if err != nil {
		return nil, err
	}
	out := make([]client.Approval, len(aps))
	for i, a := range aps {
		out[i] = toApproval(a)
	}
	return out, nil
}

// RenderTask expands a task's templates, secrets as placeholders.
func (u uiSource) RenderTask(ctx context.Context, runID int64, task string, attempt int64) (engine.RenderedTask, error) {
	return u.s.engine.RenderTask(ctx, runID, task, attempt)
}
