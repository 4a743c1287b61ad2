package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/postgres"
)

func TestInTxRollsBackOnError(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		err := txErr(t, s, func(tx store.Tx) error {
			wf, err := tx.Workflows().Upsert(ctx, "rolled-back")
			if err != nil {
				return err
			}
			if _, err := tx.Workflows().InsertVersion(ctx, store.NewVersion{WorkflowID: wf.ID, Version: 1, Digest: "d", Spec: "{}"}); err != nil {
				return err
			}
			if _, err := tx.Workers().Register(ctx, store.NewWorker{ID: "w-rolled", Name: "w", Zone: "z", Group: "g", Labels: "{}", Capacity: 1, TTLMs: 1000}); err != nil {
				return err
			}
			if err := tx.Events().Insert(ctx, []store.NewEvent{{Kind: "test", Actor: "test"}}); err != nil {
				return err
			}
			return fmt.Errorf("validate: %w", errBoom)
		})
		wantErr(t, "InTx", err, errBoom)
		assertNothingStored(t, s, "rolled-back", "w-rolled")
	})
}

func TestInTxRollsBackAfterStoreError(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		_, v := newWorkflow(t, s, "existing")
		err := txErr(t, s, func(tx store.Tx) error {
			if _, err := tx.Workflows().Upsert(ctx, "half-applied"); err != nil {
				return err
			}
			if _, err := tx.Workers().Register(ctx, store.NewWorker{ID: "w-half", Name: "w", Zone: "z", Group: "g", Labels: "{}", Capacity: 1, TTLMs: 1000}); err != nil {
				return err
			}
			if err := tx.Events().Insert(ctx, []store.NewEvent{{Kind: "test", Actor: "test"}}); err != nil {
				return err
			}
			_, err := tx.Workflows().InsertVersion(ctx, store.NewVersion{WorkflowID: v.WorkflowID, Version: 1, Digest: "x", Spec: "{}"})
			return err
		})
		wantErr(t, "InTx with a conflicting insert", err, store.ErrConflict)
		assertNothingStored(t, s, "half-applied", "w-half")
	})
}

// assertNothingStored checks that a rolled-back transaction left no
// workflow, worker or event behind.
func assertNothingStored(t *testing.T, s store.Store, workflow, worker string) {
	t.Helper()
	ctx := t.Context()
	wantErr(t, "workflow of the rolled-back transaction", s.Read(ctx, func(tx store.Tx) error {
		_, err := tx.Workflows().Get(ctx, workflow)
		return err
	}), store.ErrNotFound)
	wantErr(t, "worker of the rolled-back transaction", s.Read(ctx, func(tx store.Tx) error {
		_, err := tx.Workers().Get(ctx, worker)
		return err
	}), store.ErrNotFound)
	if es := read(t, s, func(tx store.Tx) ([]store.Event, error) {
		return tx.Events().List(ctx, store.EventFilter{Limit: 100})
	}); len(es) != 0 {
		t.Errorf("events after the rollback: %+v, want none", es)
	}
}

func TestWorkSignal(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		// The quiet checks come first: on Postgres another store's committed
		// NotifyWork comes back through LISTEN and would close later channels
		// (a store skips its own: their commit fired the signal already).
		expectQuiet(t, s, "a rolled-back transaction that called NotifyWork", func() {
			err := txErr(t, s, func(tx store.Tx) error {
				tx.NotifyWork()
				if _, err := tx.Workflows().Upsert(ctx, "rolled-back"); err != nil {
					return err
				}
				return errBoom
			})
			wantErr(t, "InTx", err, errBoom)
		})
		expectQuiet(t, s, "a commit without NotifyWork", func() {
			do(t, s, func(tx store.Tx) error {
				_, err := tx.Workflows().Upsert(ctx, "quiet")
				return err
			})
		})

		ch := s.WorkSignal()
		do(t, s, func(tx store.Tx) error {
			tx.NotifyWork()
			_, err := tx.Workflows().Upsert(ctx, "loud")
			return err
		})
		select {
		case <-ch:
		case <-time.After(waitFor):
			t.Fatalf("WorkSignal channel still open %v after a commit that called NotifyWork", waitFor)
		}
	})
}

// expectQuiet fails the test if action closes the WorkSignal channel taken
// just before it. On Postgres the listener also fires once when its LISTEN
// connection comes up (a catch-all wake-up after possibly missed
// notifications), which may land in the first try; it never fires twice, so
// a second try closing the channel as well is the action's doing.
func expectQuiet(t *testing.T, s store.Store, what string, action func()) {
	t.Helper()
	tries := 1
	if s.Dialect() == "postgres" {
		tries = 2
	}
	for range tries {
		ch := s.WorkSignal()
		action()
		select {
		case <-ch:
		default:
			return
		}
	}
	t.Errorf("WorkSignal channel closed by %s", what)
}

func TestPostgresWorkSignalAcrossServers(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		if s.Dialect() != "postgres" {
			t.Skip("only Postgres is shared by several servers; SQLite's signal is in-process and covered by TestWorkSignal")
		}
		other, err := postgres.Open(t.Context(), postgres.Config{DSN: s.(*postgres.Store).Pool().Config().ConnString()})
		if err != nil {
			t.Fatalf("open a second store on the same database: %v", err)
		}
		t.Cleanup(func() { other.Close() })
		// Two rounds: the listener's one wake-up on connect can explain at
		// most one of them, so the other proves a notification arrived.
		for round := range 2 {
			ch := s.WorkSignal()
			do(t, other, func(tx store.Tx) error {
				tx.NotifyWork()
				_, err := tx.Workflows().Upsert(t.Context(), fmt.Sprintf("from-other-%d", round))
				return err
			})
			select {
			case <-ch:
			case <-time.After(waitFor):
				t.Fatalf("round %d: a NotifyWork commit on another server did not wake this one within %v", round, waitFor)
			}
		}
	})
}

// claimTogether runs claim in two transactions at once. Each holds its
// transaction (and row locks) open until both have claimed, so a claim that
// waited for the other's locks instead of skipping them times out.
func claimTogether(t *testing.T, s store.Store, claim func(tx store.Tx) ([]int64, error)) [2][]int64 {
	t.Helper()
	var (
		got     [2][]int64
		errs    [2]error
		claimed = [2]chan struct{}{make(chan struct{}), make(chan struct{})}
		wg      sync.WaitGroup
	)
	for i := range 2 {
		wg.Go(func() {
			var once sync.Once
			errs[i] = s.InTx(t.Context(), func(tx store.Tx) error {
				ids, err := claim(tx)
				if err != nil {
					return err
				}
				got[i] = ids
				once.Do(func() { close(claimed[i]) })
				select {
				case <-claimed[1-i]:
					return nil
				case <-time.After(waitFor):
					return errors.New("the other claim did not return while this one held its rows")
				}
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("claim %d: %v", i, err)
		}
	}
	return got
}

// assertDisjoint checks that two concurrent claims got n rows each, no row twice.
func assertDisjoint(t *testing.T, got [2][]int64, n int) {
	t.Helper()
	seen := map[int64]int{}
	for i, ids := range got {
		if len(ids) != n {
			t.Errorf("claim %d got %d rows %v, want %d", i, len(ids), ids, n)
		}
		for _, id := range ids {
			if prev, dup := seen[id]; dup {
				t.Errorf("row %d handed to claim %d and claim %d", id, prev, i)
			}
			seen[id] = i
		}
	}
}

func TestPostgresConcurrentClaimsSkipLocked(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		if s.Dialect() != "postgres" {
			t.Skip("SQLite has one writer connection: its transactions never overlap, so there are no locked rows to skip")
		}
		ctx := t.Context()
		t.Run("Candidates", func(t *testing.T) {
			run := newRun(t, s)
			news := make([]store.NewTask, 6)
			for i := range news {
				news[i] = store.NewTask{Idx: int64(i), Group: "g"}
			}
			insertTasks(t, s, run.ID, news...)
			got := claimTogether(t, s, func(tx store.Tx) ([]int64, error) {
				cs, err := tx.Tasks().Candidates(ctx, store.CandidateFilter{Group: "g", Zone: "z", WorkerLabels: "{}", Limit: 3})
				ids := make([]int64, len(cs))
				for i, c := range cs {
					ids[i] = c.ID
				}
				return ids, err
			})
			assertDisjoint(t, got, 3)
		})
		t.Run("Orphaned", func(t *testing.T) {
			f := newAttemptFixture(t, s, 4)
			lost := newWorker(t, s, uniq("lost"), "z9", -1000)
			for _, tk := range f.tasks {
				dispatch(t, s, tk, lost)
			}
			do(t, s, func(tx store.Tx) error {
				_, err := tx.Workers().Expire(ctx)
				return err
			})
			got := claimTogether(t, s, func(tx store.Tx) ([]int64, error) {
				as, err := tx.Attempts().Orphaned(ctx, 2)
				ids := make([]int64, len(as))
				for i, a := range as {
					ids[i] = a.ID
				}
				return ids, err
			})
			assertDisjoint(t, got, 2)
		})
	})
}
