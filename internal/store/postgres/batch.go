package postgres

import (
	"context"
	"fmt"

	"github.com/baton-sched/baton/internal/store"
	db "github.com/baton-sched/baton/internal/store/pgdb"
)

// Operations on several rows, each one statement whatever the number of
// rows: the rows travel as one array per column and unnest turns them
// back into rows (queries/postgres/batch.sql).

// column gathers one field of every element of in.
func column[S, C any](in []S, field func(S) C) []C {
	out := make([]C, len(in))
	for i, v := range in {
		out[i] = field(v)
	}
	return out
}

func (t tasks) Insert(ctx context.Context, ts []store.NewTask) error {
	if len(ts) == 0 {
		return nil
	}
	return mapErr(t.q.InsertTasks(ctx, db.InsertTasksParams{
		RunID:       column(ts, func(n store.NewTask) int64 { return n.RunID }),
		Idx:         column(ts, func(n store.NewTask) int64 { return n.Idx }),
		Name:        column(ts, func(n store.NewTask) string { return n.Name }),
		State:       column(ts, func(n store.NewTask) string { return n.State }),
		Group:       column(ts, func(n store.NewTask) string { return n.Group }),
		CU:          column(ts, func(n store.NewTask) float64 { return n.CU }),
		Priority:    column(ts, func(n store.NewTask) int64 { return n.Priority }),
		RunPriority: column(ts, func(n store.NewTask) int64 { return n.RunPriority }),
		NeedsTotal:  column(ts, func(n store.NewTask) int64 { return n.NeedsTotal }),
		Labels:      column(ts, func(n store.NewTask) string { return n.Labels }),
		ZonesAllow:  column(ts, func(n store.NewTask) string { return n.ZonesAllow }),
		ZonesDeny:   column(ts, func(n store.NewTask) string { return n.ZonesDeny }),
		Slot:        column(ts, func(n store.NewTask) string { return n.Slot }),
	}))
}

func (e events) Insert(ctx context.Context, es []store.NewEvent) error {
	if len(es) == 0 {
		return nil
	}
	rows := store.PackEvents(es)
	return mapErr(e.q.InsertEvents(ctx, db.InsertEventsParams{
		Kind:      column(rows, func(n store.NewEventRow) string { return n.Kind }),
		Actor:     column(rows, func(n store.NewEventRow) string { return n.Actor }),
		RunID:     column(rows, func(n store.NewEventRow) int64 { return n.RunID }),
		TaskID:    column(rows, func(n store.NewEventRow) int64 { return n.TaskID }),
		Task:      column(rows, func(n store.NewEventRow) string { return n.Task }),
		AttemptID: column(rows, func(n store.NewEventRow) int64 { return n.AttemptID }),
		WorkerID:  column(rows, func(n store.NewEventRow) string { return n.WorkerID }),
		OldState:  column(rows, func(n store.NewEventRow) string { return n.OldState }),
		NewState:  column(rows, func(n store.NewEventRow) string { return n.NewState }),
		Reason:    column(rows, func(n store.NewEventRow) string { return n.Reason }),
		Zone:      column(rows, func(n store.NewEventRow) string { return n.Zone }),
		RunHi:     column(rows, func(n store.NewEventRow) int64 { return n.RunHi }),
		Packed:    column(rows, func(n store.NewEventRow) string { return n.Packed }),
	}))
}

func (l logs) Insert(ctx context.Context, cs []store.NewLogChunk) error {
	if len(cs) == 0 {
		return nil
	}
	return mapErr(l.q.InsertLogs(ctx, db.InsertLogsParams{
		AttemptID: column(cs, func(c store.NewLogChunk) int64 { return c.AttemptID }),
		Seq:       column(cs, func(c store.NewLogChunk) int64 { return c.Seq }),
		Stream:    column(cs, func(c store.NewLogChunk) string { return c.Stream }),
		Data:      column(cs, func(c store.NewLogChunk) string { return c.Data }),
		Size:      column(cs, func(c store.NewLogChunk) int64 { return c.Size }),
	}))
}

func (r runs) InsertMany(ctx context.Context, ns []store.NewRun) ([]store.Run, error) {
	if len(ns) == 0 {
		return nil, nil
	}
	rows, err := r.q.InsertRunsBulk(ctx, db.InsertRunsBulkParams{
		WorkflowID:     column(ns, func(n store.NewRun) int64 { return n.WorkflowID }),
		Workflow:       column(ns, func(n store.NewRun) string { return n.Workflow }),
		VersionID:      column(ns, func(n store.NewRun) int64 { return n.VersionID }),
		Version:        column(ns, func(n store.NewRun) int64 { return n.Version }),
		State:          column(ns, func(n store.NewRun) string { return n.State }),
		Params:         column(ns, func(n store.NewRun) string { return n.Params }),
		IdempotencyKey: column(ns, func(n store.NewRun) string { return n.IdempotencyKey }),
		Priority:       column(ns, func(n store.NewRun) int64 { return n.Priority }),
		ScheduledAt:    column(ns, func(n store.NewRun) int64 { return n.ScheduledAt }),
		CreatedBy:      column(ns, func(n store.NewRun) string { return n.CreatedBy }),
		TasksTotal:     column(ns, func(n store.NewRun) int64 { return n.TasksTotal }),
		ScheduleID:     column(ns, func(n store.NewRun) int64 { return n.ScheduleID }),
	})
	if err != nil {
		return nil, mapErr(err)
	}
	// The rest of each run is what was inserted, and the columns'
	// defaults (no reason, nothing failed or finished, no parent).
	out := make([]store.Run, len(rows))
	for i, row := range rows {
		n := ns[i]
		// RETURNING follows the arrays' order; make sure of it.
		if row.WorkflowID != n.WorkflowID || row.IdempotencyKey != n.IdempotencyKey {
			return nil, fmt.Errorf("insert runs: row %d came back out of order", i)
		}
		out[i] = store.Run{ID: row.ID, WorkflowID: n.WorkflowID, Workflow: n.Workflow, VersionID: n.VersionID,
			Version: n.Version, State: n.State, Params: n.Params, IdempotencyKey: n.IdempotencyKey,
			Priority: n.Priority, ScheduledAt: n.ScheduledAt, CreatedBy: n.CreatedBy, TasksTotal: n.TasksTotal,
			TasksLeft: n.TasksTotal, CreatedAt: row.CreatedAt, StartedAt: row.StartedAt, ScheduleID: n.ScheduleID}
	}
	return out, nil
}

func (r runs) GetMany(ctx context.Context, ids []int64) ([]store.Run, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	return many(toRun)(r.q.GetRuns(ctx, ids))
}

func (r runs) AddProgressMany(ctx context.Context, ds []store.RunDelta) ([]store.RunProgress, error) {
	if len(ds) == 0 {
		return nil, nil
	}
	return many(func(row db.AddRunsProgressRow) store.RunProgress { return store.RunProgress(row) })(
		r.q.AddRunsProgress(ctx, db.AddRunsProgressParams{
			ID:     column(ds, func(d store.RunDelta) int64 { return d.ID }),
			Done:   column(ds, func(d store.RunDelta) int64 { return d.Done }),
			Failed: column(ds, func(d store.RunDelta) int64 { return d.Failed }),
		}))
}

func (r runs) FinishMany(ctx context.Context, fs []store.RunFinish) ([]int64, error) {
	if len(fs) == 0 {
		return nil, nil
	}
	out, err := r.q.FinishRuns(ctx, db.FinishRunsParams{
		ID:     column(fs, func(f store.RunFinish) int64 { return f.ID }),
		State:  column(fs, func(f store.RunFinish) string { return f.State }),
		Reason: column(fs, func(f store.RunFinish) string { return f.Reason }),
	})
	return out, mapErr(err)
}

func (t tasks) GetManyToSettle(ctx context.Context, ids []int64) ([]store.TaskRun, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	return many(toSettle)(t.q.GetTasksToSettle(ctx, ids))
}

func (t tasks) GetMany(ctx context.Context, ids []int64) ([]store.Task, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	return many(toTask)(t.q.GetTasks(ctx, ids))
}

func (t tasks) FinishMany(ctx context.Context, fs []store.TaskFinish) ([]int64, error) {
	if len(fs) == 0 {
		return nil, nil
	}
	out, err := t.q.FinishTasks(ctx, db.FinishTasksParams{
		State:     column(fs, func(f store.TaskFinish) string { return f.State }),
		Reason:    column(fs, func(f store.TaskFinish) string { return f.Reason }),
		Outputs:   column(fs, func(f store.TaskFinish) string { return f.Outputs }),
		ID:        column(fs, func(f store.TaskFinish) int64 { return f.ID }),
		AttemptID: column(fs, func(f store.TaskFinish) int64 { return f.AttemptID }),
	})
	return out, mapErr(err)
}

func (t tasks) ReleaseMany(ctx context.Context, rs []store.TaskRelease) ([]store.TaskRef, error) {
	if len(rs) == 0 {
		return nil, nil
	}
	return many(toTaskRef[db.ReleaseTasksRow])(t.q.ReleaseTasks(ctx, db.ReleaseTasksParams{
		RunID: column(rs, func(r store.TaskRelease) int64 { return r.RunID }),
		Idx:   column(rs, func(r store.TaskRelease) int64 { return r.Idx }),
		N:     column(rs, func(r store.TaskRelease) int64 { return r.N }),
	}))
}

func (a attempts) Dispatch(ctx context.Context, ns []store.NewAttempt) ([]int64, error) {
	if len(ns) == 0 {
		return nil, nil
	}
	rows, err := a.q.DispatchAttempts(ctx, db.DispatchAttemptsParams{
		TaskID:    column(ns, func(n store.NewAttempt) int64 { return n.TaskID }),
		WorkerID:  column(ns, func(n store.NewAttempt) string { return n.WorkerID }),
		Zone:      column(ns, func(n store.NewAttempt) string { return n.Zone }),
		TimeoutMs: column(ns, func(n store.NewAttempt) int64 { return n.TimeoutMs }),
	})
	if err != nil {
		return nil, mapErr(err)
	}
	byTask := make(map[int64]int64, len(rows))
	for _, row := range rows {
		byTask[row.TaskID] = row.ID
	}
	out := make([]int64, len(ns))
	for i, n := range ns {
		if out[i] = byTask[n.TaskID]; out[i] == 0 {
			return nil, fmt.Errorf("dispatch attempt of task %d: the task left the queue during its claim", n.TaskID)
		}
	}
	if len(rows) != len(ns) {
		return nil, fmt.Errorf("dispatch attempts: %d rows for %d tasks (one attempt per task)", len(rows), len(ns))
	}
	return out, nil
}

func startedAttempt(r db.StartAttemptsRow) store.Attempt { return store.Attempt(r) }
func toEndedAttempt(r db.EndedAttempt) store.Attempt     { return store.Attempt(r) }

func toWon(r db.SucceedAttemptsRow) store.AttemptWon {
	return store.AttemptWon{
		Attempt: store.Attempt{ID: r.ID, TaskID: r.TaskID, RunID: r.RunID, Task: r.Task, Number: r.Number,
			State: r.State, Reason: r.Reason, WorkerID: r.WorkerID, Zone: r.Zone, ExitCode: r.ExitCode,
			DispatchedAt: r.DispatchedAt, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt,
			StopRequested: r.StopRequested, TimeoutMs: r.TimeoutMs},
		TaskRun: toSettle(db.GetTasksToSettleRow{ID: r.TaskID, RunID: r.RunID, Idx: r.Idx, Name: r.Task,
			State: store.TaskRunning, AttemptID: r.ID, Slot: r.Slot, Attempts: r.Attempts, Lost: r.Lost,
			Preempted: r.Preempted, StartedAt: r.TaskStartedAt, WorkflowID: r.WorkflowID, Workflow: r.Workflow,
			VersionID: r.VersionID, RunState: r.RunState, Params: r.Params, RunPriority: r.RunPriority,
			ScheduledAt: r.ScheduledAt, CreatedAt: r.CreatedAt, ParentRunID: r.ParentRunID,
			ParentTaskID: r.ParentTaskID}),
	}
}

func (a attempts) StartMany(ctx context.Context, ids []int64, workerID string) ([]store.Attempt, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	return many(startedAttempt)(a.q.StartAttempts(ctx, db.StartAttemptsParams{Ids: ids, WorkerID: workerID}))
}

func (a attempts) FinishMany(ctx context.Context, workerID string, fs []store.AttemptFinish) ([]store.Attempt, error) {
	if len(fs) == 0 {
		return nil, nil
	}
	return many(toEndedAttempt)(a.q.FinishAttempts(ctx, db.FinishAttemptsParams{
		WorkerID: workerID,
		State:    column(fs, func(f store.AttemptFinish) string { return f.State }),
		Reason:   column(fs, func(f store.AttemptFinish) string { return f.Reason }),
		ExitCode: column(fs, func(f store.AttemptFinish) int64 { return f.ExitCode }),
		Start:    column(fs, func(f store.AttemptFinish) bool { return f.Start }),
		ID:       column(fs, func(f store.AttemptFinish) int64 { return f.ID }),
	}))
}

func (a attempts) Succeed(ctx context.Context, workerID string, ss []store.AttemptSuccess) ([]store.AttemptWon, error) {
	if len(ss) == 0 {
		return nil, nil
	}
	return many(toWon)(a.q.SucceedAttempts(ctx, db.SucceedAttemptsParams{
		WorkerID: workerID,
		ID:       column(ss, func(x store.AttemptSuccess) int64 { return x.ID }),
		Start:    column(ss, func(x store.AttemptSuccess) bool { return x.Start }),
		Reason:   column(ss, func(x store.AttemptSuccess) string { return x.Reason }),
		ExitCode: column(ss, func(x store.AttemptSuccess) int64 { return x.ExitCode }),
		Outputs:  column(ss, func(x store.AttemptSuccess) string { return x.Outputs }),
	}))
}

func (r runs) ByKeys(ctx context.Context, workflowID int64, keys []string) ([]store.Run, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	return many(toRun)(r.q.GetRunsByKeys(ctx, db.GetRunsByKeysParams{WorkflowID: workflowID, Keys: keys}))
}
