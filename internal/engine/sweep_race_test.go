package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/postgres"
	"github.com/baton-sched/baton/internal/store/storetest"
)

// Two servers on one database; the first is stuck in the middle of a
// sweep (it holds the sweep mark) and of a claim (it holds the worker's
// row), as behind a slow link. The second server's heartbeats and sweeps
// do not wait for it, and its sweep, which cannot tell whether renewals
// reached the database meanwhile, expires nothing; once the mark is free,
// the sweep that advances it extends the leases. (PostgreSQL: SQLite has
// one writer, so sweeps never run side by side.)
func TestSweepDoesNotWaitForNorExpireBehindAHeldMark(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.CreateDatabase(t)
	open := func() *postgres.Store {
		s, err := postgres.Open(ctx, postgres.Config{DSN: dsn})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	cfg := engine.Config{LeaseTTL: 400 * time.Millisecond, ResumeAfter: time.Second, DispatchTimeout: time.Minute}
	sa, sb := open(), open()
	slow, healthy := engine.New(sa, cfg), engine.New(sb, cfg)
	w, err := slow.RegisterWorker(ctx, engine.WorkerSpec{Name: "w", Zone: "a", Capacity: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := slow.Sweep(ctx); err != nil {
		t.Fatal(err)
	}

	// The slow server: a sweep holding the mark, a claim holding the worker.
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	held, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Rollback(ctx) //nolint:errcheck
	if _, err := held.Exec(ctx, "SELECT at FROM loop_marks WHERE name = 'sweep' FOR UPDATE"); err != nil {
		t.Fatal(err)
	}
	locked, release := make(chan error, 1), make(chan struct{})
	claimDone := make(chan error, 1)
	go func() {
		claimDone <- sa.InTx(ctx, func(tx store.Tx) error {
			_, _, err := tx.Workers().Lock(ctx, w.ID)
			locked <- err
			<-release
			return nil
		})
	}()
	if err := <-locked; err != nil {
		t.Fatal(err)
	}
	defer func() {
		close(release)
		if err := <-claimDone; err != nil {
			t.Error(err)
		}
	}()

	bounded := func() (context.Context, context.CancelFunc) { return context.WithTimeout(ctx, 3*time.Second) }
	hctx, cancel := bounded()
	if _, err := healthy.Heartbeat(hctx, w.ID, nil); err != nil {
		t.Fatalf("heartbeat through the healthy server while a claim holds the worker: %v", err)
	}
	cancel()
	// No sweep commits for longer than ResumeAfter and the worker's lease
	// runs out: waiting for time to pass, not for an event.
	time.Sleep(cfg.ResumeAfter + 200*time.Millisecond)
	sctx, cancel := bounded()
	res, err := healthy.Sweep(sctx)
	cancel()
	if err != nil {
		t.Fatalf("sweep beside a held mark: %v (it must not wait)", err)
	}
	if !res.Deferred || res.WorkersLost != 0 {
		t.Errorf("sweep beside a held mark: %+v, want deferred with no worker lost", res)
	}

	if err := held.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	sctx, cancel = bounded()
	res, err = healthy.Sweep(sctx)
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	if res.Resumed < cfg.ResumeAfter || res.LeasesExtended != 1 || res.WorkersLost != 0 {
		t.Errorf("first sweep after the mark is free: %+v, want the leases extended", res)
	}
	var got store.Worker
	err = sb.Read(ctx, func(tx store.Tx) (err error) {
		got, err = tx.Workers().Get(ctx, w.ID)
		return err
	})
	if err != nil || got.State != store.WorkerActive {
		t.Errorf("worker %s %v, want active", got.State, err)
	}
}
