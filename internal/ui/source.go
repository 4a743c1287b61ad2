package ui

import (
	"context"
	"errors"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/engine"
)

// Source is what the UI reads. The server implements it with the reads
// of its API handlers; errors wrapping engine.ErrNotFound answer 404.
type Source interface {
	Placement(ctx context.Context) (client.Placement, error)
	Workers(ctx context.Context, all bool) ([]client.Worker, error)
	// Runs returns runs newest first and the cursor of the next page
	// ("" on the last page).
	Runs(ctx context.Context, q RunQuery) ([]client.Run, string, error)
	Run(ctx context.Context, id int64) (client.RunDetail, error)
	Attempts(ctx context.Context, runID int64) ([]client.Attempt, error)
	// Logs reads a page of an attempt's output (attempt 0: the latest).
	Logs(ctx context.Context, runID int64, task string, attempt, after, limitBytes int64) (client.Logs, error)
	// Events returns audit events oldest first, or newest first when
	// the query asks (Newest, Before).
	Events(ctx context.Context, q EventQuery) ([]client.Event, error)
	Workflows(ctx context.Context) ([]client.Workflow, error)
	Versions(ctx context.Context, workflow string) ([]client.WorkflowVersion, error)
	// Version returns a version with its definition (0: the latest).
	Version(ctx context.Context, workflow string, version int64) (client.WorkflowVersion, error)
	Schedules(ctx context.Context) ([]client.Schedule, error)
	// Servers returns the servers registry by zone and address.
	Servers(ctx context.Context) ([]client.Server, error)
	Slots(ctx context.Context) ([]client.Slot, error)
	// Alerts returns the alert channels (URLs redacted) and undelivered
	// alerts.
	Alerts(ctx context.Context) (client.Alerts, error)
	// Tokens returns the API and join tokens, never their secrets; an
	// error wrapping ErrForbidden when the caller may not list them.
	Tokens(ctx context.Context) ([]client.Token, error)
	// Users returns the local users, never their passwords; an error
	// wrapping ErrForbidden when the caller may not list them.
	Users(ctx context.Context) ([]client.User, error)
	// Children returns the runs the sub-workflow tasks of run runID
	// started, oldest first.
	Children(ctx context.Context, runID int64) ([]ChildRun, error)
	// RenderTask expands a task's templates for attempt number, every
	// secret as "${{ secrets.NAME }}", never its value.
	RenderTask(ctx context.Context, runID int64, task string, attempt int64) (engine.RenderedTask, error)
	// Approvals returns a run's approvals (runID > 0, oldest first), or
	// every pending one (runID 0, newest first).
	Approvals(ctx context.Context, runID int64) ([]client.Approval, error)
}

// ChildRun is a run a sub-workflow task started.
type ChildRun struct {
	TaskID int64 // the parent run's task that started it
	RunID  int64
	State  string
}

// ErrForbidden is what a read answers when the caller's role does not
// allow it; pages answer 403.
var ErrForbidden = errors.New("permission denied")

// RunQuery filters runs.
type RunQuery struct {
	Workflow string
	State    string
	Since    time.Time // created at or after; zero: any
	Until    time.Time // created before; zero: any
	Before   int64     // ID below; 0: from the newest
	Limit    int64
}

// EventQuery filters audit events.
type EventQuery struct {
	Run   int64
	Kind  string
	After int64
	// Before: only events below this ID (0: no bound); newest first.
	Before int64
	// Newest lists newest first.
	Newest bool
	Limit  int64
	Actor  string
	// From and To bound the events' time: From <= at < To (zero: no
	// bound).
	From, To time.Time
}
