package store

import (
	"context"
	"errors"
)

// Sentinel errors the drivers map database errors to.
var (
	// ErrNotFound: the row asked for does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict: a unique constraint refused the write.
	ErrConflict = errors.New("conflict")
)

// Store is Baton's system of record. Postgres and SQLite implement it with
// the same behaviour, checked by one shared test suite (storetest).
type Store interface {
	// Dialect is "postgres" or "sqlite".
	Dialect() string
	// InTx runs fn in a read-write transaction and commits when fn returns
	// nil. fn may run more than once: transient conflicts (deadlock,
	// serialization failure, busy database) retry it, so it must not have
	// side effects outside the transaction.
	InTx(ctx context.Context, fn func(Tx) error) error
	// Read runs fn for reads only; it may or may not be a transaction.
	Read(ctx context.Context, fn func(Tx) error) error
	// WorkSignal returns a channel that is closed when work may have become
	// claimable after the call: a commit that called Tx.NotifyWork, here or
	// (Postgres) on any server.
	WorkSignal() <-chan struct{}
	// Vacuum reclaims the dead rows of the tables whose rows change state
	// all the time (Postgres: VACUUM, skipping tables another vacuum holds),
	// so that the queue does not slow down as they pile up; nothing on
	// SQLite, which has no dead rows to speak of.
	Vacuum(ctx context.Context) error
	// Close releases the database.
	Close() error
}

// Backuper is a store that writes a consistent copy of itself to a new
// file while it serves (SQLite: VACUUM INTO). PostgreSQL stores are backed
// up with its own tools (pg_dump, base backups and WAL archiving).
type Backuper interface {
	// Backup writes a snapshot of the database, as of one instant, to
	// path, which must not exist.
	Backup(ctx context.Context, path string) error
}

// Tx groups the operations of one transaction by table.
type Tx interface {
	Workflows() Workflows
	Runs() Runs
	Tasks() Tasks
	Attempts() Attempts
	Workers() Workers
	Events() Events
	Logs() Logs
	Zones() Zones
	Leaders() Leaders
	Marks() Marks
	Schedules() Schedules
	Alerts() Alerts
	Slots() Slots
	Stats() Stats
	Secrets() Secrets
	Tokens() Tokens
	Servers() Servers
	Users() Users
	Retention() Retention
	Waits() Waits
	Triggers() Triggers
	Approvals() Approvals
	Resources() Resources
	// NotifyWork wakes waiting claims once the transaction commits.
	NotifyWork()
}

// Workflows stores workflow definitions and their versions.
type Workflows interface {
	// Upsert returns the named workflow, creating it if missing; on Postgres
	// the row stays locked until the transaction ends. A deleted workflow
	// is returned as it is (DeletedAt set); SetLatest brings it back.
	Upsert(ctx context.Context, name string) (Workflow, error)
	// Get and List see only workflows that are not deleted.
	Get(ctx context.Context, name string) (Workflow, error)
	List(ctx context.Context, after string, limit int64) ([]Workflow, error)
	InsertVersion(ctx context.Context, v NewVersion) (Version, error)
	SetLatest(ctx context.Context, workflowID, versionID, version int64, digest string) error
	Version(ctx context.Context, id int64) (Version, error)
	VersionByNumber(ctx context.Context, workflowID, version int64) (Version, error)
	Versions(ctx context.Context, workflowID int64) ([]Version, error)
	// SetDisabled disables or enables a workflow; false if it already was
	// so, or is deleted.
	SetDisabled(ctx context.Context, id int64, disabled bool) (bool, error)
	// Delete marks a workflow deleted (and enabled, with no latest digest);
	// false if it already was.
	Delete(ctx context.Context, id int64) (bool, error)
}

// Runs stores runs and their progress counters. Operations on several
// rows are one statement on Postgres; their results come in no particular
// order unless said otherwise.
type Runs interface {
	// InsertMany inserts runs and returns them in the order given.
	InsertMany(ctx context.Context, rs []NewRun) ([]Run, error)
	Get(ctx context.Context, id int64) (Run, error)
	GetMany(ctx context.Context, ids []int64) ([]Run, error)
	ByKey(ctx context.Context, workflowID int64, key string) (Run, error)
	// ByKeys returns the runs of a workflow with any of the idempotency keys.
	ByKeys(ctx context.Context, workflowID int64, keys []string) ([]Run, error)
	// RecordStart records the answer of a start request under its
	// workflow and key; false (and nothing written) if that key is
	// recorded already.
	RecordStart(ctx context.Context, r StartRecord) (bool, error)
	// StartRecord returns the start request recorded under a workflow's
	// key; ErrNotFound if none.
	StartRecord(ctx context.Context, workflowID int64, key string) (StartRecord, error)
	List(ctx context.Context, f RunFilter) ([]Run, error)
	// AddProgressMany records, per run, done terminal tasks and failed of
	// them failures, ends the runs with no task left (succeeded if none
	// failed, else failed with the number as reason) and returns the runs'
	// counters and states.
	AddProgressMany(ctx context.Context, ds []RunDelta) ([]RunProgress, error)
	// FinishMany ends runs that are not yet terminal and returns those it
	// ended.
	FinishMany(ctx context.Context, fs []RunFinish) ([]int64, error)
	// Recover sets the state and counters of a finished run a person
	// recovered; false if the run is not finished.
	Recover(ctx context.Context, r RunRecovery) (bool, error)
	// SetState moves a run from one state to another (running, paused);
	// false if it was not in from.
	SetState(ctx context.Context, id int64, from, to string) (bool, error)
	// AddActive adds delta to the count of active runs of a workflow with
	// max_active_runs and returns it (on Postgres the row stays locked).
	AddActive(ctx context.Context, workflowID, delta int64) (int64, error)
	// Wait queues a run for its turn; PopWait returns the oldest waiting
	// run of a workflow (false if none) and forgets it; Unwait forgets one.
	Wait(ctx context.Context, runID, workflowID int64) error
	PopWait(ctx context.Context, workflowID int64) (int64, bool, error)
	Unwait(ctx context.Context, runID int64) error
	// SetDeadline gives a run a deadline timeoutMs from now.
	SetDeadline(ctx context.Context, id, timeoutMs int64) error
	// DueDeadlines returns up to limit runs whose deadline passed, locked
	// (Postgres: others' locked rows skipped); DeleteDeadline forgets one.
	DueDeadlines(ctx context.Context, limit int64) ([]int64, error)
	DeleteDeadline(ctx context.Context, id int64) error
	// SetParent links a sub-workflow's run to the task that started it;
	// Children returns the runs tasks of a run started, oldest first.
	SetParent(ctx context.Context, id, parentRunID, parentTaskID int64) error
	Children(ctx context.Context, parentRunID int64) ([]Run, error)
}

// Tasks stores the tasks of runs; queued tasks form the work queue.
type Tasks interface {
	Insert(ctx context.Context, ts []NewTask) error
	Get(ctx context.Context, id int64) (Task, error)
	ByName(ctx context.Context, runID int64, name string) (Task, error)
	ListRun(ctx context.Context, runID int64) ([]Task, error)
	Outputs(ctx context.Context, runID int64) ([]TaskOutputs, error)
	// Candidates returns up to f.Limit queued tasks that a worker of f.Zone
	// and f.WorkerLabels may run in f.Group, in placement order, locked
	// against other claims (Postgres: rows locked by another transaction
	// are skipped), each with its run.
	Candidates(ctx context.Context, f CandidateFilter) ([]Candidate, error)
	GetMany(ctx context.Context, ids []int64) ([]Task, error)
	// GetManyToSettle returns the tasks ids, each with its run, in one
	// query, filling only what settling an attempt reads (the rest is
	// left zero): of the task ID, RunID, Idx, Name, State, AttemptID,
	// Slot, Attempts, Lost, Preempted and StartedAt; of the run ID,
	// WorkflowID, Workflow, VersionID, State, Params, Priority,
	// ScheduledAt, CreatedAt, ParentRunID and ParentTaskID.
	GetManyToSettle(ctx context.Context, ids []int64) ([]TaskRun, error)
	// FinishMany ends running tasks with their current attempts and returns
	// those it ended; a task that moved on is left alone.
	FinishMany(ctx context.Context, fs []TaskFinish) ([]int64, error)
	// Fail fails a queued task that could not be dispatched.
	Fail(ctx context.Context, id int64, reason string) (bool, error)
	Requeue(ctx context.Context, r TaskRequeue) (bool, error)
	// ReleaseMany counts finished upstream tasks for tasks of runs (each
	// (run, idx) once, with its count) and returns them, queued where all
	// their upstream are done.
	ReleaseMany(ctx context.Context, rs []TaskRelease) ([]TaskRef, error)
	// MarkUpstreamFailed ends the pending tasks idxs of a run.
	MarkUpstreamFailed(ctx context.Context, runID int64, idxs []int64, reason string) ([]TaskRef, error)
	// WakeRetries queues the retry_wait tasks that are due.
	WakeRetries(ctx context.Context) ([]TaskRef, error)
	// CancelRun cancels every unfinished task of a run.
	CancelRun(ctx context.Context, runID int64, reason string) ([]TaskRef, error)
	// Recover moves a task of a finished run to a new state; false if it
	// was no longer in r.FromState.
	Recover(ctx context.Context, r TaskRecovery) (bool, error)
	// Carry ends a pending task in state (succeeded or skipped) with
	// outputs carried from the run a new run reruns; false if it was not
	// pending.
	Carry(ctx context.Context, id int64, state, reason, outputs string) (bool, error)
	// SaveCheckpoint stores a checkpoint of the task whose live attempt on
	// workerID is attemptID; false if it is not live.
	SaveCheckpoint(ctx context.Context, workerID string, attemptID int64, checkpoint string) (bool, error)
	// AddUpstreamFailure counts one more upstream of task (run, idx) that
	// ended without success and returns the task.
	AddUpstreamFailure(ctx context.Context, runID, idx int64) (Task, error)
	// HoldRun holds every task of a run (claims pass them over) or
	// releases them.
	HoldRun(ctx context.Context, runID int64, held bool) error
	// AnyQueued says whether a task of group waits to be claimed.
	AnyQueued(ctx context.Context, group string) (bool, error)
}

// Attempts stores attempts; an attempt's ID is its fencing token.
type Attempts interface {
	// Dispatch turns queued tasks running under new live attempts (one
	// statement on PostgreSQL), returning the attempts' IDs in the order
	// given; an error if a task was no longer queued (the caller rolls
	// back). A live attempt is kept on its task's row; it is written to
	// the attempts' table once, when it ends.
	Dispatch(ctx context.Context, as []NewAttempt) ([]int64, error)
	// StartMany moves dispatched attempts of workerID to running and
	// returns those it moved.
	StartMany(ctx context.Context, ids []int64, workerID string) ([]Attempt, error)
	// FinishMany ends live attempts (of workerID, unless it is "") and
	// returns those it ended; the others were not live: they are fenced.
	FinishMany(ctx context.Context, workerID string, fs []AttemptFinish) ([]Attempt, error)
	// Succeed ends live attempts (of workerID, unless it is "") as
	// succeeded and their tasks with them (one statement on PostgreSQL:
	// the task's row is written once, the attempt's once), returning the
	// attempts it ended, each with what settling reads of its task and
	// run; the others were not live there: they are fenced.
	Succeed(ctx context.Context, workerID string, ss []AttemptSuccess) ([]AttemptWon, error)
	Get(ctx context.Context, id int64) (Attempt, error)
	ListRun(ctx context.Context, runID int64) ([]Attempt, error)
	// Live returns a worker's live attempts, those dispatched more than
	// dispatchTimeoutMs ago and not started marked overdue, those running
	// longer than their timeout plus graceMs marked overtime.
	Live(ctx context.Context, workerID string, dispatchTimeoutMs, graceMs int64) ([]LiveAttempt, error)
	// ListWorker returns a worker's live attempts in full.
	ListWorker(ctx context.Context, workerID string) ([]Attempt, error)
	// Unstarted returns a worker's attempts dispatched and not started,
	// oldest first.
	Unstarted(ctx context.Context, workerID string) ([]Attempt, error)
	// RequestStop asks the worker of a live attempt to stop it.
	RequestStop(ctx context.Context, id int64) (bool, error)
	// Orphaned returns up to limit live attempts whose worker is lost or
	// stopped, locked for the caller (Postgres: others' locked rows skipped).
	Orphaned(ctx context.Context, limit int64) ([]Attempt, error)
	// CancelRun cancels every live attempt of a run, those of tasks
	// Tasks.CancelRun just cancelled included: call it after that.
	CancelRun(ctx context.Context, runID int64, reason string) ([]AttemptRef, error)
	// ResetDispatched restarts the dispatch timeout of every attempt not
	// yet started and returns how many there were.
	ResetDispatched(ctx context.Context) (int64, error)
}

// Workers stores registered workers and their leases.
type Workers interface {
	Register(ctx context.Context, w NewWorker) (Worker, error)
	// Renew extends a worker's lease; ErrNotFound if it is not live.
	Renew(ctx context.Context, id string, ttlMs int64) (Worker, error)
	Get(ctx context.Context, id string) (Worker, error)
	// Lock returns the worker, locked until the transaction ends so that
	// its state cannot change meanwhile (claims take it, so that an expiry
	// sees the attempts they create), and whether its zone is cordoned.
	Lock(ctx context.Context, id string) (w Worker, zoneCordoned bool, err error)
	List(ctx context.Context, all bool) ([]Worker, error)
	// Expire marks live workers whose lease ran out as lost.
	Expire(ctx context.Context) ([]WorkerRef, error)
	SetState(ctx context.Context, id, from, to string) (bool, error)
	// Recent returns live workers and those last seen within windowMs.
	Recent(ctx context.Context, windowMs int64) ([]Worker, error)
	// DrainZone turns the active workers of a zone draining.
	DrainZone(ctx context.Context, zone string) ([]WorkerRef, error)
	// Usage returns, per worker with live attempts, their count and CU.
	Usage(ctx context.Context) ([]WorkerUsage, error)
	// ExtendLeases gives every live worker at least ttlMs more and returns
	// how many it extended.
	ExtendLeases(ctx context.Context, ttlMs int64) (int64, error)
}

// Zones stores zone health and cordons.
type Zones interface {
	// Ensure creates a zone row (healthy, not cordoned) if missing.
	Ensure(ctx context.Context, name string) error
	Get(ctx context.Context, name string) (Zone, error)
	List(ctx context.Context) ([]Zone, error)
	// SetState records a new health state; false if it was already so.
	SetState(ctx context.Context, name, state string) (bool, error)
	SetCordon(ctx context.Context, name string, cordoned bool, reason string) (Zone, error)
}

// Leaders stores leader leases, judged by the database clock.
type Leaders interface {
	// Acquire takes a free or expired lease for a new term; ErrNotFound if
	// another holder has it.
	Acquire(ctx context.Context, name, holder string, ttlMs int64) (LeaderLease, error)
	// Renew extends the lease of holder's term; ErrNotFound if it was lost.
	Renew(ctx context.Context, name, holder string, term, ttlMs int64) (LeaderLease, error)
	Resign(ctx context.Context, name, holder string, term int64) error
}

// Marks records when background loops last ran, by the database clock.
type Marks interface {
	Get(ctx context.Context, name string) (LoopMark, error)
	// Advance moves the mark to now; false if another server moved it
	// since prev was read.
	Advance(ctx context.Context, name string, prev int64) (bool, error)
}

// Schedules stores the schedules of workflows and when they fire next,
// in milliseconds by the database clock.
type Schedules interface {
	// Now returns the database's time.
	Now(ctx context.Context) (int64, error)
	Insert(ctx context.Context, s NewSchedule) (Schedule, error)
	// UpdateSpec replaces a schedule's definition and next due time.
	UpdateSpec(ctx context.Context, id int64, spec string, nextFireAt, fireAt int64) error
	Delete(ctx context.Context, id int64) error
	// ListWorkflow returns a workflow's schedules by name, List all of
	// them by workflow and name.
	ListWorkflow(ctx context.Context, workflowID int64) ([]Schedule, error)
	List(ctx context.Context) ([]Schedule, error)
	Get(ctx context.Context, workflow, name string) (Schedule, error)
	// Lock returns the schedule, locked until the transaction ends.
	Lock(ctx context.Context, workflow, name string) (Schedule, error)
	// Due returns up to limit schedules, not paused, whose fire time has
	// come or with buffered runs, locked (Postgres: others' locked rows
	// skipped).
	Due(ctx context.Context, limit int64) ([]Schedule, error)
	SetFiring(ctx context.Context, id, nextFireAt, fireAt int64, buffered string) error
	SetPaused(ctx context.Context, id int64, paused bool, note string, nextFireAt, fireAt int64) error
	// NextFire returns the earliest fire time of a schedule not paused (0
	// for none) and the database's time.
	NextFire(ctx context.Context) (fireAt, now int64, err error)
	// RecentRuns returns the latest limit runs a schedule fired, newest
	// first.
	RecentRuns(ctx context.Context, scheduleID, limit int64) ([]ScheduledRun, error)
}

// Alerts stores alert channels and the outbox of alerts to deliver.
type Alerts interface {
	UpsertChannel(ctx context.Context, c AlertChannel) (AlertChannel, error)
	// DeleteChannel removes a channel; false if there was none.
	DeleteChannel(ctx context.Context, name string) (bool, error)
	Channels(ctx context.Context) ([]AlertChannel, error)
	Insert(ctx context.Context, alertID, channel, kind, payload string) error
	// Lease returns up to limit pending alerts whose time came and moves
	// their time leaseMs on (Postgres: rows others lease are skipped).
	Lease(ctx context.Context, limit, leaseMs int64) ([]Alert, error)
	Delete(ctx context.Context, id int64) error
	// Retry records a failed delivery: the alert is due again in delayMs,
	// or given up (state failed).
	Retry(ctx context.Context, id int64, state, lastError string, delayMs int64) error
	List(ctx context.Context, limit int64) ([]Alert, error)
}

// Approvals stores what approval tasks wait for.
type Approvals interface {
	Insert(ctx context.Context, a NewApproval) (Approval, error)
	// Get returns the approval of an attempt; ErrNotFound if none.
	Get(ctx context.Context, attemptID int64) (Approval, error)
	// Decide moves a pending approval to state; false when it was not
	// pending (someone decided first).
	Decide(ctx context.Context, attemptID int64, state, actor, note string) (Approval, bool, error)
	// CancelRun cancels the pending approvals of a run and says how many.
	CancelRun(ctx context.Context, runID int64, actor, note string) (int64, error)
	// Due returns up to limit pending approvals whose deadline passed.
	Due(ctx context.Context, limit int64) ([]Approval, error)
	// List returns up to limit approvals in state ('' for any), newest
	// first.
	List(ctx context.Context, state string, limit int64) ([]Approval, error)
	// ListRun returns a run's approvals, oldest first.
	ListRun(ctx context.Context, runID int64) ([]Approval, error)
}

// Slots stores the named concurrency slots.
type Slots interface {
	Upsert(ctx context.Context, s Slot) (Slot, error)
	// Delete removes a slot; false if there was none.
	Delete(ctx context.Context, name string) (bool, error)
	// Count says how many slots exist.
	Count(ctx context.Context) (int64, error)
	List(ctx context.Context) ([]SlotInfo, error)
	Usage(ctx context.Context) ([]SlotUsage, error)
	// Lock returns a slot's size, its row locked until the transaction
	// ends (Postgres); ErrNotFound if there is no such slot.
	Lock(ctx context.Context, name string) (int64, error)
	// Running counts the slot's running tasks.
	Running(ctx context.Context, name string) (int64, error)
}

// Stats reads figures about work done, for benchmarks and reports.
type Stats interface {
	// DispatchLatencies returns, for the first attempt of each run with an
	// ID in [fromRun, toRun], the milliseconds from its task becoming ready
	// to the attempt running.
	DispatchLatencies(ctx context.Context, fromRun, toRun int64) ([]int64, error)
	// QueueDepth returns the queued tasks that are not held, per group and
	// allowed zones.
	QueueDepth(ctx context.Context) ([]QueueDepth, error)
	// UndeliveredAlerts returns the alerts of the outbox per state.
	UndeliveredAlerts(ctx context.Context) ([]AlertBacklog, error)
}

// Events stores the audit trail.
type Events interface {
	Insert(ctx context.Context, es []NewEvent) error
	List(ctx context.Context, f EventFilter) ([]Event, error)
}

// Logs stores attempt output.
type Logs interface {
	// Insert stores chunks; a chunk stored already is left alone.
	Insert(ctx context.Context, cs []NewLogChunk) error
	List(ctx context.Context, attemptID, afterSeq, limit int64) ([]LogChunk, error)
	// Sizes returns the seq and size of up to limit chunks after afterSeq.
	Sizes(ctx context.Context, attemptID, afterSeq, limit int64) ([]LogSize, error)
	// Range returns the chunks with afterSeq < seq <= uptoSeq.
	Range(ctx context.Context, attemptID, afterSeq, uptoSeq int64) ([]LogChunk, error)
	// Stored returns the seqs in [from, to] stored already.
	Stored(ctx context.Context, attemptID, from, to int64) ([]int64, error)
	// Delete removes the chunks with from <= seq <= to.
	Delete(ctx context.Context, attemptID, from, to int64) error
	// AppendText adds text to the end of a stored chunk.
	AppendText(ctx context.Context, attemptID, seq int64, text string) error
	// Stats returns what is kept of an attempt's output (zero values and
	// the attempt ID when nothing was recorded).
	Stats(ctx context.Context, attemptID int64) (LogStats, error)
	PutStats(ctx context.Context, s LogStats) error
}

// Secrets stores sealed secret values.
type Secrets interface {
	// Upsert creates or replaces a secret; actor is recorded as its
	// creator (when new) and updater.
	Upsert(ctx context.Context, s Secret, actor string) (Secret, error)
	// Reseal replaces a value sealed as old with the same value sealed as
	// s; false if the secret changed meanwhile.
	Reseal(ctx context.Context, s Secret, old Secret) (bool, error)
	Get(ctx context.Context, name string) (Secret, error)
	List(ctx context.Context) ([]Secret, error)
	// Delete removes a secret; false if there was none.
	Delete(ctx context.Context, name string) (bool, error)
}

// Tokens stores credentials: API tokens, join tokens and the credentials
// of workers (package auth). Only hashes of secrets are stored.
type Tokens interface {
	// Insert adds a token; ErrConflict if the name or hash exists.
	Insert(ctx context.Context, t NewToken) (Token, error)
	// ByHash returns the token with the hash (ErrNotFound if none),
	// revoked and expired ones included.
	ByHash(ctx context.Context, hash string) (Token, error)
	ByName(ctx context.Context, name string) (Token, error)
	// List returns the API and join tokens by name.
	List(ctx context.Context) ([]Token, error)
	// Count counts the API and join tokens, revoked ones included.
	Count(ctx context.Context) (int64, error)
	// Revoke revokes a token; false if there is none or it was revoked.
	Revoke(ctx context.Context, name string) (bool, error)
	// RevokeWorker revokes the credentials of a worker; the count revoked.
	RevokeWorker(ctx context.Context, workerID string) (int64, error)
	// Touch records a use, at most once a minute; true if it wrote.
	Touch(ctx context.Context, id int64) (bool, error)
	// RevokeSessions ends the browser sessions of a principal
	// ("user:alice"); the count revoked.
	RevokeSessions(ctx context.Context, subject string) (int64, error)
	// RevokeSession ends the session whose secret has the hash; false if
	// there is no such live session.
	RevokeSession(ctx context.Context, hash string) (bool, error)
	// DeleteEndedSessions deletes the sessions that expired or were
	// revoked over an hour ago; the count deleted.
	DeleteEndedSessions(ctx context.Context) (int64, error)
}

// Users stores the local users who log in with a password.
type Users interface {
	// Insert adds a user; ErrConflict if the name exists.
	Insert(ctx context.Context, u NewUser) (User, error)
	// ByName returns a user; ErrNotFound if none.
	ByName(ctx context.Context, name string) (User, error)
	// List returns the users by name.
	List(ctx context.Context) ([]User, error)
	// SetPassword, SetRole, Disable, Enable and Delete report false if
	// there is no such user (or, for Disable and Enable, nothing changed).
	SetPassword(ctx context.Context, name, hash string) (bool, error)
	SetRole(ctx context.Context, name, role string) (bool, error)
	Disable(ctx context.Context, name string) (bool, error)
	Enable(ctx context.Context, name string) (bool, error)
	Delete(ctx context.Context, name string) (bool, error)
}

// Servers stores the registry of servers: each records itself at start
// and refreshes its row while it runs.
type Servers interface {
	// Upsert records a server as started and seen now, ready.
	Upsert(ctx context.Context, s NewServer) (Server, error)
	// Touch records that a server is still there; false if it has no row
	// (deleted as stale meanwhile).
	Touch(ctx context.Context, id string, ready bool) (bool, error)
	// List returns every server recorded by zone and address, and the
	// database's time.
	List(ctx context.Context) ([]Server, int64, error)
	// DeleteStale forgets the servers not seen for windowMs and returns
	// how many.
	DeleteStale(ctx context.Context, windowMs int64) (int64, error)
}
