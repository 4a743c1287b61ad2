package bench

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// The raw queue lifecycle, straight SQL on the bench's database: insert
// 100 rows, claim 100 with SKIP LOCKED, complete them, each step one
// transaction. It is what this database can do for a queue right now,
// with nothing of Baton in the way; Baton's throughput is reported as a
// ratio to it.

const baselineBatch = 100

// baseline measures the raw lifecycle for as long as Baton's sustained
// runs, since a queue's rate decays as dead rows pile up.
func baseline(ctx context.Context, db *database, cfg Config) (*Throughput, error) {
	if db.dialect == "sqlite" {
		return sqliteBaseline(ctx, db.dsn, cfg)
	}
	return postgresBaseline(ctx, db.dsn, cfg)
}

func postgresBaseline(ctx context.Context, dsn string, cfg Config) (*Throughput, error) {
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	_, err = pool.Exec(ctx, `CREATE TABLE bench_queue (
		id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, state TEXT NOT NULL,
		created_at BIGINT NOT NULL, finished_at BIGINT NOT NULL DEFAULT 0);
		CREATE INDEX bench_queue_ready ON bench_queue (id) WHERE state = 'queued'`)
	if err != nil {
		return nil, fmt.Errorf("baseline table: %w", err)
	}
	defer pool.Exec(context.WithoutCancel(ctx), "DROP TABLE bench_queue") //nolint:errcheck // best effort
	step := func(ctx context.Context) (int, error) {
		if _, err := pool.Exec(ctx, `INSERT INTO bench_queue (state, created_at)
			SELECT 'queued', (extract(epoch FROM now()) * 1000)::bigint FROM generate_series(1, $1)`, baselineBatch); err != nil {
			return 0, err
		}
		rows, err := pool.Query(ctx, `UPDATE bench_queue SET state = 'running' WHERE id IN (
			SELECT id FROM bench_queue WHERE state = 'queued' ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED) RETURNING id`,
			baselineBatch)
		if err != nil {
			return 0, err
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return 0, err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, err
		}
		tag, err := pool.Exec(ctx, `UPDATE bench_queue SET state = 'done', finished_at = (extract(epoch FROM now()) * 1000)::bigint
			WHERE id = ANY($1)`, ids)
		return int(tag.RowsAffected()), err
	}
	return runClients(ctx, cfg, 4, step)
}

func sqliteBaseline(ctx context.Context, path string, cfg Config) (*Throughput, error) {
	db, err := openSQLite(path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `CREATE TABLE bench_queue (id INTEGER PRIMARY KEY AUTOINCREMENT,
		state TEXT NOT NULL, created_at BIGINT NOT NULL, finished_at BIGINT NOT NULL DEFAULT 0);
		CREATE INDEX bench_queue_ready ON bench_queue (id) WHERE state = 'queued'`); err != nil {
		return nil, fmt.Errorf("baseline table: %w", err)
	}
	defer db.ExecContext(context.WithoutCancel(ctx), "DROP TABLE bench_queue") //nolint:errcheck // best effort
	inTx := func(ctx context.Context, f func(tx *sql.Tx) error) error {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if err := f(tx); err != nil {
			_ = tx.Rollback()
			return err
		}
		return tx.Commit()
	}
	step := func(ctx context.Context) (int, error) {
		now := time.Now().UnixMilli()
		err := inTx(ctx, func(tx *sql.Tx) error {
			for range baselineBatch {
				if _, err := tx.ExecContext(ctx, `INSERT INTO bench_queue (state, created_at) VALUES ('queued', ?)`, now); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
		var ids []any
		err = inTx(ctx, func(tx *sql.Tx) error {
			rows, err := tx.QueryContext(ctx, `UPDATE bench_queue SET state = 'running' WHERE id IN (
				SELECT id FROM bench_queue WHERE state = 'queued' ORDER BY id LIMIT ?) RETURNING id`, baselineBatch)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var id int64
				if err := rows.Scan(&id); err != nil {
					return err
				}
				ids = append(ids, id)
			}
			return rows.Err()
		})
		if err != nil {
			return 0, err
		}
		n := 0
		err = inTx(ctx, func(tx *sql.Tx) error {
			for _, id := range ids {
				res, err := tx.ExecContext(ctx, `UPDATE bench_queue SET state = 'done', finished_at = ? WHERE id = ?`, now, id)
				if err != nil {
					return err
				}
				k, _ := res.RowsAffected()
				n += int(k)
			}
			return nil
		})
		return n, err
	}
	return runClients(ctx, cfg, 1, step)
}

// openSQLite opens the bench's SQLite file the way Baton's store does.
func openSQLite(path string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)"+
		"&_pragma=synchronous(NORMAL)&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// runClients runs step in a loop on n clients for cfg.Duration and
// reports the rate of completions per window.
func runClients(ctx context.Context, cfg Config, n int, step func(context.Context) (int, error)) (*Throughput, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var done atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			for ctx.Err() == nil {
				k, err := step(ctx)
				if err != nil {
					if ctx.Err() == nil {
						errs <- fmt.Errorf("baseline: %w", err)
					}
					return
				}
				done.Add(int64(k))
			}
		})
	}
	t, err := measure(ctx, cfg, done.Load, errs)
	cancel()
	wg.Wait()
	return t, err
}
