package store

// Rows of Baton's tables. Times are milliseconds since the Unix epoch by the
// database clock; absent values are 0 or "". Each type has the exact field
// set of the row the generated query layer returns, so the drivers convert
// with a plain type conversion and the compiler checks that they agree.

// Workflow is a named workflow and a pointer to its latest version.
type Workflow struct {
	ID              int64
	Name            string
	LatestVersion   int64
	LatestVersionID int64
	LatestDigest    string
	CreatedAt       int64
	UpdatedAt       int64
	// Disabled: its schedules do not fire and its runs cannot be started.
	Disabled bool
	// DeletedAt is when the workflow was deleted (ms), 0 while it exists.
	DeletedAt int64
}

// Version is one immutable version of a workflow definition.
type Version struct {
	ID         int64
	WorkflowID int64
	Version    int64
	Digest     string
	Spec       string // canonical JSON of the definition
	Source     string // the text the user applied (YAML or JSON)
	CreatedBy  string
	CreatedAt  int64
}

// Run is one execution of a workflow version.
type Run struct {
	ID             int64
	WorkflowID     int64
	Workflow       string
	VersionID      int64
	Version        int64
	State          string
	Reason         string
	Params         string // JSON object of resolved parameters
	IdempotencyKey string
	Priority       int64
	ScheduledAt    int64
	CreatedBy      string
	TasksTotal     int64
	TasksLeft      int64 // tasks not yet in a terminal state
	TasksFailed    int64
	CreatedAt      int64
	StartedAt      int64
	FinishedAt     int64
	ScheduleID     int64 // the schedule that fired the run, 0 for none
	// ParentRunID and ParentTaskID name the sub-workflow task that
	// started the run, 0 for a run started otherwise.
	ParentRunID  int64
	ParentTaskID int64
}

// Task is one task of one run. Idx is the task's index in the version's
// compiled graph.
type Task struct {
	ID          int64
	RunID       int64
	Idx         int64
	Name        string
	State       string
	Reason      string
	Group       string
	CU          float64
	Priority    int64
	RunPriority int64
	NeedsTotal  int64
	NeedsDone   int64
	Attempts    int64
	Lost        int64
	AttemptID   int64 // the live attempt, 0 when none
	AvoidWorker string
	AvoidZone   string
	Outputs     string // JSON object of the succeeded attempt's outputs
	ReadyAt     int64
	CreatedAt   int64
	StartedAt   int64
	FinishedAt  int64
	// Labels is a JSON object of worker labels the task requires, "" for
	// none; ZonesAllow and ZonesDeny are zone lists written ",a,b,", ""
	// for none. See EncodeZones.
	Labels     string
	ZonesAllow string
	ZonesDeny  string
	// Preempted counts attempts an operator moved elsewhere (drain
	// --reschedule): neither failures nor losses.
	Preempted int64
	// Held tasks (of a paused run) are not claimed.
	Held bool
	// NeedsFailed counts upstream tasks that ended without success.
	NeedsFailed int64
	// Checkpoint is the base64 of the last checkpoint an attempt of the
	// task uploaded ('' for none), CheckpointAt when.
	Checkpoint   string
	CheckpointAt int64
	// Slot is the concurrency slot the task takes while it runs, '' for
	// none.
	Slot string
	// The live attempt (while the task runs under AttemptID): its worker
	// and zone, when it was dispatched and started (0: not yet), its
	// timeout and whether its worker was asked to stop it. Read attempts
	// through Attempts, which gives live and ended ones alike.
	WorkerID         string
	Zone             string
	DispatchedAt     int64
	AttemptStartedAt int64
	TimeoutMs        int64
	StopRequested    bool
}

// Attempt is one execution of a task on a worker. Its ID is the fencing
// token every worker report carries.
type Attempt struct {
	ID           int64
	TaskID       int64
	RunID        int64
	Task         string // the task's name
	Number       int64
	State        string
	Reason       string
	WorkerID     string
	Zone         string
	ExitCode     int64
	DispatchedAt int64
	StartedAt    int64
	FinishedAt   int64
	// StopRequested: an operator asked the worker to stop the attempt so
	// its task moves elsewhere.
	StopRequested bool
	TimeoutMs     int64 // the task's timeout when dispatched, 0 for none
}

// Worker is a registered worker process. Its lease covers all its attempts.
type Worker struct {
	ID             string
	Name           string
	Zone           string
	Group          string
	Labels         string // JSON object
	Capacity       float64
	State          string
	Version        string
	LeaseExpiresAt int64
	RegisteredAt   int64
	LastSeenAt     int64
}

// Event is one entry of the audit trail.
type Event struct {
	ID        int64
	At        int64
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

// LogChunk is a piece of an attempt's output, numbered by the worker.
type LogChunk struct {
	ID        int64
	AttemptID int64
	Seq       int64
	Stream    string
	At        int64
	Data      string
	Size      int64 // len(Data)
}

// LogStats is what is kept of an attempt's output (see migration 00010):
// the head, whole, then the chunks past it, the oldest of which are
// dropped once the whole passes the cap.
type LogStats struct {
	AttemptID int64
	HeadBytes int64 // bytes of the head
	HeadSeq   int64 // the last chunk of the head
	TailBytes int64 // bytes of the chunks kept past the head
	TailFrom  int64 // the first chunk past the head (0: the head is open); older ones were dropped
	LastSeq   int64 // the highest chunk seen
	Dropped   int64 // bytes dropped
}

// LogSize is the size of a stored chunk.
type LogSize struct {
	Seq  int64
	Size int64
}

// Secret is a secret as stored: its value sealed (package secrets).
type Secret struct {
	Name       string
	KeyID      string
	Nonce      string
	Ciphertext string
	CreatedAt  int64
	CreatedBy  string
	UpdatedAt  int64
	UpdatedBy  string
}

// Zone is an availability zone's recorded health and cordon.
type Zone struct {
	Name      string
	State     string
	Cordoned  bool
	Reason    string
	ChangedAt int64
}

// LoopMark is when a background loop last ran, and the database's time
// when the mark was read.
type LoopMark struct {
	At  int64
	Now int64
}

// LeaderLease is a named lease held by one server for one term.
type LeaderLease struct {
	Name      string
	Holder    string
	Term      int64
	ExpiresAt int64
}

// Schedule is a schedule of a workflow and its firing state. Times are
// milliseconds since the Unix epoch.
type Schedule struct {
	ID         int64
	WorkflowID int64
	Workflow   string
	Name       string
	Spec       string // JSON of the definition's workflow.Schedule
	NextFireAt int64  // the next due time; 0 once the schedule has ended
	FireAt     int64  // NextFireAt plus jitter: when it fires
	Buffered   string // JSON array of due times waiting to start, '' for none
	Paused     bool
	Note       string
	CreatedAt  int64
	UpdatedAt  int64
}

// ScheduledRun is a run of a schedule: its state, when it was due and
// created, and by whom ("schedule:..." when the schedule fired it).
type ScheduledRun struct {
	ID          int64
	State       string
	ScheduledAt int64
	CreatedAt   int64
	CreatedBy   string
}

// AlertChannel is a webhook subscribed to event kinds.
type AlertChannel struct {
	Name      string
	URL       string
	Secret    string // signs each delivery (HMAC-SHA256) when set
	Events    string // comma-separated kinds, or prefixes "zone.*"
	CreatedAt int64
	UpdatedAt int64
}

// Alert is one delivery of an event to a channel, waiting in the outbox.
type Alert struct {
	ID        int64
	AlertID   string // stable across redeliveries, for deduplication
	Channel   string
	Kind      string
	Payload   string // the JSON body sent
	State     string // pending, or failed once given up
	Attempts  int64
	NextAt    int64
	LastError string
	CreatedAt int64
}

// Slot is a named concurrency limit shared across workflows: at most Size
// tasks naming it run at once.
type Slot struct {
	Name        string
	Size        int64
	Description string
	UpdatedAt   int64
}

// SlotInfo is a slot with its tasks running and queued now.
type SlotInfo struct {
	Name        string
	Size        int64
	Description string
	UpdatedAt   int64
	Running     int64
	Queued      int64
}

// SlotUsage is a slot's size and its tasks running now.
type SlotUsage struct {
	Name    string
	Size    int64
	Running int64
}

// Token kinds.
const (
	TokenAPI    = "api"
	TokenJoin   = "join"
	TokenWorker = "worker"
	// TokenSession is a browser session (login.go): Subject names whom
	// it stands for; it is not listed with the API tokens.
	TokenSession = "session"
)

// NewToken is a token to store.
type NewToken struct {
	Name         string
	Kind         string // TokenAPI, TokenJoin, TokenWorker
	Hash         string
	Role         string
	Scope        string
	Zones        string // comma-separated; '' for any
	WorkerGroups string
	WorkerID     string
	ExpiresAt    int64 // ms; 0: never
	CreatedBy    string
	Subject      string // sessions: the principal, "user:alice"
}

// Token is a stored credential; times are ms, 0 for never.
type Token struct {
	ID           int64
	Name         string
	Kind         string
	Hash         string
	Role         string
	Scope        string
	Zones        string
	WorkerGroups string
	WorkerID     string
	ExpiresAt    int64
	RevokedAt    int64
	LastUsedAt   int64
	CreatedBy    string
	CreatedAt    int64
	Subject      string
}

// NewUser is a local user to store.
type NewUser struct {
	Name         string
	Role         string
	PasswordHash string // PHC string (package auth)
	CreatedBy    string
}

// User is a stored local user; times are ms, DisabledAt 0 if enabled.
type User struct {
	ID           int64
	Name         string
	Role         string
	PasswordHash string
	DisabledAt   int64
	CreatedBy    string
	CreatedAt    int64
	UpdatedAt    int64
}

// NewServer is a server recording itself.
type NewServer struct {
	ID      string
	Address string
	Zone    string
	Version string
}

// Server is a server of the registry; times are ms by the database clock.
type Server struct {
	ID         string
	Address    string
	Zone       string
	Version    string
	StartedAt  int64
	LastSeenAt int64
	// Ready is the server's readiness when it last refreshed its row.
	Ready bool
}

// QueueDepth is the queued tasks of one group and one zone constraint.
type QueueDepth struct {
	Group      string
	ZonesAllow string // ",a,b," or "" for any zone (see EncodeZones)
	Tasks      int64
	OldestMs   int64 // how long the oldest has been ready
}

// AlertBacklog is the undelivered alerts in one state of the outbox:
// pending (still tried) or failed (given up).
type AlertBacklog struct {
	State    string
	Alerts   int64
	OldestMs int64 // age of the oldest
}

// Approval is what an approval task's attempt waits for: a person's
// decision, or the timeout's Outcome at DeadlineAt (0: none). Times are
// ms, database clock.
type Approval struct {
	AttemptID int64
	RunID     int64
	TaskID    int64
	Task      string
	Workflow  string
	Message   string
	// Outcome is the decision the timeout takes (vocab.DecisionApprove
	// or DecisionReject); '' without a timeout.
	Outcome     string
	DeadlineAt  int64
	State       string // vocab.Approval*
	Actor       string // who decided: user:NAME, token:NAME, system
	Note        string
	RequestedAt int64
	DecidedAt   int64
}

// NewApproval is an approval to record; TimeoutMs 0 sets no deadline.
type NewApproval struct {
	AttemptID, RunID, TaskID int64
	Task, Workflow, Message  string
	Outcome                  string
	TimeoutMs                int64
}
