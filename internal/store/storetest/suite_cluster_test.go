package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/baton-sched/baton/internal/store"
)

// The tables of the cluster: zones, leader leases, loop marks, and the
// worker and attempt operations that operators and the fleet view use.

func TestZones(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		do(t, s, func(tx store.Tx) error {
			for _, z := range []string{"b", "a", "b"} { // Ensure is idempotent
				if err := tx.Zones().Ensure(ctx, z); err != nil {
					return err
				}
			}
			return nil
		})
		zones := read(t, s, func(tx store.Tx) ([]store.Zone, error) { return tx.Zones().List(ctx) })
		want := []store.Zone{{Name: "a", State: "healthy"}, {Name: "b", State: "healthy"}}
		ignoreTime := cmpopts.IgnoreFields(store.Zone{}, "ChangedAt")
		if diff := cmp.Diff(want, zones, ignoreTime); diff != "" {
			t.Errorf("List (-want +got):\n%s", diff)
		}
		for _, z := range zones {
			if z.ChangedAt <= 0 {
				t.Errorf("zone %s: changed_at %d, want set", z.Name, z.ChangedAt)
			}
		}

		// Of two servers recording the same change, only one does.
		wantOK(t, "SetState(a, down)", get(t, s, func(tx store.Tx) (bool, error) { return tx.Zones().SetState(ctx, "a", "down") }), true)
		wantOK(t, "SetState(a, down) again", get(t, s, func(tx store.Tx) (bool, error) { return tx.Zones().SetState(ctx, "a", "down") }), false)
		wantOK(t, "SetState(missing)", get(t, s, func(tx store.Tx) (bool, error) { return tx.Zones().SetState(ctx, "nope", "down") }), false)

		z := get(t, s, func(tx store.Tx) (store.Zone, error) { return tx.Zones().SetCordon(ctx, "b", true, "maintenance") })
		if diff := cmp.Diff(store.Zone{Name: "b", State: "healthy", Cordoned: true, Reason: "maintenance"}, z, ignoreTime); diff != "" {
			t.Errorf("SetCordon (-want +got):\n%s", diff)
		}
		got := read(t, s, func(tx store.Tx) (store.Zone, error) { return tx.Zones().Get(ctx, "a") })
		if got.State != "down" || got.Cordoned {
			t.Errorf("Get(a) = %+v, want down and not cordoned", got)
		}
		wantErr(t, "Get(missing)", s.Read(ctx, func(tx store.Tx) error {
			_, err := tx.Zones().Get(ctx, "nope")
			return err
		}), store.ErrNotFound)
		wantErr(t, "SetCordon(missing)", txErr(t, s, func(tx store.Tx) error {
			_, err := tx.Zones().SetCordon(ctx, "nope", true, "")
			return err
		}), store.ErrNotFound)
	})
}

func TestLeaderLeases(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		acquire := func(holder string, ttlMs int64) (store.LeaderLease, error) {
			var l store.LeaderLease
			err := s.InTx(ctx, func(tx store.Tx) (err error) {
				l, err = tx.Leaders().Acquire(ctx, "loops", holder, ttlMs)
				return err
			})
			return l, err
		}
		renew := func(holder string, term int64) error {
			return s.InTx(ctx, func(tx store.Tx) error {
				_, err := tx.Leaders().Renew(ctx, "loops", holder, term, 60_000)
				return err
			})
		}
		first, err := acquire("s1", 60_000)
		if err != nil || first.Holder != "s1" || first.Term != 1 || first.ExpiresAt <= 0 {
			t.Fatalf("Acquire of a free lease = %+v, %v; want s1 term 1", first, err)
		}
		_, err = acquire("s2", 60_000)
		wantErr(t, "Acquire of a held lease", err, store.ErrNotFound)
		if err := renew("s1", 1); err != nil {
			t.Errorf("Renew by the holder: %v", err)
		}
		wantErr(t, "Renew by another", renew("s2", 1), store.ErrNotFound)
		wantErr(t, "Renew of another term", renew("s1", 2), store.ErrNotFound)

		do(t, s, func(tx store.Tx) error { return tx.Leaders().Resign(ctx, "loops", "s1", 1) })
		second, err := acquire("s2", -1) // resigned: free at once; this one expires at once
		if err != nil || second.Holder != "s2" || second.Term != 2 {
			t.Fatalf("Acquire after Resign = %+v, %v; want s2 term 2", second, err)
		}
		third, err := acquire("s1", 60_000) // s2's lease already ran out
		if err != nil || third.Holder != "s1" || third.Term != 3 {
			t.Fatalf("Acquire of an expired lease = %+v, %v; want s1 term 3", third, err)
		}
		wantErr(t, "Renew by the former holder", renew("s2", 2), store.ErrNotFound)
	})
}

func TestLoopMarks(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		m := read(t, s, func(tx store.Tx) (store.LoopMark, error) { return tx.Marks().Get(ctx, "sweep") })
		if m.At != 0 || m.Now <= 0 {
			t.Fatalf("fresh sweep mark = %+v, want at 0 and the time now", m)
		}
		wantOK(t, "Advance from the mark read", get(t, s, func(tx store.Tx) (bool, error) { return tx.Marks().Advance(ctx, "sweep", m.At) }), true)
		wantOK(t, "Advance from a stale mark", get(t, s, func(tx store.Tx) (bool, error) { return tx.Marks().Advance(ctx, "sweep", m.At) }), false)
		after := read(t, s, func(tx store.Tx) (store.LoopMark, error) { return tx.Marks().Get(ctx, "sweep") })
		if after.At < m.Now || after.At > after.Now {
			t.Errorf("advanced mark = %+v, want between the first read (%d) and now", after, m.Now)
		}
		wantErr(t, "Get(missing)", s.Read(ctx, func(tx store.Tx) error {
			_, err := tx.Marks().Get(ctx, "nope")
			return err
		}), store.ErrNotFound)
	})
}

func TestWorkersFleetView(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		a1 := newWorker(t, s, uniq("a1"), "a", 60_000)
		a2 := newWorker(t, s, uniq("a2"), "a", 60_000)
		b1 := newWorker(t, s, uniq("b1"), "b", 60_000)
		gone := newWorker(t, s, uniq("gone"), "b", 60_000)
		setWorkerState(t, s, gone.ID, store.WorkerActive, store.WorkerLost)

		recent := read(t, s, func(tx store.Tx) ([]store.Worker, error) { return tx.Workers().Recent(ctx, 60_000) })
		if got := workerIDs(recent); !cmp.Equal(sorted(got), sorted([]string{a1.ID, a2.ID, b1.ID, gone.ID})) {
			t.Errorf("Recent(1 min) = %v, want the live workers and the one just lost", got)
		}
		recent = read(t, s, func(tx store.Tx) ([]store.Worker, error) { return tx.Workers().Recent(ctx, -1000) })
		if got := workerIDs(recent); !cmp.Equal(sorted(got), sorted([]string{a1.ID, a2.ID, b1.ID})) {
			t.Errorf("Recent(nothing) = %v, want the live workers only", got)
		}

		drained := get(t, s, func(tx store.Tx) ([]store.WorkerRef, error) { return tx.Workers().DrainZone(ctx, "a") })
		want := sortByID([]store.WorkerRef{{ID: a1.ID, Zone: "a"}, {ID: a2.ID, Zone: "a"}}, func(r store.WorkerRef) string { return r.ID })
		if diff := cmp.Diff(want, sortByID(drained, func(r store.WorkerRef) string { return r.ID })); diff != "" {
			t.Errorf("DrainZone(a) (-want +got):\n%s", diff)
		}
		if st := getWorker(t, s, a1.ID).State; st != store.WorkerDraining {
			t.Errorf("drained worker is %s", st)
		}
		if again := get(t, s, func(tx store.Tx) ([]store.WorkerRef, error) { return tx.Workers().DrainZone(ctx, "a") }); len(again) != 0 {
			t.Errorf("DrainZone(a) again = %v, want none: they are draining already", again)
		}

		// Usage: live attempts and their CU per worker.
		run := newRun(t, s)
		ts := insertTasks(t, s, run.ID, store.NewTask{Idx: 0, CU: 1.5}, store.NewTask{Idx: 1, CU: 2}, store.NewTask{Idx: 2})
		dispatch(t, s, ts[0], a1)
		started := dispatch(t, s, ts[1], a1)
		start(t, s, started, a1.ID)
		ended := dispatch(t, s, ts[2], b1)
		do(t, s, func(tx store.Tx) error {
			_, err := finishAttempt(ctx, tx, "", store.AttemptFinish{State: store.AttemptSucceeded, ID: ended})
			return err
		})
		usage := read(t, s, func(tx store.Tx) ([]store.WorkerUsage, error) { return tx.Workers().Usage(ctx) })
		if diff := cmp.Diff([]store.WorkerUsage{{WorkerID: a1.ID, Running: 2, UsedCU: 3.5}}, usage); diff != "" {
			t.Errorf("Usage (-want +got):\n%s", diff)
		}
	})
}

func workerIDs(ws []store.Worker) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.ID)
	}
	return out
}

func TestWorkersExtendLeases(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		expired := newWorker(t, s, uniq("expired"), "a", -5000)
		long := newWorker(t, s, uniq("long"), "a", 600_000)
		lost := newWorker(t, s, uniq("lost"), "a", -5000)
		setWorkerState(t, s, lost.ID, store.WorkerActive, store.WorkerLost)

		n := get(t, s, func(tx store.Tx) (int64, error) { return tx.Workers().ExtendLeases(ctx, 60_000) })
		if n != 1 {
			t.Errorf("ExtendLeases extended %d workers, want 1 (the expired live one)", n)
		}
		if got := getWorker(t, s, expired.ID); got.LeaseExpiresAt < expired.RegisteredAt+60_000 {
			t.Errorf("expired worker's lease runs to %d, want at least a minute after %d", got.LeaseExpiresAt, expired.RegisteredAt)
		}
		if got := getWorker(t, s, long.ID); got.LeaseExpiresAt != long.LeaseExpiresAt {
			t.Errorf("a longer lease was shortened: %d -> %d", long.LeaseExpiresAt, got.LeaseExpiresAt)
		}
		if got := getWorker(t, s, lost.ID); got.LeaseExpiresAt != lost.LeaseExpiresAt || got.State != store.WorkerLost {
			t.Errorf("a lost worker was revived: %+v", got)
		}
		expire := get(t, s, func(tx store.Tx) ([]store.WorkerRef, error) { return tx.Workers().Expire(ctx) })
		if len(expire) != 0 {
			t.Errorf("Expire after ExtendLeases = %v, want none", expire)
		}
	})
}

func TestAttemptsResetDispatched(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		f := newAttemptFixture(t, s, 2)
		dispatched := dispatch(t, s, f.tasks[0], f.w1)
		running := dispatch(t, s, f.tasks[1], f.w1)
		start(t, s, running, f.w1.ID)
		before := getAttempt(t, s, dispatched)
		// Wait for the database clock to move past the dispatch time.
		for read(t, s, func(tx store.Tx) (store.LoopMark, error) { return tx.Marks().Get(ctx, "sweep") }).Now <= before.DispatchedAt {
			time.Sleep(time.Millisecond) // poll interval
		}
		n := get(t, s, func(tx store.Tx) (int64, error) { return tx.Attempts().ResetDispatched(ctx) })
		if n != 1 {
			t.Errorf("ResetDispatched reset %d attempts, want 1", n)
		}
		if got := getAttempt(t, s, dispatched); got.DispatchedAt <= before.DispatchedAt {
			t.Errorf("dispatched_at %d, want later than %d", got.DispatchedAt, before.DispatchedAt)
		}
		if got := getAttempt(t, s, running); got.State != store.AttemptRunning {
			t.Errorf("a running attempt changed: %+v", got)
		}
	})
}

func TestAttemptsStopRequests(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		f := newAttemptFixture(t, s, 3)
		keep := dispatch(t, s, f.tasks[0], f.w1)
		move := dispatch(t, s, f.tasks[1], f.w1)
		start(t, s, move, f.w1.ID)
		ended := dispatch(t, s, f.tasks[2], f.w1)
		do(t, s, func(tx store.Tx) error {
			_, err := finishAttempt(ctx, tx, "", store.AttemptFinish{State: store.AttemptFailed, ID: ended})
			return err
		})
		stop := func(id int64) bool {
			return get(t, s, func(tx store.Tx) (bool, error) { return tx.Attempts().RequestStop(ctx, id) })
		}
		wantOK(t, "RequestStop(live)", stop(move), true)
		wantOK(t, "RequestStop(ended)", stop(ended), false)

		live := read(t, s, func(tx store.Tx) ([]store.LiveAttempt, error) { return tx.Attempts().Live(ctx, f.w1.ID, 3_600_000, 0) })
		want := []store.LiveAttempt{{ID: keep}, {ID: move, StopRequested: true}}
		if diff := cmp.Diff(want, sortByID(live, func(l store.LiveAttempt) int64 { return l.ID })); diff != "" {
			t.Errorf("Live (-want +got):\n%s", diff)
		}
		full := read(t, s, func(tx store.Tx) ([]store.Attempt, error) { return tx.Attempts().ListWorker(ctx, f.w1.ID) })
		if len(full) != 2 || full[0].ID != keep || full[1].ID != move || !full[1].StopRequested || full[1].State != store.AttemptRunning {
			t.Errorf("ListWorker = %+v, want the two live attempts in ID order, the second asked to stop", full)
		}
		if a := getAttempt(t, s, move); a.State != store.AttemptRunning {
			t.Errorf("an attempt asked to stop is %s, want still running until its worker reports", a.State)
		}
	})
}

func TestAttemptsUnstarted(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		f := newAttemptFixture(t, s, 4)
		first := dispatch(t, s, f.tasks[0], f.w1)
		running := dispatch(t, s, f.tasks[1], f.w1)
		start(t, s, running, f.w1.ID)
		dispatch(t, s, f.tasks[2], f.w2) // another worker's
		second := dispatch(t, s, f.tasks[3], f.w1)
		got := get(t, s, func(tx store.Tx) ([]store.Attempt, error) { return tx.Attempts().Unstarted(ctx, f.w1.ID) })
		if len(got) != 2 || got[0].ID != first || got[1].ID != second || got[0].TaskID != f.tasks[0].ID {
			t.Errorf("Unstarted = %+v, want attempts %d and %d (dispatched, not started, of w1), oldest first",
				got, first, second)
		}
	})
}
