package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/baton-sched/baton/internal/store"
)

// attemptFixture is one run with n queued tasks and two live workers.
type attemptFixture struct {
	run    store.Run
	tasks  []store.Task
	w1, w2 store.Worker
}

func newAttemptFixture(t *testing.T, s store.Store, n int) attemptFixture {
	t.Helper()
	f := attemptFixture{run: newRun(t, s), w1: newWorker(t, s, uniq("w"), "z1", 60_000), w2: newWorker(t, s, uniq("w"), "z2", 60_000)}
	news := make([]store.NewTask, n)
	for i := range news {
		news[i].Idx = int64(i)
	}
	f.tasks = insertTasks(t, s, f.run.ID, news...)
	return f
}

// start moves a dispatched attempt to running and fails the test if refused.
func start(t *testing.T, s store.Store, id int64, workerID string) store.Attempt {
	t.Helper()
	return get(t, s, func(tx store.Tx) (store.Attempt, error) { return startAttempt(t.Context(), tx, id, workerID) })
}

func TestAttemptsInsertGet(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		f := newAttemptFixture(t, s, 2)
		var ids []int64
		for i, na := range []store.NewAttempt{
			{TaskID: f.tasks[1].ID, RunID: f.run.ID, Number: 1, WorkerID: f.w1.ID, Zone: "z1"},
			{TaskID: f.tasks[0].ID, RunID: f.run.ID, Number: 1, WorkerID: f.w2.ID, Zone: "z2"},
			{TaskID: f.tasks[0].ID, RunID: f.run.ID, Number: 2, WorkerID: f.w1.ID, Zone: "z1"},
		} {
			if i == 2 { // the task's first attempt ends before its second
				do(t, s, func(tx store.Tx) error {
					_, err := finishAttempt(ctx, tx, "", store.AttemptFinish{State: store.AttemptLost, ID: ids[1]})
					if err != nil {
						return err
					}
					_, err = tx.Tasks().Requeue(ctx, store.TaskRequeue{State: store.TaskQueued, ID: na.TaskID, AttemptID: ids[1]})
					return err
				})
			}
			id := get(t, s, func(tx store.Tx) (int64, error) { return insertAttempt(ctx, tx, na) })
			if len(ids) > 0 && id <= ids[len(ids)-1] {
				t.Errorf("attempt IDs not increasing: %d after %d", id, ids[len(ids)-1])
			}
			ids = append(ids, id)
			got := getAttempt(t, s, id)
			want := store.Attempt{
				ID: id, TaskID: na.TaskID, RunID: na.RunID, Task: getTask(t, s, na.TaskID).Name, Number: na.Number,
				State:    store.AttemptDispatched,
				WorkerID: na.WorkerID, Zone: na.Zone,
			}
			if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(store.Attempt{}, "DispatchedAt")); diff != "" {
				t.Errorf("Get(%d) (-want +got):\n%s", id, diff)
			}
			if got.DispatchedAt <= 0 {
				t.Errorf("attempt %d: dispatched_at %d, want set", id, got.DispatchedAt)
			}
		}
		list := read(t, s, func(tx store.Tx) ([]store.Attempt, error) { return tx.Attempts().ListRun(ctx, f.run.ID) })
		var listed []int64
		for _, a := range list {
			listed = append(listed, a.ID)
		}
		if diff := cmp.Diff([]int64{ids[1], ids[2], ids[0]}, listed); diff != "" {
			t.Errorf("ListRun IDs, by task then number (-want +got):\n%s", diff)
		}
		wantErr(t, "Get(missing)", s.Read(ctx, func(tx store.Tx) error {
			_, err := tx.Attempts().Get(ctx, ids[2]+1000)
			return err
		}), store.ErrNotFound)
	})
}

func TestAttemptsStart(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		f := newAttemptFixture(t, s, 2)
		a := dispatch(t, s, f.tasks[0], f.w1)
		tryStart := func(id int64, worker string) error {
			return txErr(t, s, func(tx store.Tx) error {
				_, err := startAttempt(ctx, tx, id, worker)
				return err
			})
		}
		wantErr(t, "Start by another worker", tryStart(a, f.w2.ID), store.ErrNotFound)
		if st := getAttempt(t, s, a).State; st != store.AttemptDispatched {
			t.Errorf("refused Start moved the attempt to %q", st)
		}
		got := start(t, s, a, f.w1.ID)
		if got.ID != a || got.State != store.AttemptRunning || got.StartedAt <= 0 {
			t.Errorf("Start = id %d state %q started_at %d; want %d running with a time", got.ID, got.State, got.StartedAt, a)
		}
		if diff := cmp.Diff(got, getAttempt(t, s, a)); diff != "" {
			t.Errorf("Start result and stored row differ (-result +stored):\n%s", diff)
		}
		wantErr(t, "second Start", tryStart(a, f.w1.ID), store.ErrNotFound)

		finished := dispatch(t, s, f.tasks[1], f.w1)
		do(t, s, func(tx store.Tx) error {
			_, err := finishAttempt(ctx, tx, "", store.AttemptFinish{State: store.AttemptCancelled, ID: finished})
			return err
		})
		wantErr(t, "Start of a finished attempt", tryStart(finished, f.w1.ID), store.ErrNotFound)
		wantErr(t, "Start of a missing attempt", tryStart(finished+1000, f.w1.ID), store.ErrNotFound)
	})
}

func TestAttemptsFinishFences(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		f := newAttemptFixture(t, s, 3)
		finish := func(worker string, af store.AttemptFinish) (store.Attempt, error) {
			var a store.Attempt
			err := txErr(t, s, func(tx store.Tx) (err error) {
				a, err = finishAttempt(ctx, tx, worker, af)
				return err
			})
			return a, err
		}
		for i, tc := range []struct {
			name      string
			started   bool
			nameOwner bool // AttemptFinish names the worker (else WorkerID is empty)
		}{
			{"dispatched, worker not named", false, false},
			{"running, worker not named", true, false},
			{"running, owner named", true, true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				tk := f.tasks[i]
				id := get(t, s, func(tx store.Tx) (int64, error) {
					return insertAttempt(ctx, tx, store.NewAttempt{TaskID: tk.ID, RunID: tk.RunID, Number: 1, WorkerID: f.w1.ID})
				})
				if tc.started {
					start(t, s, id, f.w1.ID)
				}
				worker := ""
				if tc.nameOwner {
					worker = f.w1.ID
					_, err := finish(f.w2.ID, store.AttemptFinish{State: store.AttemptSucceeded, ID: id})
					wantErr(t, "Finish naming another worker", err, store.ErrNotFound)
					if st := getAttempt(t, s, id).State; st != store.AttemptRunning {
						t.Errorf("Finish naming another worker moved the attempt to %q", st)
					}
				}
				af := store.AttemptFinish{State: store.AttemptFailed, Reason: "exit 3", ExitCode: 3, ID: id}
				got, err := finish(worker, af)
				if err != nil {
					t.Fatalf("Finish of a live attempt: %v", err)
				}
				if got.ID != id || got.State != store.AttemptFailed || got.Reason != "exit 3" || got.ExitCode != 3 || got.FinishedAt <= 0 {
					t.Errorf("Finish = %+v, want failed, exit 3, with a finish time", got)
				}
				// Fencing: the attempt is no longer live, a second report is refused.
				_, err = finish(worker, store.AttemptFinish{State: store.AttemptSucceeded, ID: id})
				wantErr(t, "second Finish", err, store.ErrNotFound)
				if diff := cmp.Diff(got, getAttempt(t, s, id)); diff != "" {
					t.Errorf("second Finish changed the attempt (-first +stored):\n%s", diff)
				}
			})
		}
		_, err := finish("", store.AttemptFinish{State: store.AttemptFailed, ID: 1_000_000})
		wantErr(t, "Finish of a missing attempt", err, store.ErrNotFound)
	})
}

func TestAttemptsLive(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		f := newAttemptFixture(t, s, 4)
		dispatched := dispatch(t, s, f.tasks[0], f.w1)
		running := dispatch(t, s, f.tasks[1], f.w1)
		start(t, s, running, f.w1.ID)
		ended := dispatch(t, s, f.tasks[2], f.w1)
		do(t, s, func(tx store.Tx) error {
			_, err := finishAttempt(ctx, tx, "", store.AttemptFinish{State: store.AttemptLost, ID: ended})
			return err
		})
		other := dispatch(t, s, f.tasks[3], f.w2)
		live := func(worker string) []int64 {
			live := read(t, s, func(tx store.Tx) ([]store.LiveAttempt, error) { return tx.Attempts().Live(ctx, worker, 3_600_000, 0) })
			ids := make([]int64, len(live))
			for i, l := range live {
				ids[i] = l.ID
			}
			return sorted(ids)
		}
		if diff := cmp.Diff([]int64{dispatched, running}, live(f.w1.ID)); diff != "" {
			t.Errorf("Live(w1) (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]int64{other}, live(f.w2.ID)); diff != "" {
			t.Errorf("Live(w2) (-want +got):\n%s", diff)
		}
		if got := live("nobody"); len(got) != 0 {
			t.Errorf("Live(unknown worker) = %v, want none", got)
		}
		// With a timeout already past, the dispatched attempt is overdue, the
		// running one never.
		overdue := read(t, s, func(tx store.Tx) ([]store.LiveAttempt, error) { return tx.Attempts().Live(ctx, f.w1.ID, -60_000, 0) })
		overdue = sortByID(overdue, func(l store.LiveAttempt) int64 { return l.ID })
		if diff := cmp.Diff([]store.LiveAttempt{{ID: dispatched, Overdue: true}, {ID: running}}, overdue); diff != "" {
			t.Errorf("Live with a past dispatch timeout (-want +got):\n%s", diff)
		}
	})
}

func TestAttemptsOrphaned(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		f := newAttemptFixture(t, s, 7)
		lost := newWorker(t, s, uniq("lost"), "z3", -1000) // lease already ran out
		stopped := newWorker(t, s, uniq("stopped"), "z3", 60_000)

		liveRunning := dispatch(t, s, f.tasks[0], f.w1)
		start(t, s, liveRunning, f.w1.ID)
		dispatch(t, s, f.tasks[1], f.w1) // live, not started: not orphaned
		lostRunning := dispatch(t, s, f.tasks[2], lost)
		start(t, s, lostRunning, lost.ID)
		lostDispatched := dispatch(t, s, f.tasks[3], lost)
		lostEnded := dispatch(t, s, f.tasks[4], lost)
		do(t, s, func(tx store.Tx) error {
			_, err := finishAttempt(ctx, tx, "", store.AttemptFinish{State: store.AttemptFailed, ID: lostEnded})
			return err
		})
		stoppedRunning := dispatch(t, s, f.tasks[5], stopped)
		start(t, s, stoppedRunning, stopped.ID)

		ids := func(as []store.Attempt) []int64 {
			out := []int64{}
			for _, a := range as {
				out = append(out, a.ID)
			}
			return out
		}
		orphaned := func(limit int64) []int64 {
			return ids(get(t, s, func(tx store.Tx) ([]store.Attempt, error) { return tx.Attempts().Orphaned(ctx, limit) }))
		}
		// Before the sweep marks the worker lost, nothing is orphaned.
		if diff := cmp.Diff([]int64{}, orphaned(100)); diff != "" {
			t.Errorf("Orphaned before any worker is lost (-want +got):\n%s", diff)
		}
		refs := get(t, s, func(tx store.Tx) ([]store.WorkerRef, error) { return tx.Workers().Expire(ctx) })
		if diff := cmp.Diff([]store.WorkerRef{{ID: lost.ID, Zone: "z3"}}, refs); diff != "" {
			t.Fatalf("Workers.Expire (-want +got):\n%s", diff)
		}
		wantOK(t, "stop worker", get(t, s, func(tx store.Tx) (bool, error) {
			return tx.Workers().SetState(ctx, stopped.ID, store.WorkerActive, store.WorkerStopped)
		}), true)
		if diff := cmp.Diff([]int64{lostRunning, lostDispatched, stoppedRunning}, orphaned(100)); diff != "" {
			t.Errorf("Orphaned, IDs in order (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]int64{lostRunning, lostDispatched}, orphaned(2)); diff != "" {
			t.Errorf("Orphaned with a limit (-want +got):\n%s", diff)
		}
		type locked struct {
			w        store.Worker
			cordoned bool
		}
		lock := func(id string) locked {
			return get(t, s, func(tx store.Tx) (locked, error) {
				w, c, err := tx.Workers().Lock(ctx, id)
				return locked{w, c}, err
			})
		}
		if l := lock(f.w1.ID); l.w.ID != f.w1.ID || l.w.State != store.WorkerActive || l.cordoned {
			t.Errorf("Lock = %+v", l)
		}
		zone := uniq("zc")
		zw := newWorker(t, s, uniq("w"), zone, 60_000)
		get(t, s, func(tx store.Tx) (store.Zone, error) {
			if err := tx.Zones().Ensure(ctx, zone); err != nil {
				return store.Zone{}, err
			}
			return tx.Zones().SetCordon(ctx, zone, true, "test")
		})
		if l := lock(zw.ID); l.w.ID != zw.ID || l.w.Zone != zone || !l.cordoned {
			t.Errorf("Lock of a worker of a cordoned zone = %+v, want it cordoned", l)
		}
	})
}

func TestAttemptsCancelRun(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		f := newAttemptFixture(t, s, 3)
		g := newAttemptFixture(t, s, 1)
		dispatched := dispatch(t, s, f.tasks[0], f.w1)
		running := dispatch(t, s, f.tasks[1], f.w2)
		start(t, s, running, f.w2.ID)
		ended := dispatch(t, s, f.tasks[2], f.w1)
		endedRow := get(t, s, func(tx store.Tx) (store.Attempt, error) {
			return finishAttempt(ctx, tx, "", store.AttemptFinish{State: store.AttemptSucceeded, ID: ended})
		})
		otherRun := dispatch(t, s, g.tasks[0], g.w1)

		cancel := func() []store.AttemptRef {
			refs := get(t, s, func(tx store.Tx) ([]store.AttemptRef, error) {
				return tx.Attempts().CancelRun(ctx, f.run.ID, "by alice")
			})
			return sortByID(refs, func(r store.AttemptRef) int64 { return r.ID })
		}
		want := []store.AttemptRef{
			{ID: dispatched, TaskID: f.tasks[0].ID, Task: f.tasks[0].Name, WorkerID: f.w1.ID},
			{ID: running, TaskID: f.tasks[1].ID, Task: f.tasks[1].Name, WorkerID: f.w2.ID},
		}
		if diff := cmp.Diff(want, cancel()); diff != "" {
			t.Errorf("CancelRun (-want +got):\n%s", diff)
		}
		for _, id := range []int64{dispatched, running} {
			if a := getAttempt(t, s, id); a.State != store.AttemptCancelled || a.Reason != "by alice" || a.FinishedAt <= 0 {
				t.Errorf("attempt %d after CancelRun: %q %q finished_at %d", id, a.State, a.Reason, a.FinishedAt)
			}
		}
		if diff := cmp.Diff(endedRow, getAttempt(t, s, ended)); diff != "" {
			t.Errorf("CancelRun touched a finished attempt (-before +after):\n%s", diff)
		}
		if st := getAttempt(t, s, otherRun).State; st != store.AttemptDispatched {
			t.Errorf("attempt of another run: %q, want dispatched", st)
		}
		if got := cancel(); len(got) != 0 {
			t.Errorf("second CancelRun = %v, want none", got)
		}
	})
}

func TestDispatchLatencies(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		w := newWorker(t, s, uniq("w"), "z1", 60_000)
		var runs []int64
		for range 4 {
			f := newAttemptFixture(t, s, 1)
			runs = append(runs, f.run.ID)
			id := dispatch(t, s, f.tasks[0], w)
			if len(runs) < 4 { // the last one stays dispatched: no latency yet
				start(t, s, id, w.ID)
			}
		}
		// The range takes the runs from its first to its last, both
		// included, and counts only attempts that started.
		got := read(t, s, func(tx store.Tx) ([]int64, error) {
			return tx.Stats().DispatchLatencies(t.Context(), runs[1], runs[3])
		})
		if len(got) != 2 {
			t.Fatalf("DispatchLatencies(%d..%d) = %v, want 2 values (runs %d and %d)", runs[1], runs[3], got,
				runs[1], runs[2])
		}
		for _, ms := range got {
			if ms < 0 || ms > 60_000 {
				t.Errorf("latency %d ms, want a small positive figure", ms)
			}
		}
	})
}
