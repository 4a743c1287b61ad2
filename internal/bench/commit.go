package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// commitLatency times one-row inserts, each its own transaction, at rate
// per second for d on the bench's database: what a durable commit costs
// here right now. A task's way from ready to running holds two commits
// (the one that makes it ready, its claim), so this is the floor under
// dispatch latency, and its tail shows the disk's.
func commitLatency(ctx context.Context, db *database, rate float64, d time.Duration) (*Summary, error) {
	insert, closeDB, err := commitStatement(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("commit baseline: %w", err)
	}
	defer closeDB()
	var ds []time.Duration
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	for began := time.Now(); time.Since(began) < d; {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-tick.C:
		}
		t0 := time.Now()
		if err := insert(ctx); err != nil {
			return nil, fmt.Errorf("commit baseline: %w", err)
		}
		ds = append(ds, time.Since(t0))
	}
	s := summarize(ds)
	return &s, nil
}

// commitStatement prepares the baseline's table and returns its insert.
func commitStatement(ctx context.Context, db *database) (func(context.Context) error, func(), error) {
	const create = "CREATE TABLE bench_commit (v BIGINT NOT NULL)"
	const insert = "INSERT INTO bench_commit (v) VALUES (1)"
	if db.dialect == "sqlite" {
		sdb, err := openSQLite(db.dsn)
		if err != nil {
			return nil, nil, err
		}
		if _, err := sdb.ExecContext(ctx, create); err != nil {
			sdb.Close()
			return nil, nil, err
		}
		exec := func(ctx context.Context) error { _, err := sdb.ExecContext(ctx, insert); return err }
		return exec, func() {
			_, _ = sdb.ExecContext(context.WithoutCancel(ctx), "DROP TABLE bench_commit")
			sdb.Close()
		}, nil
	}
	conn, err := pgx.Connect(ctx, db.dsn)
	if err != nil {
		return nil, nil, err
	}
	if _, err := conn.Exec(ctx, create); err != nil {
		conn.Close(ctx)
		return nil, nil, err
	}
	exec := func(ctx context.Context) error { _, err := conn.Exec(ctx, insert); return err }
	return exec, func() {
		ctx := context.WithoutCancel(ctx)
		_, _ = conn.Exec(ctx, "DROP TABLE bench_commit")
		conn.Close(ctx)
	}, nil
}
