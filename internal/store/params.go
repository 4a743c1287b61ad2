package store

// Arguments and narrow results of store operations. Like the row types,
// each mirrors the generated query layer field for field.

// NewVersion is a workflow version to insert.
type NewVersion struct {
	WorkflowID int64
	Version    int64
	Digest     string
	Spec       string
	Source     string
	CreatedBy  string
}

// NewRun is a run to insert; TasksTotal also initializes TasksLeft.
type NewRun struct {
	WorkflowID     int64
	Workflow       string
	VersionID      int64
	Version        int64
	State          string
	Params         string
	IdempotencyKey string
	Priority       int64
	ScheduledAt    int64
	CreatedBy      string
	TasksTotal     int64
	ScheduleID     int64
}

// RunFilter selects runs, newest first. Zero fields match everything,
// except Limit, which must be positive.
type RunFilter struct {
	Workflow    string
	State       string
	CreatedFrom int64
	CreatedTo   int64
	BeforeID    int64
	Limit       int64
}

// RunDelta counts tasks of a run that reached a terminal state: Done in
// all, Failed of them failures.
type RunDelta struct {
	ID     int64
	Done   int64
	Failed int64
}

// RunFinish ends a run in State (succeeded, failed or cancelled).
type RunFinish struct {
	ID     int64
	State  string
	Reason string
}

// RunProgress is a run's counters and state after a change: a run with no
// task left is finished by the same change.
type RunProgress struct {
	ID          int64
	State       string
	TasksLeft   int64
	TasksFailed int64
	Reason      string
	WorkflowID  int64
	VersionID   int64
	// ParentTaskID is the sub-workflow task that started the run, 0 for
	// none.
	ParentTaskID int64
}

// NewTask is a task row created with its run.
type NewTask struct {
	RunID       int64
	Idx         int64
	Name        string
	State       string
	Group       string
	CU          float64
	Priority    int64
	RunPriority int64
	NeedsTotal  int64
	Labels      string // JSON object of required worker labels, "" for none
	ZonesAllow  string // see EncodeZones
	ZonesDeny   string
	Slot        string // concurrency slot, "" for none
}

// TaskRef names a task a bulk update touched, with its new state.
type TaskRef struct {
	ID    int64
	RunID int64
	Name  string
	State string
}

// TaskOutputs is the stored outputs (JSON) of one task of a run.
type TaskOutputs struct {
	Name    string
	Outputs string
}

// TaskRun is a task with its run.
type TaskRun struct {
	Task Task
	Run  Run
}

// AttemptWon is an attempt Attempts.Succeed ended and its task with it:
// the task and run as Tasks.GetManyToSettle reads them, the task as it
// was, running under the attempt.
type AttemptWon struct {
	Attempt Attempt
	TaskRun
}

// Candidate is a queued task offered to a claim.
type Candidate struct {
	ID          int64
	RunID       int64
	Idx         int64
	Name        string
	CU          float64
	Attempts    int64
	Lost        int64
	AvoidWorker string
	AvoidZone   string
	// WaitedMs is how long the task has been ready, by the database clock.
	WaitedMs int64
	Slot     string
	// Run is the task's run, read with the candidate (not locked), with
	// the columns working on its tasks reads (Tasks.GetManyToSettle lists
	// them; the rest is left zero).
	Run Run
}

// CandidateFilter selects the queued tasks a worker of Zone with the
// labels WorkerLabels (a JSON object) may run, in Group.
type CandidateFilter struct {
	Group string
	// OpenSlots lists the slots whose tasks may be offered, each between
	// commas (",a,b,"); tasks of other slots are left queued.
	OpenSlots    string
	Zone         string
	WorkerLabels string
	Limit        int64
}

// TaskRelease counts N more finished upstream tasks for task Idx of run
// RunID.
type TaskRelease struct {
	RunID int64
	Idx   int64
	N     int64
}

// TaskFinish ends a running task together with its attempt AttemptID.
type TaskFinish struct {
	State     string
	Reason    string
	Outputs   string
	ID        int64
	AttemptID int64
}

// TaskRequeue sends a running task back to the queue after its attempt
// AttemptID ended: State is queued (now) or retry_wait (after DelayMs).
// Lost and Preempted add to the task's counters.
type TaskRequeue struct {
	State       string
	Reason      string
	DelayMs     int64
	Lost        int64
	Preempted   int64
	AvoidWorker string
	AvoidZone   string
	ID          int64
	AttemptID   int64
}

// NewAttempt is an attempt dispatched to a worker.
type NewAttempt struct {
	TaskID    int64
	RunID     int64
	Task      string
	Number    int64
	WorkerID  string
	Zone      string
	TimeoutMs int64 // the task's timeout, 0 for none
}

// AttemptFinish ends a live attempt in State. Start records its start as
// well, if it had none: the worker reported both at once.
type AttemptFinish struct {
	State    string
	Reason   string
	ExitCode int64
	ID       int64
	Start    bool
}

// AttemptSuccess ends a live attempt as succeeded and its task with it,
// the task's outputs Outputs (a JSON object, "" for none). Start records
// the attempt's start as well, if it had none.
type AttemptSuccess struct {
	Reason   string
	ExitCode int64
	Outputs  string
	ID       int64
	Start    bool
}

// AttemptRef names an attempt a bulk update touched.
type AttemptRef struct {
	ID       int64
	TaskID   int64
	Task     string
	WorkerID string
}

// NewWorker registers a worker with a lease of TTLMs.
type NewWorker struct {
	ID       string
	Name     string
	Zone     string
	Group    string
	Labels   string
	Capacity float64
	Version  string
	TTLMs    int64
}

// WorkerRef names a worker a bulk update touched.
type WorkerRef struct {
	ID   string
	Zone string
}

// NewEvent is an audit event; its time is the database's.
type NewEvent struct {
	Kind      string
	Actor     string
	RunID     int64
	TaskID    int64
	Task      string
	AttemptID int64
	WorkerID  string
	OldState  string
	NewState  string
	Reason    string
	Zone      string
}

// EventFilter selects events in id order, oldest first unless Newest.
// Zero fields match everything, except Limit, which must be positive.
type EventFilter struct {
	RunID   int64
	Kind    string
	AfterID int64
	// BeforeID: only events below this ID (0: no bound); it pages a
	// newest-first list on, and lists newest first whatever Newest says.
	BeforeID int64
	// Newest lists newest first (ID descending), which the primary key,
	// the (kind, id) and the run indexes serve read backwards.
	Newest bool
	Limit  int64
	Actor  string
	// AtFrom and AtTo bound the events' time, ms: AtFrom <= at < AtTo
	// (AtTo 0: no upper bound).
	AtFrom int64
	AtTo   int64
}

// NewLogChunk is a log chunk to store; a repeated (AttemptID, Seq) is ignored.
type NewLogChunk struct {
	AttemptID int64
	Seq       int64
	Stream    string
	Data      string
	Size      int64 // len(Data)
}

// LiveAttempt is a worker's live attempt as its heartbeat sees it.
// Overdue: dispatched longer than the dispatch timeout ago, not started.
type LiveAttempt struct {
	ID            int64
	StopRequested bool
	Overdue       bool
	// Overtime: running past its timeout and the grace Live was given.
	Overtime bool
}

// WorkerUsage is the live attempts of a worker and the CU they take.
type WorkerUsage struct {
	WorkerID string
	Running  int64
	UsedCU   float64
}

// NewSchedule is a schedule to insert.
type NewSchedule struct {
	WorkflowID int64
	Workflow   string
	Name       string
	Spec       string
	NextFireAt int64
	FireAt     int64
	Paused     bool
	Note       string
}

// RunRecovery is the new state of a finished run a person recovered:
// running again (TasksLeft > 0) or finished anew.
type RunRecovery struct {
	State       string
	Reason      string
	TasksLeft   int64
	TasksFailed int64
	ID          int64
}

// TaskRecovery moves a task from FromState to State: pending or queued to
// run again (NeedsDone of its upstream succeeded, NeedsFailed failed), or
// succeeded, skipped or upstream_failed.
type TaskRecovery struct {
	State       string
	Reason      string
	NeedsDone   int64
	NeedsFailed int64
	ID          int64
	FromState   string
}
