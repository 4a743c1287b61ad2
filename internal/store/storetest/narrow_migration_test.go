package storetest

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/baton-sched/baton/internal/store/migrations"
)

// TestNarrowTablesMigration: migration 00022 fills task_queue and
// live_attempts from the rows a database already has, and its Down brings
// the state indexes back and drops the narrow tables.
func TestNarrowTablesMigration(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := CreateDatabase(t)
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, migrations.Postgres())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 20); err != nil {
		t.Fatal(err)
	}
	exec := func(q string) {
		t.Helper()
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%.60q: %v", q, err)
		}
	}
	count := func(q string) int64 {
		t.Helper()
		var n int64
		if err := db.QueryRowContext(ctx, q).Scan(&n); err != nil {
			t.Fatalf("%.60q: %v", q, err)
		}
		return n
	}
	exec(`INSERT INTO tasks (run_id, idx, name, state, grp, cu, needs_total, created_at, slot, ready_at) VALUES
		(1, 0, 'a', 'queued', 'g', 1, 0, 1, '', 5), (1, 1, 'b', 'retry_wait', 'g', 1, 0, 1, '', 9),
		(1, 2, 'c', 'running', 'g', 1, 0, 1, 's', 1), (1, 3, 'd', 'running', 'g', 1, 0, 1, '', 1),
		(1, 4, 'e', 'succeeded', 'g', 1, 0, 1, 's', 1), (1, 5, 'f', 'pending', 'g', 1, 1, 1, '', 1)`)
	exec(`INSERT INTO attempts (task_id, run_id, task, number, state, worker_id, dispatched_at) VALUES
		(3, 1, 'c', 1, 'dispatched', 'w1', 1), (4, 1, 'd', 1, 'running', 'w2', 1), (5, 1, 'e', 1, 'succeeded', 'w1', 1)`)
	if _, err := p.UpTo(ctx, 22); err != nil {
		t.Fatal(err)
	}
	if n := count(queueDrift); n != 0 {
		t.Errorf("after Up: %d rows differ between task_queue and the tasks", n)
	}
	if n := count(liveDrift); n != 0 {
		t.Errorf("after Up: %d rows differ between live_attempts and the attempts", n)
	}
	if n := count("SELECT count(*) FROM task_queue"); n != 3 {
		t.Errorf("task_queue holds %d rows, want 3 (queued, retry_wait, running in a slot)", n)
	}
	if n := count("SELECT count(*) FROM live_attempts"); n != 2 {
		t.Errorf("live_attempts holds %d rows, want 2", n)
	}
	if n := count(`SELECT count(*) FROM pg_indexes WHERE indexname IN ('tasks_queue', 'tasks_retry', 'tasks_slot', 'attempts_live')`); n != 0 {
		t.Errorf("after Up: %d of the state indexes left", n)
	}
	if _, err := p.DownTo(ctx, 20); err != nil {
		t.Fatal(err)
	}
	if n := count(`SELECT count(*) FROM pg_indexes WHERE indexname IN ('tasks_queue', 'tasks_retry', 'tasks_slot', 'attempts_live')`); n != 4 {
		t.Errorf("after Down: %d of the 4 state indexes back", n)
	}
	if n := count(`SELECT count(*) FROM pg_tables WHERE tablename IN ('task_queue', 'live_attempts')`); n != 0 {
		t.Errorf("after Down: %d narrow tables left", n)
	}
	exec(`UPDATE tasks SET state = 'queued' WHERE state = 'pending'`) // no trigger left to fail
}
