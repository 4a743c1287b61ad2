package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/baton-sched/baton/internal/store"
)

// Task rows and the single-task guarded updates. The queue operations
// (Candidates, Release, WakeRetries, ...) are in suite_queue_test.go.

func TestTasksInsertAndRead(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		run := newRun(t, s, func(r *store.NewRun) { r.TasksTotal = 3 })
		news := []store.NewTask{ // inserted out of Idx order on purpose
			{RunID: run.ID, Idx: 2, Name: "load", State: store.TaskPending, Group: "db", CU: 0.5, Priority: 1, RunPriority: 7, NeedsTotal: 2,
				Labels: `{"gpu":"true"}`, ZonesAllow: ",a,b,", ZonesDeny: ",c,"},
			{RunID: run.ID, Idx: 0, Name: "extract", State: store.TaskQueued, Group: "default", CU: 2, RunPriority: 7},
			{RunID: run.ID, Idx: 1, Name: "transform", State: store.TaskPending, Group: "default", CU: 1.5, Priority: -3, RunPriority: 7, NeedsTotal: 1},
		}
		do(t, s, func(tx store.Tx) error { return tx.Tasks().Insert(ctx, news) })
		got := listTasks(t, s, run.ID)

		var want []store.Task
		for _, i := range []int{1, 2, 0} { // Idx order
			n := news[i]
			want = append(want, store.Task{
				RunID: n.RunID, Idx: n.Idx, Name: n.Name, State: n.State, Group: n.Group, CU: n.CU,
				Priority: n.Priority, RunPriority: n.RunPriority, NeedsTotal: n.NeedsTotal,
				Labels: n.Labels, ZonesAllow: n.ZonesAllow, ZonesDeny: n.ZonesDeny,
			})
		}
		if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(store.Task{}, "ID", "CreatedAt", "ReadyAt")); diff != "" {
			t.Errorf("ListRun, in Idx order (-want +got):\n%s", diff)
		}
		for _, tk := range got {
			if tk.ID == 0 || tk.CreatedAt <= 0 {
				t.Errorf("task %s: ID %d, CreatedAt %d, want both set", tk.Name, tk.ID, tk.CreatedAt)
			}
		}

		byName := read(t, s, func(tx store.Tx) (store.Task, error) { return tx.Tasks().ByName(ctx, run.ID, "load") })
		if diff := cmp.Diff(got[2], byName); diff != "" {
			t.Errorf("ByName (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(got[0], getTask(t, s, got[0].ID)); diff != "" {
			t.Errorf("Get (-want +got):\n%s", diff)
		}
		wantErr(t, "ByName(missing)", s.Read(ctx, func(tx store.Tx) error {
			_, err := tx.Tasks().ByName(ctx, run.ID, "absent")
			return err
		}), store.ErrNotFound)
		wantErr(t, "Get(missing)", s.Read(ctx, func(tx store.Tx) error {
			_, err := tx.Tasks().Get(ctx, got[2].ID+1000)
			return err
		}), store.ErrNotFound)
		wantErr(t, "Insert of an existing (run, idx)", txErr(t, s, func(tx store.Tx) error {
			return tx.Tasks().Insert(ctx, []store.NewTask{{RunID: run.ID, Idx: 1, Name: "dup", State: store.TaskQueued, Group: "default", CU: 1}})
		}), store.ErrConflict)
		do(t, s, func(tx store.Tx) error { return tx.Tasks().Insert(ctx, nil) })
		if n := len(listTasks(t, s, run.ID)); n != 3 {
			t.Errorf("run has %d tasks after a refused and an empty insert, want 3", n)
		}
	})
}

func TestTasksMarkRunning(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		run := newRun(t, s)
		ts := insertTasks(t, s, run.ID, store.NewTask{Idx: 0}, store.NewTask{Idx: 1, State: store.TaskPending, NeedsTotal: 1})
		dispatchTask := func(id int64) (int64, error) {
			var got int64
			err := txErr(t, s, func(tx store.Tx) (err error) {
				got, err = insertAttempt(ctx, tx, store.NewAttempt{TaskID: id, RunID: run.ID, WorkerID: "w1", Zone: "z1",
					TimeoutMs: 5000})
				return err
			})
			return got, err
		}
		a1, err := dispatchTask(ts[0].ID)
		if err != nil {
			t.Fatalf("Dispatch(queued): %v", err)
		}
		first := getTask(t, s, ts[0].ID)
		if first.State != store.TaskRunning || first.AttemptID != a1 || first.Attempts != 1 || first.StartedAt <= 0 ||
			first.WorkerID != "w1" || first.Zone != "z1" || first.DispatchedAt <= 0 || first.AttemptStartedAt != 0 ||
			first.TimeoutMs != 5000 {
			t.Errorf("after Dispatch: %+v; want running under %d, attempt 1 of w1 in z1, started, dispatched", first, a1)
		}
		if _, err := dispatchTask(ts[0].ID); err == nil {
			t.Error("Dispatch(running): no error")
		}
		if got := getTask(t, s, ts[0].ID); got.AttemptID != a1 || got.Attempts != 1 {
			t.Errorf("refused Dispatch changed attempt_id to %d, attempts to %d", got.AttemptID, got.Attempts)
		}
		if _, err := dispatchTask(ts[1].ID); err == nil {
			t.Error("Dispatch(pending): no error")
		}

		// A second attempt counts again but keeps the first start time.
		do(t, s, func(tx store.Tx) error {
			_, err := finishAttempt(ctx, tx, "", store.AttemptFinish{State: store.AttemptFailed, ID: a1})
			return err
		})
		wantOK(t, "Requeue", get(t, s, func(tx store.Tx) (bool, error) {
			return tx.Tasks().Requeue(ctx, store.TaskRequeue{State: store.TaskQueued, ID: ts[0].ID, AttemptID: a1})
		}), true)
		a2, err := dispatchTask(ts[0].ID)
		if err != nil || a2 <= a1 {
			t.Fatalf("Dispatch(requeued) = %d, %v; want an ID past %d", a2, err, a1)
		}
		second := getTask(t, s, ts[0].ID)
		if second.AttemptID != a2 || second.Attempts != 2 || second.StartedAt != first.StartedAt {
			t.Errorf("second run: attempt_id %d attempts %d started_at %d; want %d, 2, %d",
				second.AttemptID, second.Attempts, second.StartedAt, a2, first.StartedAt)
		}
		if as := read(t, s, func(tx store.Tx) ([]store.Attempt, error) { return tx.Attempts().ListRun(ctx, run.ID) }); len(as) != 2 ||
			as[0].ID != a1 || as[0].State != store.AttemptFailed || as[1].ID != a2 || as[1].State != store.AttemptDispatched {
			t.Errorf("attempts of the run %+v, want %d failed then %d dispatched", as, a1, a2)
		}
	})
}

func TestTasksFinish(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		run := newRun(t, s)
		ts := insertTasks(t, s, run.ID, store.NewTask{Idx: 0}, store.NewTask{Idx: 1})
		markRunning(t, s, ts[0].ID, 7)
		finish := func(f store.TaskFinish) bool {
			return get(t, s, func(tx store.Tx) (bool, error) { return finishTask(ctx, tx, f) })
		}
		ok := store.TaskFinish{State: store.TaskSucceeded, Outputs: `{"file":"/tmp/x"}`, ID: ts[0].ID, AttemptID: 7}

		stale := ok
		stale.AttemptID = 6
		wantOK(t, "Finish with a superseded attempt", finish(stale), false)
		if got := getTask(t, s, ts[0].ID); got.State != store.TaskRunning || got.Outputs != "" {
			t.Errorf("refused Finish changed the task: state %q outputs %q", got.State, got.Outputs)
		}

		wantOK(t, "Finish with the live attempt", finish(ok), true)
		got := getTask(t, s, ts[0].ID)
		if got.State != store.TaskSucceeded || got.Outputs != ok.Outputs || got.AttemptID != 0 || got.FinishedAt <= 0 {
			t.Errorf("after Finish: state %q outputs %q attempt_id %d finished_at %d; want succeeded, outputs, 0, set",
				got.State, got.Outputs, got.AttemptID, got.FinishedAt)
		}
		again := ok
		again.State, again.Outputs = store.TaskFailed, ""
		wantOK(t, "second Finish", finish(again), false)
		if diff := cmp.Diff(got, getTask(t, s, ts[0].ID)); diff != "" {
			t.Errorf("second Finish changed the task (-before +after):\n%s", diff)
		}
		wantOK(t, "Finish of a queued task", finish(store.TaskFinish{State: store.TaskSucceeded, ID: ts[1].ID}), false)
	})
}

func TestTasksFail(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		run := newRun(t, s)
		ts := insertTasks(t, s, run.ID,
			store.NewTask{Idx: 0}, store.NewTask{Idx: 1}, store.NewTask{Idx: 2, State: store.TaskPending, NeedsTotal: 1})
		markRunning(t, s, ts[1].ID, 5)
		fail := func(id int64) bool {
			return get(t, s, func(tx store.Tx) (bool, error) { return tx.Tasks().Fail(ctx, id, "render: unknown output") })
		}
		wantOK(t, "Fail(queued)", fail(ts[0].ID), true)
		got := getTask(t, s, ts[0].ID)
		if got.State != store.TaskFailed || got.Reason != "render: unknown output" || got.FinishedAt <= 0 {
			t.Errorf("after Fail: state %q reason %q finished_at %d", got.State, got.Reason, got.FinishedAt)
		}
		wantOK(t, "second Fail", fail(ts[0].ID), false)
		wantOK(t, "Fail(running)", fail(ts[1].ID), false)
		wantOK(t, "Fail(pending)", fail(ts[2].ID), false)
		if st := getTask(t, s, ts[1].ID).State; st != store.TaskRunning {
			t.Errorf("refused Fail moved a running task to %q", st)
		}
	})
}

func TestTasksRequeue(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		const delay = 60_000
		for _, tc := range []struct {
			name      string
			state     string
			delayMs   int64
			attemptID int64 // the task runs under attempt 5
			wantOK    bool
		}{
			{"to queued", store.TaskQueued, 0, 5, true},
			{"to retry_wait after a delay", store.TaskRetryWait, delay, 5, true},
			{"superseded attempt", store.TaskQueued, 0, 4, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				run := newRun(t, s)
				tk := insertTasks(t, s, run.ID, store.NewTask{Idx: 0})[0]
				markRunning(t, s, tk.ID, 5)
				before := getTask(t, s, tk.ID)
				rq := store.TaskRequeue{
					State: tc.state, Reason: "lost", DelayMs: tc.delayMs, Lost: 1,
					AvoidWorker: "w1", AvoidZone: "z1", ID: tk.ID, AttemptID: tc.attemptID,
				}
				ok := get(t, s, func(tx store.Tx) (bool, error) { return tx.Tasks().Requeue(ctx, rq) })
				wantOK(t, "Requeue", ok, tc.wantOK)
				got := getTask(t, s, tk.ID)
				if !tc.wantOK {
					if diff := cmp.Diff(before, got); diff != "" {
						t.Errorf("refused Requeue changed the task (-before +after):\n%s", diff)
					}
					return
				}
				want := before
				want.State, want.Reason, want.AttemptID, want.Lost = tc.state, "lost", 0, 1
				want.AvoidWorker, want.AvoidZone = "w1", "z1"
				if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(store.Task{}, "ReadyAt")); diff != "" {
					t.Errorf("after Requeue (-want +got):\n%s", diff)
				}
				// ReadyAt is the database's now plus the delay; the start
				// time (same clock, a moment earlier) brackets it.
				if wait := got.ReadyAt - before.StartedAt; wait < tc.delayMs || wait > tc.delayMs+10_000 {
					t.Errorf("ready_at is %d ms after the start, want %d ms (+ a few seconds at most)", wait, tc.delayMs)
				}
			})
		}

		t.Run("not running", func(t *testing.T) {
			run := newRun(t, s)
			tk := insertTasks(t, s, run.ID, store.NewTask{Idx: 0})[0]
			ok := get(t, s, func(tx store.Tx) (bool, error) {
				return tx.Tasks().Requeue(ctx, store.TaskRequeue{State: store.TaskQueued, ID: tk.ID})
			})
			wantOK(t, "Requeue(queued)", ok, false)
		})

		t.Run("preempted counts apart", func(t *testing.T) {
			run := newRun(t, s)
			tk := insertTasks(t, s, run.ID, store.NewTask{Idx: 0})[0]
			markRunning(t, s, tk.ID, 21)
			wantOK(t, "Requeue", get(t, s, func(tx store.Tx) (bool, error) {
				return tx.Tasks().Requeue(ctx, store.TaskRequeue{State: store.TaskQueued, Preempted: 1, ID: tk.ID, AttemptID: 21})
			}), true)
			if got := getTask(t, s, tk.ID); got.Preempted != 1 || got.Lost != 0 || got.Attempts != 1 {
				t.Errorf("after a preempted attempt: preempted %d lost %d attempts %d, want 1 0 1",
					got.Preempted, got.Lost, got.Attempts)
			}
		})

		t.Run("lost accumulates", func(t *testing.T) {
			run := newRun(t, s)
			tk := insertTasks(t, s, run.ID, store.NewTask{Idx: 0})[0]
			for i, attempt := range []int64{11, 12} {
				markRunning(t, s, tk.ID, attempt)
				wantOK(t, "Requeue", get(t, s, func(tx store.Tx) (bool, error) {
					return tx.Tasks().Requeue(ctx, store.TaskRequeue{State: store.TaskQueued, Lost: 1, ID: tk.ID, AttemptID: attempt})
				}), true)
				if got := getTask(t, s, tk.ID); got.Lost != int64(i+1) || got.Attempts != int64(i+1) {
					t.Errorf("after %d lost attempts: lost %d attempts %d", i+1, got.Lost, got.Attempts)
				}
			}
		})
	})
}
