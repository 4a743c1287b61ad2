package storetest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baton-sched/baton/internal/store"
)

// Small factories and helpers shared by the behaviour suite. Every helper
// stops the test on an unexpected error, so test bodies read as the
// behaviour they check.

// errBoom is the error test transactions return to force a rollback.
var errBoom = errors.New("boom")

// waitFor bounds every wait for an asynchronous event.
const waitFor = 5 * time.Second

// do runs fn in one committed transaction.
func do(t *testing.T, s store.Store, fn func(tx store.Tx) error) {
	t.Helper()
	if err := s.InTx(t.Context(), fn); err != nil {
		t.Fatalf("transaction: %v", err)
	}
}

// get runs fn in one committed transaction and returns its result.
func get[T any](t *testing.T, s store.Store, fn func(tx store.Tx) (T, error)) T {
	t.Helper()
	var v T
	do(t, s, func(tx store.Tx) (err error) {
		v, err = fn(tx)
		return err
	})
	return v
}

// read runs fn through Store.Read, the path reads outside transactions use.
func read[T any](t *testing.T, s store.Store, fn func(tx store.Tx) (T, error)) T {
	t.Helper()
	var v T
	err := s.Read(t.Context(), func(tx store.Tx) (err error) {
		v, err = fn(tx)
		return err
	})
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return v
}

// txErr runs fn in a transaction and returns its error.
func txErr(t *testing.T, s store.Store, fn func(tx store.Tx) error) error {
	t.Helper()
	return s.InTx(t.Context(), fn)
}

// wantErr fails the test unless errors.Is(err, want).
func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: error = %v, want %v", what, err, want)
	}
}

// wantOK fails the test unless a guarded update reported ok == want.
func wantOK(t *testing.T, what string, ok, want bool) {
	t.Helper()
	if ok != want {
		t.Errorf("%s: ok = %v, want %v", what, ok, want)
	}
}

var seq atomic.Int64

// uniq returns a name no other call returns.
func uniq(prefix string) string { return fmt.Sprintf("%s-%d", prefix, seq.Add(1)) }

// newWorkflow creates workflow name with version 1 as its latest version.
func newWorkflow(t *testing.T, s store.Store, name string) (store.Workflow, store.Version) {
	t.Helper()
	var (
		wf store.Workflow
		v  store.Version
	)
	do(t, s, func(tx store.Tx) (err error) {
		ctx := t.Context()
		if wf, err = tx.Workflows().Upsert(ctx, name); err != nil {
			return err
		}
		v, err = tx.Workflows().InsertVersion(ctx, store.NewVersion{
			WorkflowID: wf.ID, Version: 1, Digest: "d1", Spec: `{"name":"` + name + `"}`,
		})
		if err != nil {
			return err
		}
		if err := tx.Workflows().SetLatest(ctx, wf.ID, v.ID, v.Version, v.Digest); err != nil {
			return err
		}
		wf, err = tx.Workflows().Get(ctx, name)
		return err
	})
	return wf, v
}

// onVersion makes newRun use an existing workflow version.
func onVersion(wf store.Workflow, v store.Version) func(*store.NewRun) {
	return func(r *store.NewRun) {
		r.WorkflowID, r.Workflow, r.VersionID, r.Version = wf.ID, wf.Name, v.ID, v.Version
	}
}

// inState sets the state a run is inserted in.
func inState(state string) func(*store.NewRun) {
	return func(r *store.NewRun) { r.State = state }
}

// newRun inserts a queued run of one task, on a fresh workflow unless an
// option (onVersion) names one.
func newRun(t *testing.T, s store.Store, opts ...func(*store.NewRun)) store.Run {
	t.Helper()
	nr := store.NewRun{State: store.RunQueued, Params: "{}", TasksTotal: 1}
	for _, o := range opts {
		o(&nr)
	}
	if nr.WorkflowID == 0 {
		onVersion(newWorkflow(t, s, uniq("wf")))(&nr)
	}
	return get(t, s, func(tx store.Tx) (store.Run, error) { return insertRun(t.Context(), tx, nr) })
}

// insertTasks inserts tasks into run runID and returns all the run's tasks
// in Idx order. Empty fields default to: name "t<idx>", state queued,
// group "default", 1 CU.
func insertTasks(t *testing.T, s store.Store, runID int64, ts ...store.NewTask) []store.Task {
	t.Helper()
	for i := range ts {
		n := &ts[i]
		n.RunID = runID
		n.Name = cmp.Or(n.Name, fmt.Sprintf("t%d", n.Idx))
		n.State = cmp.Or(n.State, store.TaskQueued)
		n.Group = cmp.Or(n.Group, "default")
		n.CU = cmp.Or(n.CU, 1)
	}
	do(t, s, func(tx store.Tx) error { return tx.Tasks().Insert(t.Context(), ts) })
	return listTasks(t, s, runID)
}

// listTasks returns a run's tasks in Idx order.
func listTasks(t *testing.T, s store.Store, runID int64) []store.Task {
	t.Helper()
	return read(t, s, func(tx store.Tx) ([]store.Task, error) { return tx.Tasks().ListRun(t.Context(), runID) })
}

// getTask re-reads one task.
func getTask(t *testing.T, s store.Store, id int64) store.Task {
	t.Helper()
	return read(t, s, func(tx store.Tx) (store.Task, error) { return tx.Tasks().Get(t.Context(), id) })
}

// markRunning moves a queued task to running under attemptID.
func markRunning(t *testing.T, s store.Store, taskID, attemptID int64) {
	t.Helper()
	Exec(t, s, fmt.Sprintf(`UPDATE tasks SET state = 'running', attempt_id = %d, attempts = attempts + 1,
		started_at = CASE WHEN started_at = 0 THEN baton_now() ELSE started_at END
		WHERE id = %d AND state = 'queued'`, attemptID, taskID))
	if tk := getTask(t, s, taskID); tk.State != store.TaskRunning || tk.AttemptID != attemptID {
		t.Fatalf("mark task %d running: guard refused (%+v)", taskID, tk)
	}
}

// newWorker registers an active worker in zone with a lease of ttlMs
// (negative: already expired).
func newWorker(t *testing.T, s store.Store, id, zone string, ttlMs int64) store.Worker {
	t.Helper()
	return get(t, s, func(tx store.Tx) (store.Worker, error) {
		return tx.Workers().Register(t.Context(), store.NewWorker{
			ID: id, Name: id, Zone: zone, Group: "default", Labels: "{}", Capacity: 4, TTLMs: ttlMs,
		})
	})
}

// dispatch inserts the next attempt of a queued task on worker w and marks
// the task running under it, as a claim does. It returns the attempt ID.
func dispatch(t *testing.T, s store.Store, task store.Task, w store.Worker) int64 {
	t.Helper()
	return get(t, s, func(tx store.Tx) (int64, error) {
		ctx := t.Context()
		return insertAttempt(ctx, tx, store.NewAttempt{
			TaskID: task.ID, RunID: task.RunID, Number: task.Attempts + 1, WorkerID: w.ID, Zone: w.Zone,
		})
	})
}

// getAttempt re-reads one attempt.
func getAttempt(t *testing.T, s store.Store, id int64) store.Attempt {
	t.Helper()
	return read(t, s, func(tx store.Tx) (store.Attempt, error) { return tx.Attempts().Get(t.Context(), id) })
}

// sorted returns a sorted copy, for results whose order is unspecified.
func sorted[T cmp.Ordered](xs []T) []T {
	out := slices.Clone(xs)
	slices.Sort(out)
	return out
}

// sortByID returns a copy of xs ordered by id, for the results of bulk
// updates, whose order is unspecified.
func sortByID[T any, K cmp.Ordered](xs []T, id func(T) K) []T {
	out := slices.Clone(xs)
	slices.SortFunc(out, func(a, b T) int { return cmp.Compare(id(a), id(b)) })
	return out
}

// sortRefs orders TaskRefs by task ID.
func sortRefs(refs []store.TaskRef) []store.TaskRef {
	return sortByID(refs, func(r store.TaskRef) int64 { return r.ID })
}

// ref is the TaskRef of task tk in its new state.
func ref(tk store.Task, state string) store.TaskRef {
	return store.TaskRef{ID: tk.ID, RunID: tk.RunID, Name: tk.Name, State: state}
}

// One-row forms of the multi-row operations, for tests about one row. Like
// the operations they stand for, they run in the transaction tx; the ones
// that return a row return store.ErrNotFound when the guard matched none.

func insertRun(ctx context.Context, tx store.Tx, nr store.NewRun) (store.Run, error) {
	rs, err := tx.Runs().InsertMany(ctx, []store.NewRun{nr})
	if err != nil {
		return store.Run{}, err
	}
	return rs[0], nil
}

func addProgress(ctx context.Context, tx store.Tx, id, done, failed int64) (store.RunProgress, error) {
	ps, err := tx.Runs().AddProgressMany(ctx, []store.RunDelta{{ID: id, Done: done, Failed: failed}})
	if err != nil || len(ps) == 0 {
		return store.RunProgress{}, cmp.Or(err, store.ErrNotFound)
	}
	return ps[0], nil
}

func finishRun(ctx context.Context, tx store.Tx, id int64, state, reason string) (bool, error) {
	ids, err := tx.Runs().FinishMany(ctx, []store.RunFinish{{ID: id, State: state, Reason: reason}})
	return len(ids) == 1, err
}

func finishTask(ctx context.Context, tx store.Tx, f store.TaskFinish) (bool, error) {
	ids, err := tx.Tasks().FinishMany(ctx, []store.TaskFinish{f})
	return len(ids) == 1, err
}

// release counts one finished upstream for each of the tasks idxs.
func release(ctx context.Context, tx store.Tx, runID int64, idxs []int64) ([]store.TaskRef, error) {
	rs := make([]store.TaskRelease, len(idxs))
	for i, idx := range idxs {
		rs[i] = store.TaskRelease{RunID: runID, Idx: idx, N: 1}
	}
	return tx.Tasks().ReleaseMany(ctx, rs)
}

// insertAttempt dispatches a queued task's next attempt.
func insertAttempt(ctx context.Context, tx store.Tx, na store.NewAttempt) (int64, error) {
	ids, err := tx.Attempts().Dispatch(ctx, []store.NewAttempt{na})
	if err != nil {
		return 0, err
	}
	return ids[0], nil
}

func startAttempt(ctx context.Context, tx store.Tx, id int64, workerID string) (store.Attempt, error) {
	as, err := tx.Attempts().StartMany(ctx, []int64{id}, workerID)
	if err != nil || len(as) == 0 {
		return store.Attempt{}, cmp.Or(err, store.ErrNotFound)
	}
	return as[0], nil
}

// finishAttempt ends a live attempt of workerID ("" for any worker).
func finishAttempt(ctx context.Context, tx store.Tx, workerID string, af store.AttemptFinish) (store.Attempt, error) {
	as, err := tx.Attempts().FinishMany(ctx, workerID, []store.AttemptFinish{af})
	if err != nil || len(as) == 0 {
		return store.Attempt{}, cmp.Or(err, store.ErrNotFound)
	}
	return as[0], nil
}
