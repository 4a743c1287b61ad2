package store

import "context"

// Retention deletes what has been kept long enough: finished runs with
// everything recorded of them (tasks with their outputs and checkpoints,
// attempts, events, logs), and the audit events not tied to a run. The
// engine decides what goes; these are its steps, each meant for a short
// transaction over a bounded number of rows.
type Retention interface {
	// Rules returns every workflow, deleted ones included, with the
	// retention its latest version sets ("" when it sets none).
	Rules(ctx context.Context) ([]RetentionRule, error)
	// ExpiredRuns returns up to f.Limit finished runs of a workflow that
	// no task of another run started and that finished more than f.AgeMs
	// ago, after the cursor (f.AfterAt, f.AfterID) of their creation time
	// and ID, in the order they were created, locked until the transaction
	// ends (Postgres: rows others lock are skipped).
	ExpiredRuns(ctx context.Context, f ExpiredRunFilter) ([]ExpiredRun, error)
	// Children returns the runs that tasks of the given runs started, of
	// any state, locked until the transaction ends.
	Children(ctx context.Context, runIDs []int64) ([]ChildRun, error)
	// DeleteRuns deletes the given runs that are finished, with their
	// tasks, attempts, events, logs, deadlines and waits, and says how
	// many rows of each went. A run that is not finished stays whole.
	DeleteRuns(ctx context.Context, runIDs []int64) (RetentionDeleted, error)
	// DeleteAudit deletes up to limit events not tied to a run that are
	// older than ageMs, oldest first, and says how many went.
	DeleteAudit(ctx context.Context, ageMs, limit int64) (int64, error)
	// DeleteStartRecords deletes up to limit start requests recorded more
	// than ageMs ago, oldest first, and says how many went.
	DeleteStartRecords(ctx context.Context, ageMs, limit int64) (int64, error)
}

// RetentionRule is a workflow and the retention its latest version sets.
type RetentionRule struct {
	ID        int64
	Retention string
}

// ExpiredRunFilter selects runs for ExpiredRuns. Ages are in milliseconds
// by the database clock.
type ExpiredRunFilter struct {
	WorkflowID int64
	AgeMs      int64
	AfterAt    int64
	AfterID    int64
	Limit      int64
}

// ExpiredRun is a run ExpiredRuns found.
type ExpiredRun struct {
	ID        int64
	CreatedAt int64
}

// ChildRun is a run a task of another run started.
type ChildRun struct {
	ID          int64
	ParentRunID int64
	State       string
}

// RetentionDeleted counts the rows DeleteRuns deleted, by table.
type RetentionDeleted struct {
	Runs, Tasks, Attempts, Events, Logs int64
}
