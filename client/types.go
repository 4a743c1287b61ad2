package client

import (
	"time"

	"github.com/baton-sched/baton/client/vocab"
)

// Workflow is a named workflow and its latest version.
type Workflow struct {
	Name          string    `json:"name"`
	LatestVersion int64     `json:"latest_version"`
	Disabled      bool      `json:"disabled" doc:"A disabled workflow's schedules do not fire and its runs cannot be started"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// WorkflowVersion is one immutable version of a definition.
type WorkflowVersion struct {
	Workflow   string         `json:"workflow"`
	Version    int64          `json:"version"`
	Digest     string         `json:"digest" doc:"SHA-256 of the canonical JSON definition"`
	CreatedBy  string         `json:"created_by"`
	CreatedAt  time.Time      `json:"created_at"`
	Definition map[string]any `json:"definition,omitempty" doc:"The definition as canonical JSON"`
	Source     string         `json:"source,omitempty" doc:"The text that was applied"`
}

// SourceFile is a definition file to apply.
type SourceFile struct {
	Filename string `json:"filename" doc:"Name used in error messages" example:"etl.yaml"`
	Content  string `json:"content" doc:"YAML or JSON text of one workflow definition"`
}

// ApplyRequest applies definitions together: all or none.
type ApplyRequest struct {
	Files []SourceFile `json:"files" minItems:"1"`
}

// Applied says what applying one definition did.
type Applied struct {
	Workflow string `json:"workflow"`
	Version  int64  `json:"version"`
	Changed  bool   `json:"changed" doc:"False when the definition equals the latest version"`
	// Schedules lists the schedules the new version adds, changes or removes.
	Schedules []ScheduleChange `json:"schedules,omitempty"`
}

// ScheduleChange is what applying does to one schedule of a workflow.
type ScheduleChange struct {
	Name   string     `json:"name"`
	Change string     `json:"change" enum:"added,changed,removed"`
	Cron   string     `json:"cron,omitempty"`
	Next   *time.Time `json:"next,omitempty" doc:"The next due time from now on; absent when removed or ended"`
}

// StartRunRequest starts a run of a workflow.
type StartRunRequest struct {
	Params         map[string]string `json:"params,omitempty"`
	IdempotencyKey string            `json:"idempotency_key,omitempty" doc:"A repeated start with the same key returns the first run"`
	Priority       int64             `json:"priority,omitempty" doc:"Higher runs first when capacity is short"`
	Version        int64             `json:"version,omitempty" doc:"Workflow version; 0 or absent for the latest"`
}

// StartRunsRequest starts several runs of a workflow at once.
type StartRunsRequest struct {
	Runs []StartRunRequest `json:"runs" minItems:"1" maxItems:"1000"`
}

// StartRunsResponse lists the runs a batch start created or, for repeated
// idempotency keys, found, in the order asked.
type StartRunsResponse struct {
	Runs []Run `json:"runs"`
}

// Run is one execution of a workflow version.
type Run struct {
	ID          int64             `json:"id"`
	Workflow    string            `json:"workflow"`
	Version     int64             `json:"version"`
	State       string            `json:"state" enum:"queued,running,paused,succeeded,failed,cancelled"`
	Reason      string            `json:"reason,omitempty"`
	Params      map[string]string `json:"params"`
	Priority    int64             `json:"priority"`
	ScheduledAt time.Time         `json:"scheduled_at,omitzero"`
	CreatedBy   string            `json:"created_by"`
	CreatedAt   time.Time         `json:"created_at"`
	StartedAt   time.Time         `json:"started_at,omitzero"`
	FinishedAt  time.Time         `json:"finished_at,omitzero"`
	TasksTotal  int64             `json:"tasks_total"`
	TasksLeft   int64             `json:"tasks_left"`
	TasksFailed int64             `json:"tasks_failed"`
	// ParentRunID is the run whose sub-workflow task started this one.
	ParentRunID int64 `json:"parent_run_id,omitempty"`
}

// Terminal reports whether the run has finished.
func (r Run) Terminal() bool {
	return r.State == vocab.RunSucceeded || r.State == vocab.RunFailed || r.State == vocab.RunCancelled
}

// RunDetail is a run with its tasks.
type RunDetail struct {
	Run
	Tasks []Task `json:"tasks"`
}

// Task is one task of a run.
type Task struct {
	ID         int64             `json:"id"`
	Name       string            `json:"name"`
	State      string            `json:"state" enum:"pending,queued,running,retry_wait,succeeded,failed,skipped,cancelled,upstream_failed"`
	Reason     string            `json:"reason,omitempty"`
	Group      string            `json:"group" doc:"@workflow for a sub-workflow task (started by the servers)"`
	CU         float64           `json:"cu"`
	Slot       string            `json:"slot,omitempty" doc:"The concurrency slot the task takes while it runs"`
	Attempts   int64             `json:"attempts"`
	Lost       int64             `json:"lost" doc:"Attempts lost with their worker"`
	Outputs    map[string]string `json:"outputs,omitempty"`
	StartedAt  time.Time         `json:"started_at,omitzero"`
	FinishedAt time.Time         `json:"finished_at,omitzero"`
	// Checkpoint is the last checkpoint an attempt uploaded (base64 of its
	// $BATON_CHECKPOINT file), CheckpointAt when.
	Checkpoint   string    `json:"checkpoint,omitempty"`
	CheckpointAt time.Time `json:"checkpoint_at,omitzero"`
	// LastAttempt is the task's most recent attempt, if any.
	LastAttempt *Attempt `json:"last_attempt,omitempty"`
}

// Attempt is one execution of a task on a worker.
type Attempt struct {
	ID           int64     `json:"id" doc:"Also the attempt's fencing token"`
	TaskID       int64     `json:"task_id"`
	Task         string    `json:"task"`
	Number       int64     `json:"number"`
	State        string    `json:"state" enum:"dispatched,running,succeeded,failed,timed_out,lost,cancelled,fenced"`
	Reason       string    `json:"reason,omitempty"`
	WorkerID     string    `json:"worker_id"`
	Zone         string    `json:"zone"`
	ExitCode     int64     `json:"exit_code"`
	DispatchedAt time.Time `json:"dispatched_at"`
	StartedAt    time.Time `json:"started_at,omitzero"`
	FinishedAt   time.Time `json:"finished_at,omitzero"`
}

// Worker is a registered worker.
type Worker struct {
	ID             string            `json:"id"`
	Name           string            `json:"name"`
	Zone           string            `json:"zone"`
	Group          string            `json:"group"`
	Labels         map[string]string `json:"labels"`
	Capacity       float64           `json:"capacity" doc:"Capacity in CU"`
	State          string            `json:"state" enum:"active,draining,lost,stopped"`
	Version        string            `json:"version"`
	LeaseExpiresAt time.Time         `json:"lease_expires_at"`
	RegisteredAt   time.Time         `json:"registered_at"`
	LastSeenAt     time.Time         `json:"last_seen_at"`
	UsedCU         float64           `json:"used_cu" doc:"Capacity taken by its running attempts"`
	Running        int               `json:"running" doc:"Its live attempts"`
}

// Event is one entry of the audit trail.
type Event struct {
	ID        int64     `json:"id"`
	At        time.Time `json:"at"`
	Kind      string    `json:"kind" doc:"<entity>.<new state>, e.g. task.succeeded, or alert.* for alerts"`
	Actor     string    `json:"actor"`
	RunID     int64     `json:"run_id,omitempty"`
	TaskID    int64     `json:"task_id,omitempty"`
	Task      string    `json:"task,omitempty"`
	AttemptID int64     `json:"attempt_id,omitempty"`
	WorkerID  string    `json:"worker_id,omitempty"`
	OldState  string    `json:"old_state,omitempty"`
	NewState  string    `json:"new_state,omitempty"`
	Reason    string    `json:"reason,omitempty"`
	Zone      string    `json:"zone,omitempty"`
}

// LogChunk is a piece of an attempt's output.
type LogChunk struct {
	Seq    int64     `json:"seq"`
	Stream string    `json:"stream" enum:"stdout,stderr"`
	At     time.Time `json:"at"`
	Data   string    `json:"data"`
}

// Logs is a page of an attempt's output.
type Logs struct {
	AttemptID int64      `json:"attempt_id"`
	Attempt   int64      `json:"attempt" doc:"Attempt number"`
	State     string     `json:"state" doc:"The attempt's state; output is complete once it is terminal"`
	Chunks    []LogChunk `json:"chunks"`
	NextSeq   int64      `json:"next_seq" doc:"Pass as after to read on"`
	// DroppedBytes is how much of the attempt's output the servers dropped
	// (the middle, past max_log_bytes); a line in the output marks where.
	DroppedBytes int64 `json:"dropped_bytes,omitempty" doc:"Bytes of output dropped past max_log_bytes"`
}

// Page is one page of a listing; Next, when set, fetches the following one.
type Page[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next,omitempty" doc:"Cursor for the next page"`
}
