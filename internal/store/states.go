package store

// Run states.
const (
	RunQueued    = "queued"
	RunRunning   = "running"
	RunPaused    = "paused"
	RunSucceeded = "succeeded"
	RunFailed    = "failed"
	RunCancelled = "cancelled"
)

// RunTerminal reports whether a run in state has finished.
func RunTerminal(state string) bool {
	return state == RunSucceeded || state == RunFailed || state == RunCancelled
}

// Task states.
const (
	TaskPending        = "pending"
	TaskQueued         = "queued"
	TaskRunning        = "running"
	TaskRetryWait      = "retry_wait"
	TaskSucceeded      = "succeeded"
	TaskFailed         = "failed"
	TaskSkipped        = "skipped"
	TaskCancelled      = "cancelled"
	TaskUpstreamFailed = "upstream_failed"
)

// Attempt states.
const (
	AttemptDispatched = "dispatched"
	AttemptRunning    = "running"
	AttemptSucceeded  = "succeeded"
	AttemptFailed     = "failed"
	AttemptTimedOut   = "timed_out"
	AttemptLost       = "lost"
	AttemptCancelled  = "cancelled"
	AttemptFenced     = "fenced"
)

// Worker states.
const (
	WorkerActive   = "active"
	WorkerDraining = "draining"
	WorkerLost     = "lost"
	WorkerStopped  = "stopped"
)
