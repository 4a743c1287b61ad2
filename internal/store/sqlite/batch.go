package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/baton-sched/baton/internal/store"
	db "github.com/baton-sched/baton/internal/store/sqlitedb"
)

// Operations on several rows: SQLite statements are cheap in-process
// calls, so a loop in the transaction is as good as one statement.

func (t tasks) Insert(ctx context.Context, ts []store.NewTask) error {
	for _, n := range ts {
		if err := t.q.InsertTask(ctx, db.InsertTaskParams(n)); err != nil {
			return mapErr(err)
		}
	}
	return nil
}

func (e events) Insert(ctx context.Context, es []store.NewEvent) error {
	rows := store.PackEvents(es)
	for _, n := range rows {
		if err := e.q.InsertEvent(ctx, db.InsertEventParams{Kind: n.Kind, Actor: n.Actor, RunID: n.RunID,
			TaskID: n.TaskID, Task: n.Task, AttemptID: n.AttemptID, WorkerID: n.WorkerID, OldState: n.OldState,
			NewState: n.NewState, Reason: n.Reason, Zone: n.Zone, RunHi: n.RunHi, Packed: n.Packed}); err != nil {
			return mapErr(err)
		}
	}
	return nil
}

func (l logs) Insert(ctx context.Context, cs []store.NewLogChunk) error {
	for _, n := range cs {
		if err := l.q.InsertLog(ctx, db.InsertLogParams(n)); err != nil {
			return mapErr(err)
		}
	}
	return nil
}

func (r runs) InsertMany(ctx context.Context, ns []store.NewRun) ([]store.Run, error) {
	out := make([]store.Run, 0, len(ns))
	for _, n := range ns {
		row, err := r.q.InsertRun(ctx, db.InsertRunParams(n))
		if err != nil {
			return nil, mapErr(err)
		}
		out = append(out, store.Run(row))
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
	out := make([]store.RunProgress, 0, len(ds))
	for _, d := range ds {
		row, err := r.q.AddRunProgress(ctx, db.AddRunProgressParams{Done: d.Done, Failed: d.Failed, ID: d.ID})
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, mapErr(err)
		}
		out = append(out, store.RunProgress(row))
	}
	return out, nil
}

func (r runs) FinishMany(ctx context.Context, fs []store.RunFinish) ([]int64, error) {
	var out []int64
	for _, f := range fs {
		n, err := r.q.FinishRun(ctx, db.FinishRunParams{State: f.State, Reason: f.Reason, ID: f.ID})
		if err != nil {
			return nil, mapErr(err)
		}
		if n > 0 {
			out = append(out, f.ID)
		}
	}
	return out, nil
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
	var out []int64
	for _, f := range fs {
		n, err := t.q.FinishTask(ctx, db.FinishTaskParams(f))
		if err != nil {
			return nil, mapErr(err)
		}
		if n > 0 {
			out = append(out, f.ID)
		}
	}
	return out, nil
}

func (t tasks) ReleaseMany(ctx context.Context, rs []store.TaskRelease) ([]store.TaskRef, error) {
	var out []store.TaskRef
	for _, r := range rs {
		row, err := t.q.ReleaseTask(ctx, db.ReleaseTaskParams{N: r.N, RunID: r.RunID, Idx: r.Idx})
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, mapErr(err)
		}
		out = append(out, store.TaskRef(row))
	}
	return out, nil
}

func (a attempts) Dispatch(ctx context.Context, ns []store.NewAttempt) ([]int64, error) {
	if len(ns) == 0 {
		return nil, nil
	}
	last, err := a.q.TakeAttemptIDs(ctx, int64(len(ns)))
	if err != nil {
		return nil, fmt.Errorf("take attempt IDs: %w", mapErr(err))
	}
	ids := make([]int64, len(ns))
	for i, n := range ns {
		ids[i] = last - int64(len(ns)-1-i)
		moved, err := a.q.DispatchAttempt(ctx, db.DispatchAttemptParams{AttemptID: ids[i], WorkerID: n.WorkerID,
			Zone: n.Zone, TimeoutMs: n.TimeoutMs, ID: n.TaskID})
		if err != nil {
			return nil, mapErr(err)
		}
		if moved == 0 {
			return nil, fmt.Errorf("dispatch attempt of task %d: the task left the queue during its claim", n.TaskID)
		}
	}
	return ids, nil
}

func (a attempts) StartMany(ctx context.Context, ids []int64, workerID string) ([]store.Attempt, error) {
	var out []store.Attempt
	for _, id := range ids {
		n, err := a.q.StartAttempt(ctx, db.StartAttemptParams{ID: id, WorkerID: workerID})
		if err != nil {
			return nil, mapErr(err)
		}
		if n == 0 {
			continue
		}
		row, err := a.q.GetAttempt(ctx, id)
		if err != nil {
			return nil, mapErr(err)
		}
		out = append(out, store.Attempt(row))
	}
	return out, nil
}

func (a attempts) FinishMany(ctx context.Context, workerID string, fs []store.AttemptFinish) ([]store.Attempt, error) {
	var out []store.Attempt
	for _, f := range fs {
		row, err := a.q.FinishAttempt(ctx, db.FinishAttemptParams{State: f.State, Reason: f.Reason,
			ExitCode: f.ExitCode, Start: f.Start, ID: f.ID, WorkerID: workerID})
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, mapErr(err)
		}
		out = append(out, store.Attempt(row))
	}
	return out, nil
}

func (a attempts) Succeed(ctx context.Context, workerID string, ss []store.AttemptSuccess) ([]store.AttemptWon, error) {
	fins := make([]store.AttemptFinish, len(ss))
	outputs := make(map[int64]string, len(ss))
	for i, x := range ss {
		fins[i] = store.AttemptFinish{State: store.AttemptSucceeded, Reason: x.Reason, ExitCode: x.ExitCode, ID: x.ID,
			Start: x.Start}
		outputs[x.ID] = x.Outputs
	}
	ended, err := a.FinishMany(ctx, workerID, fins)
	if err != nil {
		return nil, err
	}
	out := make([]store.AttemptWon, 0, len(ended))
	for _, e := range ended {
		settle, err := a.q.GetTasksToSettle(ctx, []int64{e.TaskID})
		if err != nil || len(settle) != 1 {
			return nil, cmp.Or(mapErr(err), fmt.Errorf("succeed attempt %d: its task %d is gone", e.ID, e.TaskID))
		}
		n, err := a.q.FinishTask(ctx, db.FinishTaskParams{State: store.TaskSucceeded, Outputs: outputs[e.ID],
			ID: e.TaskID, AttemptID: e.ID})
		if err != nil {
			return nil, mapErr(err)
		}
		if n == 0 { // a live attempt's task runs under it
			return nil, fmt.Errorf("succeed attempt %d: its task %d did not run under it", e.ID, e.TaskID)
		}
		out = append(out, store.AttemptWon{Attempt: e, TaskRun: toSettle(settle[0])})
	}
	return out, nil
}

func (r runs) ByKeys(ctx context.Context, workflowID int64, keys []string) ([]store.Run, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	return many(toRun)(r.q.GetRunsByKeys(ctx, db.GetRunsByKeysParams{WorkflowID: workflowID, Keys: keys}))
}

// Candidates implements store.Tasks. (PostgreSQL's differs: see there.)
func (t tasks) Candidates(ctx context.Context, f store.CandidateFilter) ([]store.Candidate, error) {
	return many(toCandidate)(t.q.ClaimCandidates(ctx, db.ClaimCandidatesParams(f)))
}
