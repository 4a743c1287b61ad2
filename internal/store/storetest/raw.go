package storetest

import (
	"fmt"
	"testing"

	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/postgres"
	"github.com/baton-sched/baton/internal/store/sqlite"
)

// Exec runs a statement straight on a store this package opened, for
// fixtures the store's API would take too long to build. The statement
// takes no arguments: write numbers into it.
func Exec(t testing.TB, s store.Store, query string) {
	t.Helper()
	var err error
	switch s := s.(type) {
	case *postgres.Store:
		_, err = s.Pool().Exec(t.Context(), query)
	case *sqlite.Store:
		_, err = s.DB().ExecContext(t.Context(), query)
	default:
		err = fmt.Errorf("no raw access to a %T", s)
	}
	if err != nil {
		t.Fatalf("exec %.60q: %v", query, err)
	}
}

// Int returns the integer a query selects (one row, one column).
func Int(t testing.TB, s store.Store, query string) int64 {
	t.Helper()
	var n int64
	var err error
	switch s := s.(type) {
	case *postgres.Store:
		err = s.Pool().QueryRow(t.Context(), query).Scan(&n)
	case *sqlite.Store:
		err = s.DB().QueryRowContext(t.Context(), query).Scan(&n)
	default:
		err = fmt.Errorf("no raw access to a %T", s)
	}
	if err != nil {
		t.Fatalf("query %.60q: %v", query, err)
	}
	return n
}

// FinishedRuns describes runs LoadFinishedRuns writes.
type FinishedRuns struct {
	WorkflowID, VersionID int64
	Workflow              string
	// Runs is how many; each has Tasks tasks, each task one attempt with
	// a log chunk, its stats and three events, and each run two events.
	Runs, Tasks int
	// FinishedAt is when the runs finished (ms); they are a millisecond
	// apart from there on.
	FinishedAt int64
	// State is the runs' state (default succeeded).
	State string
}

// LoadFinishedRuns writes finished runs straight into the database, as
// the engine would have left them, and returns the first and last run IDs.
// The same statements serve both dialects.
func LoadFinishedRuns(t testing.TB, s store.Store, f FinishedRuns) (first, last int64) {
	t.Helper()
	if f.State == "" {
		f.State = store.RunSucceeded
	}
	base := Int(t, s, "SELECT COALESCE(MAX(id), 0) FROM runs")
	seq := func(n int) string {
		return fmt.Sprintf("WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < %d) ", n)
	}
	for _, q := range []string{
		seq(f.Runs) + fmt.Sprintf(`INSERT INTO runs (workflow_id, workflow, version_id, version, state,
			created_by, tasks_total, tasks_left, created_at, started_at, finished_at)
			SELECT %d, '%s', %d, 1, '%s', 'user:test', %d, 0, %d + x - 1000, %d + x - 1000, %d + x FROM g`,
			f.WorkflowID, f.Workflow, f.VersionID, f.State, f.Tasks, f.FinishedAt, f.FinishedAt, f.FinishedAt),
		seq(f.Tasks) + fmt.Sprintf(`INSERT INTO tasks (run_id, idx, name, state, grp, cu, needs_total, attempts,
			outputs, checkpoint, created_at, started_at, finished_at)
			SELECT r.id, g.x - 1, 't' || CAST(g.x - 1 AS TEXT), 'succeeded', 'default', 1, 0, 1,
			       '{"k":"v"}', 'cp', r.created_at, r.created_at, r.finished_at
			FROM runs r, g WHERE r.id > %d ORDER BY r.id, g.x`, base),
		fmt.Sprintf(`INSERT INTO ended_attempts (task_id, run_id, task, number, state, worker_id, zone,
			dispatched_at, started_at, finished_at)
			SELECT t.id, t.run_id, t.name, 1, 'succeeded', 'w-old', 'a', t.started_at, t.started_at, t.finished_at
			FROM tasks t WHERE t.run_id > %d ORDER BY t.id`, base),
		fmt.Sprintf(`INSERT INTO logs (attempt_id, seq, stream, at, data, size)
			SELECT a.id, 1, 'stdout', a.finished_at, 'hello', 5 FROM attempts a WHERE a.run_id > %d ORDER BY a.id`, base),
		fmt.Sprintf(`INSERT INTO log_stats (attempt_id, head_bytes, head_seq, last_seq)
			SELECT a.id, 5, 1, 1 FROM attempts a WHERE a.run_id > %d ORDER BY a.id`, base),
		seq(3) + fmt.Sprintf(`INSERT INTO events (at, kind, actor, run_id, task_id, task, attempt_id, worker_id)
			SELECT a.finished_at, CASE g.x WHEN 1 THEN 'task.running' WHEN 2 THEN 'attempt.succeeded' ELSE 'task.succeeded' END,
			       'worker:w-old', a.run_id, a.task_id, a.task, a.id, 'w-old'
			FROM attempts a, g WHERE a.run_id > %d ORDER BY a.id, g.x`, base),
		seq(2) + fmt.Sprintf(`INSERT INTO events (at, kind, actor, run_id, new_state)
			SELECT r.finished_at, CASE g.x WHEN 1 THEN 'run.running' ELSE 'run.' || r.state END, 'user:test', r.id, r.state
			FROM runs r, g WHERE r.id > %d ORDER BY r.id, g.x`, base),
	} {
		Exec(t, s, q)
	}
	first = Int(t, s, fmt.Sprintf("SELECT MIN(id) FROM runs WHERE id > %d", base))
	last = Int(t, s, fmt.Sprintf("SELECT MAX(id) FROM runs WHERE id > %d", base))
	return first, last
}

// RunRows counts the rows that belong to the runs with IDs in [first,
// last] (the runs, their tasks, attempts and events) plus the rows, of any
// run, left without what they belong to (logs and log stats without their
// attempt, attempts without their task, tasks and events without their
// run): zero once those runs are deleted whole.
func RunRows(t testing.TB, s store.Store, first, last int64) int64 {
	t.Helper()
	in := fmt.Sprintf("BETWEEN %d AND %d", first, last)
	var n int64
	for _, q := range []string{
		"SELECT COUNT(*) FROM runs WHERE id " + in,
		"SELECT COUNT(*) FROM tasks WHERE run_id " + in,
		"SELECT COUNT(*) FROM attempts WHERE run_id " + in,
		"SELECT COUNT(*) FROM events WHERE run_id " + in,
		"SELECT COUNT(*) FROM logs WHERE attempt_id NOT IN (SELECT id FROM attempts)",
		"SELECT COUNT(*) FROM log_stats WHERE attempt_id NOT IN (SELECT id FROM attempts)",
		"SELECT COUNT(*) FROM attempts WHERE task_id NOT IN (SELECT id FROM tasks)",
		"SELECT COUNT(*) FROM tasks WHERE run_id NOT IN (SELECT id FROM runs)",
		// A packed row (run_hi <> 0) names the runs from run_id to run_hi:
		// it is left over only when none of them is left.
		"SELECT COUNT(*) FROM events WHERE run_id <> 0 AND run_hi = 0 AND run_id NOT IN (SELECT id FROM runs)",
		"SELECT COUNT(*) FROM events e WHERE e.run_hi <> 0 AND NOT EXISTS " +
			"(SELECT 1 FROM runs r WHERE r.id BETWEEN e.run_id AND e.run_hi)",
	} {
		n += Int(t, s, q)
	}
	return n
}
