package store

import "context"

// Waits stores the state of wait tasks (sensors): one row per live
// attempt of a wait task, checked by the servers (engine/wait*.go).
type Waits interface {
	// Insert records a new wait, due for a check at once.
	Insert(ctx context.Context, w NewWait) error
	// AnyDue says whether a wait is due for a check.
	AnyDue(ctx context.Context) (bool, error)
	// Due returns up to limit waits whose next check is due, oldest
	// first, locked on Postgres (rows another transaction holds are
	// skipped), with their workflow and time conditions evaluated: one
	// statement for all of them.
	Due(ctx context.Context, limit int64) ([]DueWait, error)
	// Push moves the next check of the waits named by attempt IDs one
	// interval on (at most to their deadline).
	Push(ctx context.Context, attemptIDs []int64) (int64, error)
	// Delete forgets the waits named by attempt IDs.
	Delete(ctx context.Context, attemptIDs []int64) (int64, error)
	// Wake makes the waits for the workflow of run runID due now.
	Wake(ctx context.Context, runID int64) (int64, error)
	// Count returns how many waits there are.
	Count(ctx context.Context) (int64, error)
}

// NewWait is the state of a wait task's attempt as it starts. One of
// Workflow (with the logical window [FromMs, ToMs)), UntilMs and HTTP is
// its condition.
type NewWait struct {
	AttemptID     int64
	TaskID        int64
	RunID         int64
	Workflow      string
	FromMs        int64
	ToMs          int64
	UntilMs       int64
	HTTP          bool
	IntervalMs    int64
	TimeoutMs     int64
	SkipOnTimeout bool
}

// DueWait is a wait due for a check. Met says whether its workflow or
// time condition holds now (an HTTP condition is checked by the caller);
// AttemptState is its attempt's state, empty if the attempt is gone; Now
// is the database's time.
type DueWait struct {
	AttemptID     int64
	TaskID        int64
	RunID         int64
	HTTP          bool
	SkipOnTimeout bool
	Deadline      int64
	IntervalMs    int64
	Checks        int64
	AttemptState  string
	Now           int64
	Met           bool
}
