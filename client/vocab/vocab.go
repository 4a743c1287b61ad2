// Package vocab is the one place that names the states of runs, tasks,
// attempts and workers, and the kinds of tasks. The client, the CLI, the
// API, the engine, the worker and the web UI all use these constants: no
// other Go file spells a state or a kind name (a test in this package
// walks the module and fails on one).
package vocab

// Run states.
const (
	RunQueued    = "queued"
	RunRunning   = "running"
	RunPaused    = "paused"
	RunSucceeded = "succeeded"
	RunFailed    = "failed"
	RunCancelled = "cancelled"
)

// RunStates lists every run state, live ones first.
var RunStates = []string{RunQueued, RunRunning, RunPaused, RunSucceeded, RunFailed, RunCancelled}

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

// TaskStates lists every task state, in the order of a task's life.
var TaskStates = []string{TaskPending, TaskQueued, TaskRunning, TaskRetryWait, TaskSucceeded, TaskFailed,
	TaskSkipped, TaskCancelled, TaskUpstreamFailed}

// TaskFinished lists the states a task ends in.
var TaskFinished = []string{TaskSucceeded, TaskFailed, TaskSkipped, TaskCancelled, TaskUpstreamFailed}

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

// AttemptStates lists every attempt state, live ones first.
var AttemptStates = []string{AttemptDispatched, AttemptRunning, AttemptSucceeded, AttemptFailed, AttemptTimedOut,
	AttemptLost, AttemptCancelled, AttemptFenced}

// AttemptFinished lists the states an attempt ends in.
var AttemptFinished = []string{AttemptSucceeded, AttemptFailed, AttemptTimedOut, AttemptLost, AttemptCancelled, AttemptFenced}

// AttemptLive reports whether an attempt in state may still run.
func AttemptLive(state string) bool {
	return state == AttemptDispatched || state == AttemptRunning
}

// Worker states.
const (
	WorkerActive   = "active"
	WorkerDraining = "draining"
	WorkerLost     = "lost"
	WorkerStopped  = "stopped"
)

// WorkerStates lists every worker state.
var WorkerStates = []string{WorkerActive, WorkerDraining, WorkerLost, WorkerStopped}

// Alert delivery states (an alert not delivered yet).
const (
	AlertPending = "pending"
	AlertFailed  = "failed"
)

// TaskMarkStates are the states a person may mark a finished task with.
var TaskMarkStates = []string{TaskSucceeded, TaskSkipped}

// Schedule states.
const (
	ScheduleActive = "active"
	SchedulePaused = "paused"
)

// Task kinds. A kind's name is also the key of its block in a task's
// definition (noop: true, http: {...}, sql: {...}, workflow: NAME, wait: {...}), except shell,
// whose block is run.
const (
	KindShell    = "shell"    // run the command with /bin/sh on a worker
	KindNoop     = "noop"     // run nothing; the attempt succeeds at once
	KindHTTP     = "http"     // send an HTTP request from a worker
	KindSQL      = "sql"      // run SQL statements from a worker
	KindWorkflow = "workflow" // start a child run; the servers run it, no worker
	KindApproval = "approval" // wait for a person's decision; the servers run it, no worker
	KindWait     = "wait"     // wait for a condition; the servers check it, no worker
)

// WorkerKinds lists the kinds a worker executes, in the order of the
// Assignment kind enum of the worker protocol.
var WorkerKinds = []string{KindShell, KindNoop, KindHTTP, KindSQL}

// BaseKinds are the kinds every worker runs, also one that does not say
// which it runs (older than the claim's kinds field).
var BaseKinds = []string{KindShell, KindNoop, KindHTTP}

// Kinds lists every task kind.
var Kinds = []string{KindShell, KindNoop, KindHTTP, KindSQL, KindWorkflow, KindApproval, KindWait}

// Approval states: pending until a person or the timeout decides, or the
// run ends first (cancelled).
const (
	ApprovalPending   = "pending"
	ApprovalApproved  = "approved"
	ApprovalRejected  = "rejected"
	ApprovalCancelled = "cancelled"
)

// ApprovalStates lists every approval state.
var ApprovalStates = []string{ApprovalPending, ApprovalApproved, ApprovalRejected, ApprovalCancelled}

// Approval decisions, as a person gives them (API, CLI, UI) and as an
// approval block's default: names them.
const (
	DecisionApprove = "approve"
	DecisionReject  = "reject"
)

// Events of approval tasks. Alert channels may subscribe to
// EventApprovalRequested.
const (
	EventApprovalRequested = "approval.requested"
	EventApprovalApproved  = "approval.approved"
	EventApprovalRejected  = "approval.rejected"
)

// Resource kinds: what a version of a resource holds.
const (
	ResourceFile = "file" // one file, materialised as ./NAME
	ResourceDir  = "dir"  // a directory tree, materialised as ./NAME/...
)
