package storetest

import (
	"slices"
	"strconv"
	"testing"

	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/postgres"
)

// On PostgreSQL the state-dependent indexes of tasks and attempts live in
// narrow tables that triggers keep (migration 00022): task_queue holds the
// queued and retry_wait tasks and the running tasks of a slot,
// live_attempts the dispatched and running attempts. These queries count
// the rows on which a narrow table and its source disagree, both ways.
const (
	queueDrift = `SELECT count(*) FROM (
  (SELECT id, state, grp, run_priority, priority, slot, ready_at FROM tasks
   WHERE state IN ('queued', 'retry_wait') OR (state = 'running' AND slot <> '')
   EXCEPT SELECT task_id, state, grp, run_priority, priority, slot, ready_at FROM task_queue)
  UNION ALL
  (SELECT task_id, state, grp, run_priority, priority, slot, ready_at FROM task_queue
   EXCEPT SELECT id, state, grp, run_priority, priority, slot, ready_at FROM tasks
   WHERE state IN ('queued', 'retry_wait') OR (state = 'running' AND slot <> ''))) AS d`
	liveDrift = `SELECT count(*) FROM (
  (SELECT id, worker_id FROM attempts WHERE state IN ('dispatched', 'running')
   EXCEPT SELECT attempt_id, worker_id FROM live_attempts)
  UNION ALL
  (SELECT attempt_id, worker_id FROM live_attempts
   EXCEPT SELECT id, worker_id FROM attempts WHERE state IN ('dispatched', 'running'))) AS d`
)

// checkNarrow fails the test if a narrow table disagrees with its source
// (PostgreSQL; SQLite has none).
func checkNarrow(t *testing.T, s store.Store, after string) {
	t.Helper()
	if _, ok := s.(*postgres.Store); !ok {
		return
	}
	if n := Int(t, s, queueDrift); n != 0 {
		t.Errorf("after %s: %d rows differ between task_queue and the tasks", after, n)
	}
	if n := Int(t, s, liveDrift); n != 0 {
		t.Errorf("after %s: %d rows differ between live_attempts and the attempts", after, n)
	}
}

// TestNarrowTablesFollowState walks tasks and attempts through every kind
// of transition the store makes and checks the narrow tables after each.
func TestNarrowTablesFollowState(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		w := newWorker(t, s, uniq("w"), "z1", 60_000)
		run := newRun(t, s)
		ts := insertTasks(t, s, run.ID,
			store.NewTask{Idx: 0},
			store.NewTask{Idx: 1, Slot: "s1", Priority: 3},
			store.NewTask{Idx: 2, State: store.TaskPending, NeedsTotal: 1},
			store.NewTask{Idx: 3, State: store.TaskRetryWait},
			store.NewTask{Idx: 4, State: store.TaskSucceeded},
			store.NewTask{Idx: 5},
			store.NewTask{Idx: 6, Slot: "s1"},
		)
		checkNarrow(t, s, "insert")

		do(t, s, func(tx store.Tx) error {
			_, err := tx.Tasks().ReleaseMany(ctx, []store.TaskRelease{{RunID: run.ID, Idx: 2, N: 1}})
			return err
		})
		checkNarrow(t, s, "release")

		a0 := dispatch(t, s, ts[0], w) // queued → running
		a1 := dispatch(t, s, ts[1], w) // a slot's task stays in the queue, running
		checkNarrow(t, s, "dispatch")
		ids := get(t, s, func(tx store.Tx) ([]int64, error) {
			return tx.Attempts().Dispatch(ctx, []store.NewAttempt{{TaskID: ts[2].ID, RunID: run.ID, Number: 1, WorkerID: w.ID, Zone: w.Zone}})
		})
		a2 := ids[0]
		checkNarrow(t, s, "Dispatch")
		do(t, s, func(tx store.Tx) error {
			_, err := tx.Attempts().StartMany(ctx, []int64{a0, a1, a2}, w.ID)
			return err
		})
		checkNarrow(t, s, "start")

		do(t, s, func(tx store.Tx) error {
			if _, err := tx.Attempts().FinishMany(ctx, w.ID, []store.AttemptFinish{
				{State: store.AttemptFailed, ID: a0}, {State: store.AttemptSucceeded, ID: a1}, {State: store.AttemptLost, ID: a2},
			}); err != nil {
				return err
			}
			if _, err := tx.Tasks().Requeue(ctx, store.TaskRequeue{State: store.TaskRetryWait, DelayMs: -1, ID: ts[0].ID, AttemptID: a0}); err != nil {
				return err
			}
			if _, err := tx.Tasks().Requeue(ctx, store.TaskRequeue{State: store.TaskQueued, ID: ts[2].ID, AttemptID: a2}); err != nil {
				return err
			}
			_, err := tx.Tasks().FinishMany(ctx, []store.TaskFinish{{State: store.TaskSucceeded, ID: ts[1].ID, AttemptID: a1}})
			return err
		})
		checkNarrow(t, s, "finish and requeue")

		do(t, s, func(tx store.Tx) error {
			_, err := tx.Tasks().WakeRetries(ctx)
			return err
		})
		checkNarrow(t, s, "wake retries")
		do(t, s, func(tx store.Tx) error {
			_, err := tx.Tasks().Fail(ctx, ts[5].ID, "cannot render")
			return err
		})
		checkNarrow(t, s, "fail")
		do(t, s, func(tx store.Tx) error {
			_, err := tx.Tasks().Recover(ctx, store.TaskRecovery{State: store.TaskQueued, ID: ts[4].ID, FromState: store.TaskSucceeded})
			return err
		})
		checkNarrow(t, s, "recover")
		do(t, s, func(tx store.Tx) error { return tx.Tasks().HoldRun(ctx, run.ID, true) })
		checkNarrow(t, s, "hold")

		dispatch(t, s, getTask(t, s, ts[6].ID), w)
		do(t, s, func(tx store.Tx) error {
			if _, err := tx.Attempts().CancelRun(ctx, run.ID, "by alice"); err != nil {
				return err
			}
			_, err := tx.Tasks().CancelRun(ctx, run.ID, "by alice")
			return err
		})
		checkNarrow(t, s, "cancel")

		other := newRun(t, s)
		ot := insertTasks(t, s, other.ID, store.NewTask{Idx: 0}, store.NewTask{Idx: 1, Slot: "s1"})
		dispatch(t, s, ot[1], w)
		Exec(t, s, "DELETE FROM attempts WHERE run_id = "+strconv.FormatInt(other.ID, 10))
		Exec(t, s, "DELETE FROM tasks WHERE run_id = "+strconv.FormatInt(other.ID, 10))
		checkNarrow(t, s, "delete")
		if pg, ok := s.(*postgres.Store); ok {
			if n := Int(t, s, "SELECT count(*) FROM task_queue") + Int(t, s, "SELECT count(*) FROM live_attempts"); n != 0 {
				t.Errorf("%d rows left in the narrow tables, want none (every task ended or deleted)", n)
			}
			// The check sees a queue row that has no task.
			if _, err := pg.Pool().Exec(ctx, `INSERT INTO task_queue (task_id, state, grp, run_priority, priority, slot, ready_at)
				VALUES (1, 'queued', 'g', 0, 0, '', 0)`); err != nil {
				t.Fatal(err)
			}
			if n := Int(t, s, queueDrift); n != 1 {
				t.Errorf("drift with a stray queue row = %d, want 1", n)
			}
		}
	})
}

// TestNarrowQueueClaimFindsEveryQueuedTask queues tasks by every path that
// makes a task queued (insert, release, requeue, retry wake-up, recovery,
// release of a hold) and claims: each must be a candidate, which on
// PostgreSQL it is only if the queue table holds it.
func TestNarrowQueueClaimFindsEveryQueuedTask(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		run := newRun(t, s)
		ts := insertTasks(t, s, run.ID,
			store.NewTask{Idx: 0, Group: "g"},
			store.NewTask{Idx: 1, Group: "g", State: store.TaskPending, NeedsTotal: 1},
			store.NewTask{Idx: 2, Group: "g"},
			store.NewTask{Idx: 3, Group: "g"},
			store.NewTask{Idx: 4, Group: "g", State: store.TaskFailed},
		)
		markRunning(t, s, ts[2].ID, 7)
		markRunning(t, s, ts[3].ID, 8)
		do(t, s, func(tx store.Tx) error {
			if _, err := tx.Tasks().ReleaseMany(ctx, []store.TaskRelease{{RunID: run.ID, Idx: 1, N: 1}}); err != nil {
				return err
			}
			if _, err := tx.Tasks().Requeue(ctx, store.TaskRequeue{State: store.TaskQueued, ID: ts[2].ID, AttemptID: 7}); err != nil {
				return err
			}
			if _, err := tx.Tasks().Requeue(ctx, store.TaskRequeue{State: store.TaskRetryWait, DelayMs: -1, ID: ts[3].ID, AttemptID: 8}); err != nil {
				return err
			}
			if _, err := tx.Tasks().WakeRetries(ctx); err != nil {
				return err
			}
			if _, err := tx.Tasks().Recover(ctx, store.TaskRecovery{State: store.TaskQueued, ID: ts[4].ID, FromState: store.TaskFailed}); err != nil {
				return err
			}
			if err := tx.Tasks().HoldRun(ctx, run.ID, true); err != nil {
				return err
			}
			return tx.Tasks().HoldRun(ctx, run.ID, false)
		})
		checkNarrow(t, s, "queueing")
		if !get(t, s, func(tx store.Tx) (bool, error) { return tx.Tasks().AnyQueued(ctx, "g") }) {
			t.Error("AnyQueued(g) = false with five queued tasks")
		}
		cands := get(t, s, func(tx store.Tx) ([]store.Candidate, error) {
			return tx.Tasks().Candidates(ctx, store.CandidateFilter{Group: "g", Zone: "z1", WorkerLabels: "{}", Limit: 10})
		})
		var got []int64
		for _, c := range cands {
			got = append(got, c.ID)
		}
		var want []int64
		for _, tk := range ts {
			want = append(want, tk.ID)
		}
		if slices.Sort(got); !slices.Equal(got, want) {
			t.Errorf("candidates %v, want every task %v", got, want)
		}
	})
}
