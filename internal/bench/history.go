package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/client/vocab"
)

// historyTasks is the number of tasks (one attempt each) per history run.
const historyTasks = 10

// APILatency is how long API reads took with a large history stored.
type APILatency struct {
	Attempts int64              `json:"attempts"`
	Load     time.Duration      `json:"load_ns"` // writing the history
	Reads    map[string]Summary `json:"reads"`
	// Retention: the same reads and noop throughput while retention
	// deletes expired runs, against the same without.
	Retention *RetentionImpact `json:"retention,omitempty"`
}

// apiReads are the reads timed, in the order reported.
var apiReads = []string{"runs, newest page", "runs of a workflow that failed", "run with its tasks",
	"attempts of a run", "events of a run", "events, a page deep in history"}

// history stores attempts finished attempts (historyTasks per run, one run
// in a hundred failed) with their runs, tasks and events, straight into
// the database as the engine would have left them, then times API reads
// against it, each read requests times.
func (e *env) history(ctx context.Context, attempts int64, requests int, phase time.Duration) (*APILatency, error) {
	began := time.Now()
	first, last, err := e.storedHistory(ctx, attempts)
	if err != nil {
		return nil, err
	}
	out := &APILatency{Attempts: (last - first + 1) * historyTasks, Load: time.Since(began),
		Reads: map[string]Summary{}}
	var lastEvent int64
	if p, err := e.api.Events(ctx, client.EventFilter{RunID: last, Limit: 1}); err == nil && len(p.Items) > 0 {
		lastEvent = p.Items[0].ID
	}
	reads := e.historyReads(ctx, first, last, lastEvent)
	for _, name := range apiReads {
		ds := make([]time.Duration, 0, requests)
		for range requests {
			t0 := time.Now()
			if err := reads[name](); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			ds = append(ds, time.Since(t0))
		}
		out.Reads[name] = summarize(ds)
	}
	out.Retention, err = e.retentionImpact(ctx, attempts/2, reads, phase)
	return out, err
}

// historyReads returns the API reads the history scenario times, by name.
func (e *env) historyReads(ctx context.Context, first, last, lastEvent int64) map[string]func() error {
	rng := rand.New(rand.NewPCG(1, 2))
	someRun := func() int64 { return first + rng.Int64N(last-first+1) }
	return map[string]func() error{
		apiReads[0]: func() error { _, err := e.api.Runs(ctx, client.RunFilter{Limit: 50}); return err },
		apiReads[1]: func() error {
			p, err := e.api.Runs(ctx, client.RunFilter{Workflow: "bench-history", State: vocab.RunFailed, Limit: 50})
			if want := min(50, (last-first+1)/100); err == nil && int64(len(p.Items)) < want {
				err = fmt.Errorf("%d failed runs listed, want %d", len(p.Items), want)
			}
			return err
		},
		apiReads[2]: func() error { _, err := e.api.Run(ctx, someRun()); return err },
		apiReads[3]: func() error { _, err := e.api.Attempts(ctx, someRun()); return err },
		apiReads[4]: func() error {
			_, err := e.api.Events(ctx, client.EventFilter{RunID: someRun(), Limit: 100})
			return err
		},
		apiReads[5]: func() error {
			_, err := e.api.Events(ctx, client.EventFilter{After: rng.Int64N(max(lastEvent, 1)), Limit: 100})
			return err
		},
	}
}

// storedHistory stores the history of attempts once per env (the
// history and ui scenarios share it) and returns its runs' range.
func (e *env) storedHistory(ctx context.Context, attempts int64) (first, last int64, err error) {
	if e.historyLast == 0 {
		e.historyFirst, e.historyLast, err = e.loadHistory(ctx, "bench-history", attempts/historyTasks, 30*24*time.Hour)
		if err != nil {
			return 0, 0, fmt.Errorf("load history: %w", err)
		}
	}
	return e.historyFirst, e.historyLast, nil
}

// loadHistory writes runs finished runs of workflow, the first of them
// age ago, and returns the first and last run IDs. The same statements
// serve both dialects; numbers are written into them (they are integers).
func (e *env) loadHistory(ctx context.Context, workflow string, runs int64, age time.Duration) (first, last int64, err error) {
	db, err := e.raw(ctx)
	if err != nil {
		return 0, 0, err
	}
	defer db.close()
	var wfID, versionID, version, base int64
	err = db.row(ctx, "SELECT id, latest_version_id, latest_version FROM workflows WHERE name = '"+workflow+"'",
		&wfID, &versionID, &version)
	if err == nil {
		err = db.row(ctx, "SELECT COALESCE(MAX(id), 0) FROM runs", &base)
	}
	if err != nil {
		return 0, 0, err
	}
	t0 := time.Now().Add(-age).UnixMilli()
	seq := func(n int64) string {
		return fmt.Sprintf("WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < %d) ", n)
	}
	steps := []string{
		seq(runs) + fmt.Sprintf(`INSERT INTO runs (workflow_id, workflow, version_id, version, state, reason,
			created_by, tasks_total, tasks_left, tasks_failed, created_at, started_at, finished_at)
			SELECT %d, '%s', %d, %d,
			       CASE WHEN x %% 100 = 0 THEN 'failed' ELSE 'succeeded' END,
			       CASE WHEN x %% 100 = 0 THEN '1 task(s) failed' ELSE '' END,
			       'user:bench', %d, 0, CASE WHEN x %% 100 = 0 THEN 1 ELSE 0 END,
			       %d + x * 20, %d + x * 20, %d + x * 20 + 900 FROM g`,
			wfID, workflow, versionID, version, historyTasks, t0, t0, t0),
		seq(historyTasks) + fmt.Sprintf(`INSERT INTO tasks (run_id, idx, name, state, reason, grp, cu,
			needs_total, needs_done, attempts, ready_at, created_at, started_at, finished_at)
			SELECT r.id, g.x - 1, 't' || CAST(g.x - 1 AS TEXT),
			       CASE WHEN r.state = 'failed' AND g.x = 1 THEN 'failed' ELSE 'succeeded' END,
			       CASE WHEN r.state = 'failed' AND g.x = 1 THEN 'attempt 1 failed: exit status 1' ELSE '' END,
			       'default', 1, 0, 0, 1, r.created_at, r.created_at, r.created_at + 5, r.finished_at - 10
			FROM runs r, g WHERE r.id > %d ORDER BY r.id, g.x`, base),
		fmt.Sprintf(`INSERT INTO ended_attempts (task_id, run_id, task, number, state, worker_id, zone, exit_code,
			dispatched_at, started_at, finished_at)
			SELECT t.id, t.run_id, t.name, 1, t.state, 'w-history', 'a', CASE WHEN t.state = 'failed' THEN 1 ELSE 0 END,
			       t.started_at, t.started_at + 2, t.finished_at
			FROM tasks t WHERE t.run_id > %d ORDER BY t.id`, base),
		// Per attempt: its task running, the attempt ended, the task ended.
		seq(3) + fmt.Sprintf(`INSERT INTO events (at, kind, actor, run_id, task_id, task, attempt_id, worker_id,
			old_state, new_state, reason, zone)
			SELECT a.dispatched_at + g.x,
			       CASE g.x WHEN 1 THEN 'task.running' WHEN 2 THEN 'attempt.' || a.state ELSE 'task.' || a.state END,
			       'worker:w-history', a.run_id, a.task_id, a.task, a.id, 'w-history',
			       CASE g.x WHEN 1 THEN 'queued' WHEN 2 THEN 'dispatched' ELSE 'running' END,
			       CASE g.x WHEN 1 THEN 'running' ELSE a.state END, '', 'a'
			FROM attempts a, g WHERE a.run_id > %d ORDER BY a.id, g.x`, base),
		// Per run: started, ended.
		seq(2) + fmt.Sprintf(`INSERT INTO events (at, kind, actor, run_id, old_state, new_state)
			SELECT CASE g.x WHEN 1 THEN r.created_at ELSE r.finished_at END,
			       CASE g.x WHEN 1 THEN 'run.running' ELSE 'run.' || r.state END,
			       'user:bench', r.id, CASE g.x WHEN 1 THEN '' ELSE 'running' END,
			       CASE g.x WHEN 1 THEN 'running' ELSE r.state END
			FROM runs r, g WHERE r.id > %d ORDER BY r.id, g.x`, base),
	}
	if e.db.dialect == "postgres" {
		steps = append(steps, "ANALYZE runs, tasks, attempts, events") // as autovacuum soon would
	}
	for _, q := range steps {
		if err := db.exec(ctx, q); err != nil {
			return 0, 0, err
		}
	}
	err = db.row(ctx, fmt.Sprintf("SELECT MIN(id), MAX(id) FROM runs WHERE id > %d", base), &first, &last)
	return first, last, err
}

// rawDB is a plain connection to the bench's database, for writing bulk
// data the API would take too long to produce.
type rawDB struct {
	exec  func(ctx context.Context, q string) error
	row   func(ctx context.Context, q string, dest ...any) error
	close func()
}

func (e *env) raw(ctx context.Context) (rawDB, error) {
	if e.db.dialect == "sqlite" {
		sdb, err := openSQLite(e.db.dsn)
		if err != nil {
			return rawDB{}, err
		}
		return rawDB{
			exec: func(ctx context.Context, q string) error { _, err := sdb.ExecContext(ctx, q); return err },
			row: func(ctx context.Context, q string, dest ...any) error {
				return sdb.QueryRowContext(ctx, q).Scan(dest...)
			},
			close: func() { sdb.Close() },
		}, nil
	}
	conn, err := pgx.Connect(ctx, e.db.dsn)
	if err != nil {
		return rawDB{}, err
	}
	return rawDB{
		exec: func(ctx context.Context, q string) error { _, err := conn.Exec(ctx, q); return err },
		row: func(ctx context.Context, q string, dest ...any) error {
			return conn.QueryRow(ctx, q).Scan(dest...)
		},
		close: func() { conn.Close(context.WithoutCancel(ctx)) },
	}, nil
}
