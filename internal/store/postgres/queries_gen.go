// Code generated from ../sqlite/queries.go by `make generate`. DO NOT EDIT.

package postgres

import (
	"context"
	"errors"
	"slices"

	"github.com/baton-sched/baton/internal/store"
	db "github.com/baton-sched/baton/internal/store/pgdb"
)

// tx implements store.Tx over the generated queries of one transaction.
type tx struct {
	q      *db.Queries
	notify bool
}

func (t *tx) Workflows() store.Workflows { return workflows{t.q} }
func (t *tx) Runs() store.Runs           { return runs{t.q} }
func (t *tx) Tasks() store.Tasks         { return tasks{t.q} }
func (t *tx) Attempts() store.Attempts   { return attempts{t.q} }
func (t *tx) Workers() store.Workers     { return workers{t.q} }
func (t *tx) Events() store.Events       { return events{t.q} }
func (t *tx) Logs() store.Logs           { return logs{t.q} }
func (t *tx) Zones() store.Zones         { return zones{t.q} }
func (t *tx) Leaders() store.Leaders     { return leaders{t.q} }
func (t *tx) Marks() store.Marks         { return marks{t.q} }
func (t *tx) Schedules() store.Schedules { return schedules{t.q} }
func (t *tx) Alerts() store.Alerts       { return alerts{t.q} }
func (t *tx) Slots() store.Slots         { return slots{t.q} }
func (t *tx) Stats() store.Stats         { return stats{t.q} }
func (t *tx) Secrets() store.Secrets     { return secretRows{t.q} }
func (t *tx) Tokens() store.Tokens       { return tokens{t.q} }
func (t *tx) Servers() store.Servers     { return servers{t.q} }
func (t *tx) Users() store.Users         { return users{t.q} }
func (t *tx) Retention() store.Retention { return retention{t.q} }
func (t *tx) Approvals() store.Approvals { return approvals{t.q} }
func (t *tx) Resources() store.Resources { return resources{t.q} }
func (t *tx) Waits() store.Waits         { return waits{t.q} }
func (t *tx) NotifyWork()                { t.notify = true }

// one and many adapt a generated call's results: one(conv)(q.Get(ctx, id)).
func one[S, D any](conv func(S) D) func(S, error) (D, error) {
	return func(row S, err error) (D, error) {
		if err != nil {
			var zero D
			return zero, mapErr(err)
		}
		return conv(row), nil
	}
}

func many[S, D any](conv func(S) D) func([]S, error) ([]D, error) {
	return func(rows []S, err error) ([]D, error) {
		if err != nil {
			return nil, mapErr(err)
		}
		out := make([]D, len(rows))
		for i, r := range rows {
			out[i] = conv(r)
		}
		return out, nil
	}
}

func affected(n int64, err error) (bool, error) { return n > 0, mapErr(err) }

func toWorkflow(r db.Workflow) store.Workflow      { return store.Workflow(r) }
func toVersion(r db.WorkflowVersion) store.Version { return store.Version(r) }
func toRun(r db.Run) store.Run                     { return store.Run(r) }
func toTask(r db.Task) store.Task                  { return store.Task(r) }
func toCandidate(r db.ClaimCandidatesRow) store.Candidate {
	return store.Candidate{ID: r.ID, RunID: r.RunID, Idx: r.Idx, Name: r.Name, CU: r.CU, Attempts: r.Attempts,
		Lost: r.Lost, AvoidWorker: r.AvoidWorker, AvoidZone: r.AvoidZone, WaitedMs: r.WaitedMs, Slot: r.Slot,
		Run: store.Run{ID: r.RunID, WorkflowID: r.WorkflowID, Workflow: r.Workflow, VersionID: r.VersionID,
			State: r.RunState, Params: r.Params, Priority: r.RunPriority, ScheduledAt: r.ScheduledAt,
			CreatedAt: r.CreatedAt, ParentRunID: r.ParentRunID, ParentTaskID: r.ParentTaskID}}
}
func toSettle(r db.GetTasksToSettleRow) store.TaskRun {
	return store.TaskRun{
		Task: store.Task{ID: r.ID, RunID: r.RunID, Idx: r.Idx, Name: r.Name, State: r.State, AttemptID: r.AttemptID,
			Slot: r.Slot, Attempts: r.Attempts, Lost: r.Lost, Preempted: r.Preempted, StartedAt: r.StartedAt},
		Run: store.Run{ID: r.RunID, WorkflowID: r.WorkflowID, Workflow: r.Workflow, VersionID: r.VersionID,
			State: r.RunState, Params: r.Params, Priority: r.RunPriority, ScheduledAt: r.ScheduledAt,
			CreatedAt: r.CreatedAt, ParentRunID: r.ParentRunID, ParentTaskID: r.ParentTaskID},
	}
}
func toOutputs(r db.ListRunOutputsRow) store.TaskOutputs      { return store.TaskOutputs(r) }
func toAttempt(r db.Attempt) store.Attempt                    { return store.Attempt(r) }
func toLiveAttempt(r db.LiveAttempt) store.Attempt            { return store.Attempt(r) }
func toAttemptRef(r db.CancelRunAttemptsRow) store.AttemptRef { return store.AttemptRef(r) }
func toWorker(r db.Worker) store.Worker                       { return store.Worker(r) }
func toWorkerRef[R ~struct {
	ID   string
	Zone string
}](r R) store.WorkerRef {
	return store.WorkerRef(r)
}
func toEventRow(r db.Event) store.EventRow {
	return store.EventRow{Event: store.Event{ID: r.ID, At: r.At, Kind: r.Kind, Actor: r.Actor, RunID: r.RunID,
		TaskID: r.TaskID, Task: r.Task, AttemptID: r.AttemptID, WorkerID: r.WorkerID, OldState: r.OldState,
		NewState: r.NewState, Reason: r.Reason, Zone: r.Zone}, RunHi: r.RunHi, Packed: r.Packed}
}
func toLog(r db.Log) store.LogChunk                     { return store.LogChunk(r) }
func toZone(r db.Zone) store.Zone                       { return store.Zone(r) }
func toLease(r db.LeaderLease) store.LeaderLease        { return store.LeaderLease(r) }
func toLive(r db.ListLiveAttemptsRow) store.LiveAttempt { return store.LiveAttempt(r) }
func toUsage(r db.WorkerUsageRow) store.WorkerUsage     { return store.WorkerUsage(r) }
func toMark(r db.GetLoopMarkRow) store.LoopMark         { return store.LoopMark(r) }

func toTaskRef[R ~struct {
	ID    int64
	RunID int64
	Name  string
	State string
}](r R) store.TaskRef {
	return store.TaskRef(r)
}

type workflows struct{ q *db.Queries }

func (w workflows) Upsert(ctx context.Context, name string) (store.Workflow, error) {
	return one(toWorkflow)(w.q.UpsertWorkflow(ctx, name))
}

func (w workflows) Get(ctx context.Context, name string) (store.Workflow, error) {
	return one(toWorkflow)(w.q.GetWorkflow(ctx, name))
}

func (w workflows) List(ctx context.Context, after string, limit int64) ([]store.Workflow, error) {
	return many(toWorkflow)(w.q.ListWorkflows(ctx, db.ListWorkflowsParams{After: after, Limit: limit}))
}

func (w workflows) InsertVersion(ctx context.Context, v store.NewVersion) (store.Version, error) {
	return one(toVersion)(w.q.InsertVersion(ctx, db.InsertVersionParams(v)))
}

func (w workflows) SetLatest(ctx context.Context, workflowID, versionID, version int64, digest string) error {
	return mapErr(w.q.SetLatestVersion(ctx, db.SetLatestVersionParams{
		Version: version, VersionID: versionID, Digest: digest, ID: workflowID,
	}))
}

func (w workflows) Version(ctx context.Context, id int64) (store.Version, error) {
	return one(toVersion)(w.q.GetVersion(ctx, id))
}

func (w workflows) VersionByNumber(ctx context.Context, workflowID, version int64) (store.Version, error) {
	return one(toVersion)(w.q.GetVersionByNumber(ctx, db.GetVersionByNumberParams{
		WorkflowID: workflowID, Version: version,
	}))
}

func (w workflows) Versions(ctx context.Context, workflowID int64) ([]store.Version, error) {
	return many(toVersion)(w.q.ListVersions(ctx, workflowID))
}

func (w workflows) SetDisabled(ctx context.Context, id int64, disabled bool) (bool, error) {
	return affected(w.q.SetWorkflowDisabled(ctx, db.SetWorkflowDisabledParams{ID: id, Disabled: disabled}))
}

func (w workflows) Delete(ctx context.Context, id int64) (bool, error) {
	return affected(w.q.DeleteWorkflow(ctx, id))
}

type runs struct{ q *db.Queries }

func (r runs) Get(ctx context.Context, id int64) (store.Run, error) {
	return one(toRun)(r.q.GetRun(ctx, id))
}

func (r runs) AddActive(ctx context.Context, workflowID, delta int64) (int64, error) {
	n, err := r.q.AddActiveRuns(ctx, db.AddActiveRunsParams{WorkflowID: workflowID, Delta: delta})
	return n, mapErr(err)
}

func (r runs) Wait(ctx context.Context, runID, workflowID int64) error {
	return mapErr(r.q.InsertRunWait(ctx, db.InsertRunWaitParams{RunID: runID, WorkflowID: workflowID}))
}

func (r runs) PopWait(ctx context.Context, workflowID int64) (int64, bool, error) {
	id, err := r.q.PopRunWait(ctx, workflowID)
	if err = mapErr(err); errors.Is(err, store.ErrNotFound) {
		return 0, false, nil
	}
	return id, err == nil, err
}

func (r runs) Unwait(ctx context.Context, runID int64) error {
	return mapErr(r.q.DeleteRunWait(ctx, runID))
}

func (r runs) SetDeadline(ctx context.Context, id, timeoutMs int64) error {
	return mapErr(r.q.SetRunDeadline(ctx, db.SetRunDeadlineParams{RunID: id, TimeoutMs: timeoutMs}))
}

func (r runs) DueDeadlines(ctx context.Context, limit int64) ([]int64, error) {
	ids, err := r.q.DueRunDeadlines(ctx, limit)
	return ids, mapErr(err)
}

func (r runs) DeleteDeadline(ctx context.Context, id int64) error {
	return mapErr(r.q.DeleteRunDeadline(ctx, id))
}

func (r runs) SetParent(ctx context.Context, id, parentRunID, parentTaskID int64) error {
	return mapErr(r.q.SetRunParent(ctx, db.SetRunParentParams{ID: id, ParentRunID: parentRunID,
		ParentTaskID: parentTaskID}))
}

func (r runs) Children(ctx context.Context, parentRunID int64) ([]store.Run, error) {
	return many(toRun)(r.q.ChildRuns(ctx, parentRunID))
}

func (r runs) SetState(ctx context.Context, id int64, from, to string) (bool, error) {
	return affected(r.q.SetRunState(ctx, db.SetRunStateParams{ID: id, FromState: from, ToState: to}))
}

func (r runs) Recover(ctx context.Context, rr store.RunRecovery) (bool, error) {
	return affected(r.q.RecoverRun(ctx, db.RecoverRunParams(rr)))
}

func (r runs) ByKey(ctx context.Context, workflowID int64, key string) (store.Run, error) {
	return one(toRun)(r.q.GetRunByKey(ctx, db.GetRunByKeyParams{WorkflowID: workflowID, IdempotencyKey: key}))
}

func (r runs) RecordStart(ctx context.Context, sr store.StartRecord) (bool, error) {
	return affected(r.q.InsertStartRequest(ctx, db.InsertStartRequestParams{WorkflowID: sr.WorkflowID,
		RequestKey: sr.Key, BodyHash: sr.BodyHash, RunIds: store.EncodeRunIDs(sr.RunIDs)}))
}

func (r runs) StartRecord(ctx context.Context, workflowID int64, key string) (store.StartRecord, error) {
	row, err := r.q.GetStartRequest(ctx, db.GetStartRequestParams{WorkflowID: workflowID, RequestKey: key})
	if err != nil {
		return store.StartRecord{}, mapErr(err)
	}
	ids, err := store.DecodeRunIDs(row.RunIds)
	return store.StartRecord{WorkflowID: row.WorkflowID, Key: row.RequestKey, BodyHash: row.BodyHash, RunIDs: ids,
		CreatedAt: row.CreatedAt}, err
}

func (r runs) List(ctx context.Context, f store.RunFilter) ([]store.Run, error) {
	return many(toRun)(r.q.ListRuns(ctx, db.ListRunsParams(f)))
}

type tasks struct{ q *db.Queries }

func (t tasks) Get(ctx context.Context, id int64) (store.Task, error) {
	return one(toTask)(t.q.GetTask(ctx, id))
}

func (t tasks) ByName(ctx context.Context, runID int64, name string) (store.Task, error) {
	return one(toTask)(t.q.GetTaskByName(ctx, db.GetTaskByNameParams{RunID: runID, Name: name}))
}

func (t tasks) ListRun(ctx context.Context, runID int64) ([]store.Task, error) {
	return many(toTask)(t.q.ListRunTasks(ctx, runID))
}

func (t tasks) Carry(ctx context.Context, id int64, state, reason, outputs string) (bool, error) {
	return affected(t.q.CarryTask(ctx, db.CarryTaskParams{ID: id, State: state, Reason: reason, Outputs: outputs}))
}

func (t tasks) Outputs(ctx context.Context, runID int64) ([]store.TaskOutputs, error) {
	return many(toOutputs)(t.q.ListRunOutputs(ctx, runID))
}

func (t tasks) AnyQueued(ctx context.Context, group string) (bool, error) {
	n, err := t.q.AnyQueued(ctx, group)
	return n > 0, mapErr(err)
}

func (t tasks) SaveCheckpoint(ctx context.Context, workerID string, attemptID int64, checkpoint string) (bool, error) {
	return affected(t.q.SaveCheckpoint(ctx, db.SaveCheckpointParams{WorkerID: workerID, AttemptID: attemptID,
		Checkpoint: checkpoint}))
}

func (t tasks) AddUpstreamFailure(ctx context.Context, runID, idx int64) (store.Task, error) {
	return one(toTask)(t.q.AddUpstreamFailure(ctx, db.AddUpstreamFailureParams{RunID: runID, Idx: idx}))
}

func (t tasks) HoldRun(ctx context.Context, runID int64, held bool) error {
	_, err := t.q.HoldRunTasks(ctx, db.HoldRunTasksParams{RunID: runID, Held: held})
	return mapErr(err)
}

func (t tasks) Recover(ctx context.Context, r store.TaskRecovery) (bool, error) {
	return affected(t.q.RecoverTask(ctx, db.RecoverTaskParams(r)))
}

func (t tasks) Fail(ctx context.Context, id int64, reason string) (bool, error) {
	return affected(t.q.FailTask(ctx, db.FailTaskParams{Reason: reason, ID: id}))
}

func (t tasks) Requeue(ctx context.Context, r store.TaskRequeue) (bool, error) {
	return affected(t.q.RequeueTask(ctx, db.RequeueTaskParams(r)))
}

func (t tasks) MarkUpstreamFailed(ctx context.Context, runID int64, idxs []int64, reason string) ([]store.TaskRef, error) {
	return many(toTaskRef[db.MarkUpstreamFailedRow])(t.q.MarkUpstreamFailed(ctx, db.MarkUpstreamFailedParams{
		Reason: reason, RunID: runID, Idxs: idxs,
	}))
}

func (t tasks) WakeRetries(ctx context.Context) ([]store.TaskRef, error) {
	return many(toTaskRef[db.WakeRetriesRow])(t.q.WakeRetries(ctx))
}

func (t tasks) CancelRun(ctx context.Context, runID int64, reason string) ([]store.TaskRef, error) {
	return many(toTaskRef[db.CancelRunTasksRow])(t.q.CancelRunTasks(ctx, db.CancelRunTasksParams{
		Reason: reason, RunID: runID,
	}))
}

type attempts struct{ q *db.Queries }

func (a attempts) Get(ctx context.Context, id int64) (store.Attempt, error) {
	return one(toAttempt)(a.q.GetAttempt(ctx, id))
}

func (a attempts) ListRun(ctx context.Context, runID int64) ([]store.Attempt, error) {
	return many(toAttempt)(a.q.ListRunAttempts(ctx, runID))
}

func (a attempts) Live(ctx context.Context, workerID string, dispatchTimeoutMs, graceMs int64) ([]store.LiveAttempt, error) {
	return many(toLive)(a.q.ListLiveAttempts(ctx, db.ListLiveAttemptsParams{
		DispatchTimeoutMs: dispatchTimeoutMs, GraceMs: graceMs, WorkerID: workerID,
	}))
}

func (a attempts) ListWorker(ctx context.Context, workerID string) ([]store.Attempt, error) {
	return many(toLiveAttempt)(a.q.ListWorkerAttempts(ctx, workerID))
}

func (a attempts) Unstarted(ctx context.Context, workerID string) ([]store.Attempt, error) {
	return many(toLiveAttempt)(a.q.ListUnstartedAttempts(ctx, workerID))
}

func (a attempts) RequestStop(ctx context.Context, id int64) (bool, error) {
	return affected(a.q.RequestStop(ctx, id))
}

func (a attempts) Orphaned(ctx context.Context, limit int64) ([]store.Attempt, error) {
	return many(toLiveAttempt)(a.q.OrphanedAttempts(ctx, limit))
}

func (a attempts) ResetDispatched(ctx context.Context) (int64, error) {
	n, err := a.q.ResetDispatched(ctx)
	return n, mapErr(err)
}

func (a attempts) CancelRun(ctx context.Context, runID int64, reason string) ([]store.AttemptRef, error) {
	refs, err := many(toAttemptRef)(a.q.CancelRunAttempts(ctx, db.CancelRunAttemptsParams{Reason: reason, RunID: runID}))
	if err != nil {
		return nil, err
	}
	return refs, mapErr(a.q.ClearCancelledAttempts(ctx, runID))
}

type workers struct{ q *db.Queries }

func (w workers) Register(ctx context.Context, n store.NewWorker) (store.Worker, error) {
	return one(toWorker)(w.q.RegisterWorker(ctx, db.RegisterWorkerParams(n)))
}

func (w workers) Renew(ctx context.Context, id string, ttlMs int64) (store.Worker, error) {
	return one(toWorker)(w.q.RenewWorker(ctx, db.RenewWorkerParams{TTLMs: ttlMs, ID: id}))
}

func (w workers) Get(ctx context.Context, id string) (store.Worker, error) {
	return one(toWorker)(w.q.GetWorker(ctx, id))
}

func (w workers) Lock(ctx context.Context, id string) (store.Worker, bool, error) {
	row, err := w.q.LockWorker(ctx, id)
	if err != nil {
		return store.Worker{}, false, mapErr(err)
	}
	return store.Worker{ID: row.ID, Name: row.Name, Zone: row.Zone, Group: row.Group, Labels: row.Labels,
		Capacity: row.Capacity, State: row.State, Version: row.Version, LeaseExpiresAt: row.LeaseExpiresAt,
		RegisteredAt: row.RegisteredAt, LastSeenAt: row.LastSeenAt}, row.ZoneCordoned, nil
}

func (w workers) List(ctx context.Context, all bool) ([]store.Worker, error) {
	return many(toWorker)(w.q.ListWorkers(ctx, all))
}

func (w workers) Expire(ctx context.Context) ([]store.WorkerRef, error) {
	return many(toWorkerRef[db.ExpireWorkersRow])(w.q.ExpireWorkers(ctx))
}

func (w workers) SetState(ctx context.Context, id, from, to string) (bool, error) {
	return affected(w.q.SetWorkerState(ctx, db.SetWorkerStateParams{State: to, ID: id, FromState: from}))
}

func (w workers) Recent(ctx context.Context, windowMs int64) ([]store.Worker, error) {
	return many(toWorker)(w.q.ListRecentWorkers(ctx, windowMs))
}

func (w workers) DrainZone(ctx context.Context, zone string) ([]store.WorkerRef, error) {
	return many(toWorkerRef[db.DrainZoneWorkersRow])(w.q.DrainZoneWorkers(ctx, zone))
}

func (w workers) Usage(ctx context.Context) ([]store.WorkerUsage, error) {
	return many(toUsage)(w.q.WorkerUsage(ctx))
}

func (w workers) ExtendLeases(ctx context.Context, ttlMs int64) (int64, error) {
	n, err := w.q.ExtendLeases(ctx, ttlMs)
	return n, mapErr(err)
}

type zones struct{ q *db.Queries }

func (z zones) Ensure(ctx context.Context, name string) error {
	return mapErr(z.q.EnsureZone(ctx, name))
}

func (z zones) Get(ctx context.Context, name string) (store.Zone, error) {
	return one(toZone)(z.q.GetZone(ctx, name))
}

func (z zones) List(ctx context.Context) ([]store.Zone, error) {
	return many(toZone)(z.q.ListZones(ctx))
}

func (z zones) SetState(ctx context.Context, name, state string) (bool, error) {
	return affected(z.q.SetZoneState(ctx, db.SetZoneStateParams{State: state, Name: name}))
}

func (z zones) SetCordon(ctx context.Context, name string, cordoned bool, reason string) (store.Zone, error) {
	return one(toZone)(z.q.SetZoneCordon(ctx, db.SetZoneCordonParams{Cordoned: cordoned, Reason: reason, Name: name}))
}

type leaders struct{ q *db.Queries }

func (l leaders) Acquire(ctx context.Context, name, holder string, ttlMs int64) (store.LeaderLease, error) {
	return one(toLease)(l.q.AcquireLeader(ctx, db.AcquireLeaderParams{Name: name, Holder: holder, TTLMs: ttlMs}))
}

func (l leaders) Renew(ctx context.Context, name, holder string, term, ttlMs int64) (store.LeaderLease, error) {
	return one(toLease)(l.q.RenewLeader(ctx, db.RenewLeaderParams{TTLMs: ttlMs, Name: name, Holder: holder, Term: term}))
}

func (l leaders) Resign(ctx context.Context, name, holder string, term int64) error {
	return mapErr(l.q.ResignLeader(ctx, db.ResignLeaderParams{Name: name, Holder: holder, Term: term}))
}

type marks struct{ q *db.Queries }

func (m marks) Get(ctx context.Context, name string) (store.LoopMark, error) {
	return one(toMark)(m.q.GetLoopMark(ctx, name))
}

func (m marks) Advance(ctx context.Context, name string, prev int64) (bool, error) {
	return affected(m.q.AdvanceLoopMark(ctx, db.AdvanceLoopMarkParams{Name: name, Prev: prev}))
}

type stats struct{ q *db.Queries }

func (s stats) DispatchLatencies(ctx context.Context, fromRun, toRun int64) ([]int64, error) {
	ms, err := s.q.DispatchLatencies(ctx, db.DispatchLatenciesParams{FromRun: fromRun, ToRun: toRun})
	return ms, mapErr(err)
}

func (s stats) QueueDepth(ctx context.Context) ([]store.QueueDepth, error) {
	return many(func(r db.QueueDepthRow) store.QueueDepth { return store.QueueDepth(r) })(s.q.QueueDepth(ctx))
}

func (s stats) UndeliveredAlerts(ctx context.Context) ([]store.AlertBacklog, error) {
	return many(func(r db.UndeliveredAlertsRow) store.AlertBacklog { return store.AlertBacklog(r) })(
		s.q.UndeliveredAlerts(ctx))
}

type events struct{ q *db.Queries }

func (e events) List(ctx context.Context, f store.EventFilter) ([]store.Event, error) {
	newest := f.Newest || f.BeforeID != 0
	rows := func(asc, desc func(afterRow, beforeRow, limit int64) ([]db.Event, error)) store.EventRows {
		return func(_ context.Context, afterRow, beforeRow, limit int64) ([]store.EventRow, error) {
			if newest {
				return many(toEventRow)(desc(afterRow, beforeRow, limit))
			}
			return many(toEventRow)(asc(afterRow, beforeRow, limit))
		}
	}
	kind := func(kind string) store.EventRows {
		return rows(func(after, _, lim int64) ([]db.Event, error) {
			return e.q.ListKindEvents(ctx, db.ListKindEventsParams{Kind: kind, AfterID: after, Actor: f.Actor,
				AtFrom: f.AtFrom, AtTo: f.AtTo, Limit: lim})
		}, func(after, before, lim int64) ([]db.Event, error) {
			return e.q.ListKindEventsDesc(ctx, db.ListKindEventsDescParams{Kind: kind, BeforeID: before, AfterID: after,
				Actor: f.Actor, AtFrom: f.AtFrom, AtTo: f.AtTo, Limit: lim})
		})
	}
	var sources []store.EventRows
	switch {
	case f.RunID != 0:
		sources = append(sources, rows(func(after, _, lim int64) ([]db.Event, error) {
			return e.q.ListRunEvents(ctx, db.ListRunEventsParams{RunID: f.RunID, Kind: f.Kind, AfterID: after,
				Actor: f.Actor, AtFrom: f.AtFrom, AtTo: f.AtTo, Limit: lim})
		}, func(after, before, lim int64) ([]db.Event, error) {
			return e.q.ListRunEventsDesc(ctx, db.ListRunEventsDescParams{RunID: f.RunID, Kind: f.Kind,
				BeforeID: before, AfterID: after, Actor: f.Actor, AtFrom: f.AtFrom, AtTo: f.AtTo, Limit: lim})
		}))
		if f.Kind == "" || store.Packable(f.Kind) {
			lo := f.RunID - store.PackedRunSpan
			sources = append(sources, rows(func(after, before, lim int64) ([]db.Event, error) {
				return e.q.ListPackedRunEvents(ctx, db.ListPackedRunEventsParams{RunLo: lo, RunID: f.RunID,
					AfterID: after, BeforeID: before, Actor: f.Actor, AtFrom: f.AtFrom, AtTo: f.AtTo, Limit: lim})
			}, func(after, before, lim int64) ([]db.Event, error) {
				return e.q.ListPackedRunEventsDesc(ctx, db.ListPackedRunEventsDescParams{RunLo: lo, RunID: f.RunID,
					AfterID: after, BeforeID: before, Actor: f.Actor, AtFrom: f.AtFrom, AtTo: f.AtTo, Limit: lim})
			}))
		}
	case f.Kind != "":
		sources = append(sources, kind(f.Kind))
		if store.Packable(f.Kind) {
			sources = append(sources, kind(store.PackedKind))
		}
	default:
		sources = append(sources, rows(func(after, before, lim int64) ([]db.Event, error) {
			return e.q.ListEvents(ctx, db.ListEventsParams{AfterID: after, Actor: f.Actor,
				AtFrom: f.AtFrom, AtTo: f.AtTo, Limit: lim})
		}, func(after, before, lim int64) ([]db.Event, error) {
			return e.q.ListEventsDesc(ctx, db.ListEventsDescParams{BeforeID: before, AfterID: after,
				Actor: f.Actor, AtFrom: f.AtFrom, AtTo: f.AtTo, Limit: lim})
		}))
	}
	evs, err := store.CollectEvents(ctx, f, sources...)
	return evs, mapErr(err)
}

type logs struct{ q *db.Queries }

func (l logs) List(ctx context.Context, attemptID, afterSeq, limit int64) ([]store.LogChunk, error) {
	return many(toLog)(l.q.ListLogs(ctx, db.ListLogsParams{AttemptID: attemptID, AfterSeq: afterSeq, Limit: limit}))
}

func (l logs) Sizes(ctx context.Context, attemptID, afterSeq, limit int64) ([]store.LogSize, error) {
	return many(func(r db.ListLogSizesRow) store.LogSize { return store.LogSize(r) })(
		l.q.ListLogSizes(ctx, db.ListLogSizesParams{AttemptID: attemptID, AfterSeq: afterSeq, Limit: limit}))
}

func (l logs) Range(ctx context.Context, attemptID, afterSeq, uptoSeq int64) ([]store.LogChunk, error) {
	return many(toLog)(l.q.ListLogRange(ctx, db.ListLogRangeParams{AttemptID: attemptID, AfterSeq: afterSeq,
		UptoSeq: uptoSeq}))
}

func (l logs) Stored(ctx context.Context, attemptID, from, to int64) ([]int64, error) {
	seqs, err := l.q.LogSeqsIn(ctx, db.LogSeqsInParams{AttemptID: attemptID, FromSeq: from, ToSeq: to})
	return seqs, mapErr(err)
}

func (l logs) Delete(ctx context.Context, attemptID, from, to int64) error {
	return mapErr(l.q.DeleteLogRange(ctx, db.DeleteLogRangeParams{AttemptID: attemptID, FromSeq: from, ToSeq: to}))
}

func (l logs) AppendText(ctx context.Context, attemptID, seq int64, text string) error {
	return mapErr(l.q.AppendLogText(ctx, db.AppendLogTextParams{Text: text, TextSize: int64(len(text)),
		AttemptID: attemptID, Seq: seq}))
}

func (l logs) Stats(ctx context.Context, attemptID int64) (store.LogStats, error) {
	s, err := l.q.GetLogStats(ctx, attemptID)
	if errors.Is(mapErr(err), store.ErrNotFound) {
		return store.LogStats{AttemptID: attemptID}, nil
	}
	return store.LogStats(s), mapErr(err)
}

func (l logs) PutStats(ctx context.Context, s store.LogStats) error {
	return mapErr(l.q.PutLogStats(ctx, db.PutLogStatsParams(s)))
}

type secretRows struct{ q *db.Queries }

func (s secretRows) Upsert(ctx context.Context, in store.Secret, actor string) (store.Secret, error) {
	return one(func(r db.Secret) store.Secret { return store.Secret(r) })(s.q.UpsertSecret(ctx, db.UpsertSecretParams{
		Name: in.Name, KeyID: in.KeyID, Nonce: in.Nonce, Ciphertext: in.Ciphertext, Actor: actor}))
}

func (s secretRows) Reseal(ctx context.Context, in, old store.Secret) (bool, error) {
	return affected(s.q.ResealSecret(ctx, db.ResealSecretParams{KeyID: in.KeyID, Nonce: in.Nonce,
		Ciphertext: in.Ciphertext, Name: in.Name, OldKeyID: old.KeyID, OldNonce: old.Nonce}))
}

func (s secretRows) Get(ctx context.Context, name string) (store.Secret, error) {
	return one(func(r db.Secret) store.Secret { return store.Secret(r) })(s.q.GetSecret(ctx, name))
}

func (s secretRows) List(ctx context.Context) ([]store.Secret, error) {
	return many(func(r db.Secret) store.Secret { return store.Secret(r) })(s.q.ListSecrets(ctx))
}

func (s secretRows) Delete(ctx context.Context, name string) (bool, error) {
	return affected(s.q.DeleteSecret(ctx, name))
}

type tokens struct{ q *db.Queries }

func toToken(r db.Token) store.Token { return store.Token(r) }

func (k tokens) Insert(ctx context.Context, t store.NewToken) (store.Token, error) {
	return one(toToken)(k.q.InsertToken(ctx, db.InsertTokenParams(t)))
}

func (k tokens) ByHash(ctx context.Context, hash string) (store.Token, error) {
	return one(toToken)(k.q.TokenByHash(ctx, hash))
}

func (k tokens) ByName(ctx context.Context, name string) (store.Token, error) {
	return one(toToken)(k.q.TokenByName(ctx, name))
}

func (k tokens) List(ctx context.Context) ([]store.Token, error) {
	return many(toToken)(k.q.ListTokens(ctx))
}

func (k tokens) Count(ctx context.Context) (int64, error) {
	n, err := k.q.CountTokens(ctx)
	return n, mapErr(err)
}

func (k tokens) Revoke(ctx context.Context, name string) (bool, error) {
	return affected(k.q.RevokeToken(ctx, name))
}

func (k tokens) RevokeWorker(ctx context.Context, workerID string) (int64, error) {
	n, err := k.q.RevokeWorkerCredentials(ctx, workerID)
	return n, mapErr(err)
}

func (k tokens) Touch(ctx context.Context, id int64) (bool, error) {
	return affected(k.q.TouchToken(ctx, id))
}

func (k tokens) RevokeSessions(ctx context.Context, subject string) (int64, error) {
	n, err := k.q.RevokeSessions(ctx, subject)
	return n, mapErr(err)
}

func (k tokens) RevokeSession(ctx context.Context, hash string) (bool, error) {
	return affected(k.q.RevokeSession(ctx, hash))
}

func (k tokens) DeleteEndedSessions(ctx context.Context) (int64, error) {
	n, err := k.q.DeleteEndedSessions(ctx)
	return n, mapErr(err)
}

type schedules struct{ q *db.Queries }

func toSchedule(r db.Schedule) store.Schedule { return store.Schedule(r) }

func (s schedules) Now(ctx context.Context) (int64, error) {
	now, err := s.q.DatabaseNow(ctx)
	return now, mapErr(err)
}

func (s schedules) Insert(ctx context.Context, n store.NewSchedule) (store.Schedule, error) {
	return one(toSchedule)(s.q.InsertSchedule(ctx, db.InsertScheduleParams(n)))
}

func (s schedules) UpdateSpec(ctx context.Context, id int64, spec string, nextFireAt, fireAt int64) error {
	return mapErr(s.q.UpdateScheduleSpec(ctx, db.UpdateScheduleSpecParams{
		ID: id, Spec: spec, NextFireAt: nextFireAt, FireAt: fireAt}))
}

func (s schedules) Delete(ctx context.Context, id int64) error {
	return mapErr(s.q.DeleteSchedule(ctx, id))
}

func (s schedules) ListWorkflow(ctx context.Context, workflowID int64) ([]store.Schedule, error) {
	return many(toSchedule)(s.q.ListWorkflowSchedules(ctx, workflowID))
}

func (s schedules) List(ctx context.Context) ([]store.Schedule, error) {
	return many(toSchedule)(s.q.ListSchedules(ctx))
}

func (s schedules) Get(ctx context.Context, workflow, name string) (store.Schedule, error) {
	return one(toSchedule)(s.q.GetSchedule(ctx, db.GetScheduleParams{Workflow: workflow, Name: name}))
}

func (s schedules) Lock(ctx context.Context, workflow, name string) (store.Schedule, error) {
	return one(toSchedule)(s.q.LockSchedule(ctx, db.LockScheduleParams{Workflow: workflow, Name: name}))
}

func (s schedules) Due(ctx context.Context, limit int64) ([]store.Schedule, error) {
	return many(toSchedule)(s.q.DueSchedules(ctx, limit))
}

func (s schedules) SetFiring(ctx context.Context, id, nextFireAt, fireAt int64, buffered string) error {
	return mapErr(s.q.SetScheduleFiring(ctx, db.SetScheduleFiringParams{
		ID: id, NextFireAt: nextFireAt, FireAt: fireAt, Buffered: buffered}))
}

func (s schedules) SetPaused(ctx context.Context, id int64, paused bool, note string, nextFireAt, fireAt int64) error {
	return mapErr(s.q.SetSchedulePaused(ctx, db.SetSchedulePausedParams{
		ID: id, Paused: paused, Note: note, NextFireAt: nextFireAt, FireAt: fireAt}))
}

func (s schedules) NextFire(ctx context.Context) (fireAt, now int64, err error) {
	row, err := s.q.NextScheduleFire(ctx)
	return row.FireAt, row.Now, mapErr(err)
}

func (s schedules) RecentRuns(ctx context.Context, scheduleID, limit int64) ([]store.ScheduledRun, error) {
	return many(func(r db.ScheduleRecentRunsRow) store.ScheduledRun { return store.ScheduledRun(r) })(
		s.q.ScheduleRecentRuns(ctx, db.ScheduleRecentRunsParams{ScheduleID: scheduleID, Limit: limit}))
}

type alerts struct{ q *db.Queries }

func toChannel(r db.AlertChannel) store.AlertChannel { return store.AlertChannel(r) }
func toAlert(r db.AlertOutbox) store.Alert           { return store.Alert(r) }

func (a alerts) UpsertChannel(ctx context.Context, c store.AlertChannel) (store.AlertChannel, error) {
	return one(toChannel)(a.q.UpsertAlertChannel(ctx, db.UpsertAlertChannelParams{
		Name: c.Name, URL: c.URL, Secret: c.Secret, Events: c.Events}))
}

func (a alerts) DeleteChannel(ctx context.Context, name string) (bool, error) {
	return affected(a.q.DeleteAlertChannel(ctx, name))
}

func (a alerts) Channels(ctx context.Context) ([]store.AlertChannel, error) {
	return many(toChannel)(a.q.ListAlertChannels(ctx))
}

func (a alerts) Insert(ctx context.Context, alertID, channel, kind, payload string) error {
	return mapErr(a.q.InsertAlert(ctx, db.InsertAlertParams{AlertID: alertID, Channel: channel, Kind: kind,
		Payload: payload}))
}

func (a alerts) Lease(ctx context.Context, limit, leaseMs int64) ([]store.Alert, error) {
	return many(toAlert)(a.q.LeaseAlerts(ctx, db.LeaseAlertsParams{Limit: limit, LeaseMs: leaseMs}))
}

func (a alerts) Delete(ctx context.Context, id int64) error { return mapErr(a.q.DeleteAlert(ctx, id)) }

func (a alerts) Retry(ctx context.Context, id int64, state, lastError string, delayMs int64) error {
	return mapErr(a.q.RetryAlert(ctx, db.RetryAlertParams{ID: id, State: state, LastError: lastError,
		DelayMs: delayMs}))
}

func (a alerts) List(ctx context.Context, limit int64) ([]store.Alert, error) {
	return many(toAlert)(a.q.ListAlerts(ctx, limit))
}

type approvals struct{ q *db.Queries }

func toApproval(r db.Approval) store.Approval { return store.Approval(r) }

func (a approvals) Insert(ctx context.Context, in store.NewApproval) (store.Approval, error) {
	return one(toApproval)(a.q.InsertApproval(ctx, db.InsertApprovalParams{AttemptID: in.AttemptID, RunID: in.RunID,
		TaskID: in.TaskID, Task: in.Task, Workflow: in.Workflow, Message: in.Message, Outcome: in.Outcome,
		TimeoutMs: in.TimeoutMs}))
}

func (a approvals) Get(ctx context.Context, attemptID int64) (store.Approval, error) {
	return one(toApproval)(a.q.GetApproval(ctx, attemptID))
}

func (a approvals) Decide(ctx context.Context, attemptID int64, state, actor, note string) (store.Approval, bool, error) {
	out, err := one(toApproval)(a.q.DecideApproval(ctx, db.DecideApprovalParams{AttemptID: attemptID, State: state,
		Actor: actor, Note: note}))
	if errors.Is(err, store.ErrNotFound) {
		return store.Approval{}, false, nil
	}
	return out, err == nil, err
}

func (a approvals) CancelRun(ctx context.Context, runID int64, actor, note string) (int64, error) {
	n, err := a.q.CancelRunApprovals(ctx, db.CancelRunApprovalsParams{RunID: runID, Actor: actor, Note: note})
	return n, mapErr(err)
}

func (a approvals) Due(ctx context.Context, limit int64) ([]store.Approval, error) {
	return many(toApproval)(a.q.DueApprovals(ctx, limit))
}

func (a approvals) List(ctx context.Context, state string, limit int64) ([]store.Approval, error) {
	return many(toApproval)(a.q.ListApprovals(ctx, db.ListApprovalsParams{State: state, Limit: limit}))
}

func (a approvals) ListRun(ctx context.Context, runID int64) ([]store.Approval, error) {
	return many(toApproval)(a.q.ListRunApprovals(ctx, runID))
}

type slots struct{ q *db.Queries }

func (s slots) Upsert(ctx context.Context, in store.Slot) (store.Slot, error) {
	return one(func(r db.Slot) store.Slot { return store.Slot(r) })(s.q.UpsertSlot(ctx, db.UpsertSlotParams{
		Name: in.Name, Size: in.Size, Description: in.Description}))
}

func (s slots) Delete(ctx context.Context, name string) (bool, error) {
	return affected(s.q.DeleteSlot(ctx, name))
}

func (s slots) Count(ctx context.Context) (int64, error) {
	n, err := s.q.CountSlots(ctx)
	return n, mapErr(err)
}

func (s slots) List(ctx context.Context) ([]store.SlotInfo, error) {
	return many(func(r db.ListSlotsRow) store.SlotInfo { return store.SlotInfo(r) })(s.q.ListSlots(ctx))
}

func (s slots) Usage(ctx context.Context) ([]store.SlotUsage, error) {
	return many(func(r db.SlotUsageRow) store.SlotUsage { return store.SlotUsage(r) })(s.q.SlotUsage(ctx))
}

func (s slots) Lock(ctx context.Context, name string) (int64, error) {
	size, err := s.q.LockSlot(ctx, name)
	return size, mapErr(err)
}

func (s slots) Running(ctx context.Context, name string) (int64, error) {
	n, err := s.q.CountSlotRunning(ctx, name)
	return n, mapErr(err)
}

type servers struct{ q *db.Queries }

func (s servers) Upsert(ctx context.Context, in store.NewServer) (store.Server, error) {
	return one(func(r db.Server) store.Server { return store.Server(r) })(s.q.UpsertServer(ctx,
		db.UpsertServerParams{ID: in.ID, Address: in.Address, Zone: in.Zone, Version: in.Version}))
}

func (s servers) Touch(ctx context.Context, id string, ready bool) (bool, error) {
	return affected(s.q.TouchServer(ctx, db.TouchServerParams{ID: id, Ready: ready}))
}

func (s servers) List(ctx context.Context) ([]store.Server, int64, error) {
	rows, err := s.q.ListServers(ctx)
	if err != nil {
		return nil, 0, mapErr(err)
	}
	out := make([]store.Server, len(rows))
	var now int64
	for i, r := range rows {
		out[i] = store.Server{ID: r.ID, Address: r.Address, Zone: r.Zone, Version: r.Version,
			StartedAt: r.StartedAt, LastSeenAt: r.LastSeenAt, Ready: r.Ready}
		now = r.Now
	}
	if len(rows) == 0 {
		if now, err = s.q.DatabaseNow(ctx); err != nil {
			return nil, 0, mapErr(err)
		}
	}
	return out, now, nil
}

func (s servers) DeleteStale(ctx context.Context, windowMs int64) (int64, error) {
	n, err := s.q.DeleteStaleServers(ctx, windowMs)
	return n, mapErr(err)
}

type users struct{ q *db.Queries }

func toUser(r db.User) store.User { return store.User(r) }

func (u users) Insert(ctx context.Context, n store.NewUser) (store.User, error) {
	return one(toUser)(u.q.InsertUser(ctx, db.InsertUserParams(n)))
}

func (u users) ByName(ctx context.Context, name string) (store.User, error) {
	return one(toUser)(u.q.UserByName(ctx, name))
}

func (u users) List(ctx context.Context) ([]store.User, error) {
	return many(toUser)(u.q.ListUsers(ctx))
}

func (u users) SetPassword(ctx context.Context, name, hash string) (bool, error) {
	return affected(u.q.SetUserPassword(ctx, db.SetUserPasswordParams{PasswordHash: hash, Name: name}))
}

func (u users) SetRole(ctx context.Context, name, role string) (bool, error) {
	return affected(u.q.SetUserRole(ctx, db.SetUserRoleParams{Role: role, Name: name}))
}

func (u users) Disable(ctx context.Context, name string) (bool, error) {
	return affected(u.q.DisableUser(ctx, name))
}

func (u users) Enable(ctx context.Context, name string) (bool, error) {
	return affected(u.q.EnableUser(ctx, name))
}

func (u users) Delete(ctx context.Context, name string) (bool, error) {
	return affected(u.q.DeleteUser(ctx, name))
}

type retention struct{ q *db.Queries }

func (r retention) Rules(ctx context.Context) ([]store.RetentionRule, error) {
	return many(func(row db.RetentionRulesRow) store.RetentionRule { return store.RetentionRule(row) })(r.q.RetentionRules(ctx))
}

func (r retention) ExpiredRuns(ctx context.Context, f store.ExpiredRunFilter) ([]store.ExpiredRun, error) {
	return many(func(row db.LockExpiredRunsRow) store.ExpiredRun { return store.ExpiredRun(row) })(
		r.q.LockExpiredRuns(ctx, db.LockExpiredRunsParams(f)))
}

func (r retention) Children(ctx context.Context, runIDs []int64) ([]store.ChildRun, error) {
	if len(runIDs) == 0 {
		return nil, nil
	}
	return many(func(row db.LockChildRunsRow) store.ChildRun { return store.ChildRun(row) })(r.q.LockChildRuns(ctx, runIDs))
}

func (r retention) DeleteRuns(ctx context.Context, runIDs []int64) (store.RetentionDeleted, error) {
	var d store.RetentionDeleted
	if len(runIDs) == 0 {
		return d, nil
	}
	var discard int64
	// Children before parents: logs and their stats name attempts,
	// attempts name tasks, tasks name runs.
	for _, step := range []struct {
		n   *int64
		del func(context.Context, []int64) (int64, error)
	}{
		{&d.Logs, r.q.DeleteRunLogs}, {&discard, r.q.DeleteRunLogStats}, {&d.Events, r.q.DeleteRunEvents},
		{&d.Attempts, r.q.DeleteRunAttempts}, {&d.Tasks, r.q.DeleteRunTasks}, {&discard, r.q.DeleteRunDeadlines},
		{&discard, r.q.DeleteRunWaits}, {&discard, r.q.DeleteRunApprovals}, {&discard, r.q.DeleteRunResources},
		{&d.Runs, r.q.DeleteFinishedRuns},
	} {
		n, err := step.del(ctx, runIDs)
		if err != nil {
			return store.RetentionDeleted{}, mapErr(err)
		}
		*step.n += n
	}
	// Packed rows of events go once no run they may name is left.
	n, err := r.q.DeletePackedRunEvents(ctx, db.DeletePackedRunEventsParams{RunLo: slices.Min(runIDs), RunHi: slices.Max(runIDs)})
	if err != nil {
		return store.RetentionDeleted{}, mapErr(err)
	}
	d.Events += n
	return d, nil
}

func (r retention) DeleteAudit(ctx context.Context, ageMs, limit int64) (int64, error) {
	n, err := r.q.DeleteAuditEvents(ctx, db.DeleteAuditEventsParams{AgeMs: ageMs, Limit: limit})
	return n, mapErr(err)
}

func (r retention) DeleteStartRecords(ctx context.Context, ageMs, limit int64) (int64, error) {
	n, err := r.q.DeleteStartRequests(ctx, db.DeleteStartRequestsParams{AgeMs: ageMs, Limit: limit})
	return n, mapErr(err)
}

type resources struct{ q *db.Queries }

func toResource(r db.Resource) store.Resource { return store.Resource(r) }

func (r resources) PutBlob(ctx context.Context, sha256 string, content []byte) (bool, error) {
	return affected(r.q.InsertResourceBlob(ctx, db.InsertResourceBlobParams{Sha256: sha256,
		Size: int64(len(content)), Content: content}))
}

func (r resources) Blob(ctx context.Context, sha256 string) ([]byte, error) {
	b, err := r.q.GetResourceBlob(ctx, sha256)
	return b, mapErr(err)
}

func (r resources) Insert(ctx context.Context, in store.NewResource) (store.Resource, error) {
	latest, err := r.q.LatestResourceVersion(ctx, in.Name)
	if err != nil {
		return store.Resource{}, mapErr(err)
	}
	return one(toResource)(r.q.InsertResource(ctx, db.InsertResourceParams{Name: in.Name, Version: latest + 1,
		Sha256: in.Sha256, Kind: in.Kind, Size: in.Size, Files: in.Files, CreatedBy: in.CreatedBy}))
}

func (r resources) Get(ctx context.Context, name string, version int64) (store.Resource, error) {
	return one(toResource)(r.q.GetResource(ctx, db.GetResourceParams{Name: name, Version: version}))
}

func (r resources) Latest(ctx context.Context, name string) (store.Resource, error) {
	v, err := r.q.LatestResourceVersion(ctx, name)
	switch {
	case err != nil:
		return store.Resource{}, mapErr(err)
	case v == 0:
		return store.Resource{}, store.ErrNotFound
	}
	return r.Get(ctx, name, v)
}

func (r resources) Versions(ctx context.Context, name string) ([]store.Resource, error) {
	return many(toResource)(r.q.ResourceVersions(ctx, name))
}

func (r resources) List(ctx context.Context) ([]store.Resource, error) {
	return many(toResource)(r.q.ListResources(ctx))
}

func (r resources) Pin(ctx context.Context, runID int64, pins []store.ResourcePin) error {
	for _, p := range pins {
		if err := r.q.InsertRunResource(ctx, db.InsertRunResourceParams{RunID: runID, Name: p.Name,
			Version: p.Version}); err != nil {
			return mapErr(err)
		}
	}
	return nil
}

func (r resources) Pinned(ctx context.Context, runID int64) ([]store.Resource, error) {
	return many(toResource)(r.q.RunResources(ctx, runID))
}

type waits struct{ q *db.Queries }

func (w waits) Insert(ctx context.Context, in store.NewWait) error {
	return mapErr(w.q.InsertWait(ctx, db.InsertWaitParams(in)))
}

func (w waits) AnyDue(ctx context.Context) (bool, error) {
	ok, err := w.q.AnyWaitDue(ctx)
	return ok, mapErr(err)
}

func (w waits) Due(ctx context.Context, limit int64) ([]store.DueWait, error) {
	return many(func(r db.DueWaitsRow) store.DueWait { return store.DueWait(r) })(w.q.DueWaits(ctx, limit))
}

func (w waits) Push(ctx context.Context, ids []int64) (int64, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	n, err := w.q.PushWaits(ctx, ids)
	return n, mapErr(err)
}

func (w waits) Delete(ctx context.Context, ids []int64) (int64, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	n, err := w.q.DeleteWaits(ctx, ids)
	return n, mapErr(err)
}

func (w waits) Wake(ctx context.Context, runID int64) (int64, error) {
	n, err := w.q.WakeWaits(ctx, runID)
	return n, mapErr(err)
}

func (w waits) Count(ctx context.Context) (int64, error) {
	n, err := w.q.CountWaits(ctx)
	return n, mapErr(err)
}
