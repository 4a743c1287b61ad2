package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/baton-sched/baton/internal/store"
)

// getWorker re-reads one worker.
func getWorker(t *testing.T, s store.Store, id string) store.Worker {
	t.Helper()
	return read(t, s, func(tx store.Tx) (store.Worker, error) { return tx.Workers().Get(t.Context(), id) })
}

// setWorkerState moves a worker from one state to another or fails the test.
func setWorkerState(t *testing.T, s store.Store, id, from, to string) {
	t.Helper()
	ok := get(t, s, func(tx store.Tx) (bool, error) { return tx.Workers().SetState(t.Context(), id, from, to) })
	if !ok {
		t.Fatalf("SetState(%s, %s -> %s) refused", id, from, to)
	}
}

// leaseSlack bounds how far apart two reads of the database clock in one
// statement may be (SQLite reads the process clock per call).
const leaseSlack = 1000

func TestWorkersRegisterGet(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		nw := store.NewWorker{
			ID: "w-1", Name: "host-1", Zone: "z1", Group: "gpu", Labels: `{"gpu":"a100"}`,
			Capacity: 8.5, Version: "1.2.3", TTLMs: 30_000,
		}
		w := get(t, s, func(tx store.Tx) (store.Worker, error) { return tx.Workers().Register(ctx, nw) })
		want := store.Worker{
			ID: nw.ID, Name: nw.Name, Zone: nw.Zone, Group: nw.Group, Labels: nw.Labels,
			Capacity: nw.Capacity, State: store.WorkerActive, Version: nw.Version,
		}
		ignore := cmpopts.IgnoreFields(store.Worker{}, "LeaseExpiresAt", "RegisteredAt", "LastSeenAt")
		if diff := cmp.Diff(want, w, ignore); diff != "" {
			t.Errorf("Register (-want +got):\n%s", diff)
		}
		if w.RegisteredAt <= 0 || w.LastSeenAt < w.RegisteredAt {
			t.Errorf("registered_at %d last_seen_at %d, want set", w.RegisteredAt, w.LastSeenAt)
		}
		// baton_now() is read once per use, in either order: on a loaded
		// machine the two reads were 8 ms apart.
		if lease := w.LeaseExpiresAt - w.RegisteredAt; lease < nw.TTLMs-leaseSlack || lease > nw.TTLMs+leaseSlack {
			t.Errorf("lease runs %d ms past registration, want the TTL %d", lease, nw.TTLMs)
		}
		if diff := cmp.Diff(w, getWorker(t, s, nw.ID)); diff != "" {
			t.Errorf("Get (-want +got):\n%s", diff)
		}
		wantErr(t, "Register of a taken ID", txErr(t, s, func(tx store.Tx) error {
			_, err := tx.Workers().Register(ctx, nw)
			return err
		}), store.ErrConflict)
		wantErr(t, "Get(missing)", s.Read(ctx, func(tx store.Tx) error {
			_, err := tx.Workers().Get(ctx, "w-absent")
			return err
		}), store.ErrNotFound)
	})
}

func TestWorkersList(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		// Registered out of order; listed by zone, then name, then ID.
		for _, w := range []struct{ id, name, zone string }{
			{"w4", "b", "z1"}, {"w3", "a", "z2"}, {"w2", "a", "z1"}, {"w1", "a", "z1"}, {"w5", "c", "z1"}, {"w6", "d", "z1"},
		} {
			do(t, s, func(tx store.Tx) error {
				_, err := tx.Workers().Register(t.Context(), store.NewWorker{
					ID: w.id, Name: w.name, Zone: w.zone, Group: "default", Labels: "{}", Capacity: 1, TTLMs: 60_000,
				})
				return err
			})
		}
		setWorkerState(t, s, "w5", store.WorkerActive, store.WorkerDraining)
		setWorkerState(t, s, "w6", store.WorkerActive, store.WorkerLost)
		for _, tc := range []struct {
			all  bool
			want []string
		}{
			{false, []string{"w1", "w2", "w4", "w5", "w3"}},
			{true, []string{"w1", "w2", "w4", "w5", "w6", "w3"}},
		} {
			ws := read(t, s, func(tx store.Tx) ([]store.Worker, error) { return tx.Workers().List(t.Context(), tc.all) })
			var ids []string
			for _, w := range ws {
				ids = append(ids, w.ID)
			}
			if diff := cmp.Diff(tc.want, ids); diff != "" {
				t.Errorf("List(all=%v) IDs (-want +got):\n%s", tc.all, diff)
			}
		}
	})
}

func TestWorkersRenew(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		renew := func(id string, ttl int64) (store.Worker, error) {
			var w store.Worker
			err := txErr(t, s, func(tx store.Tx) (err error) {
				w, err = tx.Workers().Renew(ctx, id, ttl)
				return err
			})
			return w, err
		}
		for _, state := range []string{store.WorkerActive, store.WorkerDraining} {
			t.Run("live "+state, func(t *testing.T) {
				before := newWorker(t, s, uniq("w"), "z1", 1000)
				if state != store.WorkerActive {
					setWorkerState(t, s, before.ID, store.WorkerActive, state)
				}
				got, err := renew(before.ID, 60_000)
				if err != nil {
					t.Fatalf("Renew: %v", err)
				}
				if got.LastSeenAt < before.LastSeenAt {
					t.Errorf("last_seen_at went back from %d to %d", before.LastSeenAt, got.LastSeenAt)
				}
				// SQLite reads baton_now() once per use: on a loaded
				// machine the two may be some milliseconds apart.
				if lease := got.LeaseExpiresAt - got.LastSeenAt; lease < 60_000-leaseSlack || lease > 60_000+leaseSlack {
					t.Errorf("renewed lease runs %d ms past last_seen_at, want 60000", lease)
				}
				if got.LeaseExpiresAt <= before.LeaseExpiresAt {
					t.Errorf("lease not extended: %d -> %d", before.LeaseExpiresAt, got.LeaseExpiresAt)
				}
				if got.State != state {
					t.Errorf("Renew changed the state to %q", got.State)
				}
				if diff := cmp.Diff(got, getWorker(t, s, before.ID)); diff != "" {
					t.Errorf("Renew result and stored row differ (-result +stored):\n%s", diff)
				}
			})
		}
		for _, state := range []string{store.WorkerLost, store.WorkerStopped} {
			t.Run(state, func(t *testing.T) {
				w := newWorker(t, s, uniq("w"), "z1", 1000)
				setWorkerState(t, s, w.ID, store.WorkerActive, state)
				before := getWorker(t, s, w.ID)
				_, err := renew(w.ID, 60_000)
				wantErr(t, "Renew of a "+state+" worker", err, store.ErrNotFound)
				if diff := cmp.Diff(before, getWorker(t, s, w.ID)); diff != "" {
					t.Errorf("refused Renew changed the worker (-before +after):\n%s", diff)
				}
			})
		}
		_, err := renew("w-absent", 60_000)
		wantErr(t, "Renew of a missing worker", err, store.ErrNotFound)
	})
}

func TestWorkersExpire(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		fresh := newWorker(t, s, "w-fresh", "z1", 60_000)
		gone := newWorker(t, s, "w-gone", "z1", -1000)
		draining := newWorker(t, s, "w-draining", "z2", -1000)
		setWorkerState(t, s, draining.ID, store.WorkerActive, store.WorkerDraining)
		stopped := newWorker(t, s, "w-stopped", "z2", -1000)
		setWorkerState(t, s, stopped.ID, store.WorkerActive, store.WorkerStopped)

		expire := func() []store.WorkerRef {
			refs := get(t, s, func(tx store.Tx) ([]store.WorkerRef, error) { return tx.Workers().Expire(ctx) })
			return sortByID(refs, func(r store.WorkerRef) string { return r.ID })
		}
		want := []store.WorkerRef{{ID: draining.ID, Zone: "z2"}, {ID: gone.ID, Zone: "z1"}}
		if diff := cmp.Diff(want, expire()); diff != "" {
			t.Errorf("Expire (-want +got):\n%s", diff)
		}
		for id, st := range map[string]string{
			fresh.ID: store.WorkerActive, gone.ID: store.WorkerLost,
			draining.ID: store.WorkerLost, stopped.ID: store.WorkerStopped,
		} {
			if got := getWorker(t, s, id).State; got != st {
				t.Errorf("worker %s: state %q, want %q", id, got, st)
			}
		}
		if got := expire(); len(got) != 0 {
			t.Errorf("second Expire = %v, want none", got)
		}
	})
}

func TestWorkersSetState(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		w := newWorker(t, s, "w-1", "z1", 60_000)
		for _, tc := range []struct {
			name, id, from, to, wantState string
			wantOK                        bool
		}{
			{"wrong from", w.ID, store.WorkerDraining, store.WorkerStopped, store.WorkerActive, false},
			{"drain", w.ID, store.WorkerActive, store.WorkerDraining, store.WorkerDraining, true},
			{"drain again", w.ID, store.WorkerActive, store.WorkerDraining, store.WorkerDraining, false},
			{"stop", w.ID, store.WorkerDraining, store.WorkerStopped, store.WorkerStopped, true},
			{"missing worker", "w-absent", store.WorkerActive, store.WorkerStopped, "", false},
		} {
			ok := get(t, s, func(tx store.Tx) (bool, error) { return tx.Workers().SetState(t.Context(), tc.id, tc.from, tc.to) })
			wantOK(t, tc.name, ok, tc.wantOK)
			if tc.wantState != "" {
				if got := getWorker(t, s, tc.id).State; got != tc.wantState {
					t.Errorf("%s: state %q, want %q", tc.name, got, tc.wantState)
				}
			}
		}
	})
}
