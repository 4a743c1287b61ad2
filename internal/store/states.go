package store

import "github.com/baton-sched/baton/client/vocab"

// The states live in client/vocab; these names keep the store's callers
// short.

// Run states.
const (
	RunQueued    = vocab.RunQueued
	RunRunning   = vocab.RunRunning
	RunPaused    = vocab.RunPaused
	RunSucceeded = vocab.RunSucceeded
	RunFailed    = vocab.RunFailed
	RunCancelled = vocab.RunCancelled
)

// RunTerminal reports whether a run in state has finished.
func RunTerminal(state string) bool { return vocab.RunTerminal(state) }

// Task states.
const (
	TaskPending        = vocab.TaskPending
	TaskQueued         = vocab.TaskQueued
	TaskRunning        = vocab.TaskRunning
	TaskRetryWait      = vocab.TaskRetryWait
	TaskSucceeded      = vocab.TaskSucceeded
	TaskFailed         = vocab.TaskFailed
	TaskSkipped        = vocab.TaskSkipped
	TaskCancelled      = vocab.TaskCancelled
	TaskUpstreamFailed = vocab.TaskUpstreamFailed
)

// Attempt states.
const (
	AttemptDispatched = vocab.AttemptDispatched
	AttemptRunning    = vocab.AttemptRunning
	AttemptSucceeded  = vocab.AttemptSucceeded
	AttemptFailed     = vocab.AttemptFailed
	AttemptTimedOut   = vocab.AttemptTimedOut
	AttemptLost       = vocab.AttemptLost
	AttemptCancelled  = vocab.AttemptCancelled
	AttemptFenced     = vocab.AttemptFenced
)

// Worker states.
const (
	WorkerActive   = vocab.WorkerActive
	WorkerDraining = vocab.WorkerDraining
	WorkerLost     = vocab.WorkerLost
	WorkerStopped  = vocab.WorkerStopped
)
