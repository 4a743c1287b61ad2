package storetest

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/migrations"
	"github.com/baton-sched/baton/internal/store/postgres"
	"github.com/baton-sched/baton/internal/store/sqlite"
)

// liveAttemptsVersion is the migration that moved live attempts onto
// their tasks' rows.
const liveAttemptsVersion = 24

// migrator runs the store's migrations on its database, for tests that
// go down and up again.
func migrator(t *testing.T, s store.Store) *goose.Provider {
	t.Helper()
	var (
		p   *goose.Provider
		err error
	)
	switch s := s.(type) {
	case *postgres.Store:
		db := stdlib.OpenDBFromPool(s.Pool())
		t.Cleanup(func() { db.Close() })
		p, err = goose.NewProvider(goose.DialectPostgres, db, migrations.Postgres(), goose.WithAllowOutofOrder(true))
	case *sqlite.Store:
		p, err = goose.NewProvider(goose.DialectSQLite3, s.DB(), migrations.SQLite(), goose.WithAllowOutofOrder(true))
	default:
		err = fmt.Errorf("no migrations for a %T", s)
	}
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// An attempt reads the same before and after the migration that moved
// live attempts onto their tasks, and after going back down and up: the
// live ones stay live under their IDs (their workers' fencing tokens),
// the ended ones ended, and new IDs come after all of them.
func TestLiveAttemptsMigration(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		f := newAttemptFixture(t, s, 3)
		live := dispatch(t, s, f.tasks[0], f.w1)
		running := dispatch(t, s, f.tasks[1], f.w2)
		start(t, s, running, f.w2.ID)
		do(t, s, func(tx store.Tx) error { _, err := tx.Attempts().RequestStop(ctx, running); return err })
		ended := dispatch(t, s, f.tasks[2], f.w1)
		do(t, s, func(tx store.Tx) error {
			_, err := finishAttempt(ctx, tx, "", store.AttemptFinish{State: store.AttemptFailed, Reason: "exit 3",
				ExitCode: 3, ID: ended})
			return err
		})
		listRun := func() []store.Attempt {
			return read(t, s, func(tx store.Tx) ([]store.Attempt, error) { return tx.Attempts().ListRun(ctx, f.run.ID) })
		}
		before := listRun()
		if len(before) != 3 || !before[1].StopRequested || before[1].State != store.AttemptRunning {
			t.Fatalf("attempts before the migration: %+v", before)
		}

		p := migrator(t, s)
		if _, err := p.DownTo(ctx, liveAttemptsVersion-1); err != nil {
			t.Fatalf("down to %d: %v", liveAttemptsVersion-1, err)
		}
		if n := Int(t, s, fmt.Sprintf("SELECT COUNT(*) FROM attempts WHERE run_id = %d AND state IN ('dispatched', 'running')",
			f.run.ID)); n != 2 {
			t.Errorf("down: %d live attempt rows, want the 2 live attempts back in attempts", n)
		}
		if _, err := p.Up(ctx); err != nil {
			t.Fatalf("up again: %v", err)
		}
		if n := Int(t, s, fmt.Sprintf("SELECT COUNT(*) FROM ended_attempts WHERE run_id = %d", f.run.ID)); n != 1 {
			t.Errorf("up: %d rows in ended_attempts, want the ended one only", n)
		}
		if diff := cmp.Diff(before, listRun()); diff != "" {
			t.Errorf("attempts after down and up (-before +after):\n%s", diff)
		}
		if got := read(t, s, func(tx store.Tx) ([]store.Attempt, error) { return tx.Attempts().ListWorker(ctx, f.w1.ID) }); len(got) != 1 ||
			got[0].ID != live {
			t.Errorf("worker 1's live attempts after the migration = %+v, want %d", got, live)
		}
		// New IDs come after every earlier one, live or ended.
		g := newAttemptFixture(t, s, 1)
		if next := dispatch(t, s, g.tasks[0], g.w1); next <= max(live, running, ended) {
			t.Errorf("attempt ID %d after the migration, want past %d", next, max(live, running, ended))
		}
		ends := get(t, s, func(tx store.Tx) ([]store.Attempt, error) {
			return tx.Attempts().FinishMany(ctx, f.w1.ID, []store.AttemptFinish{{State: store.AttemptSucceeded, ID: live}})
		})
		if len(ends) != 1 || ends[0].State != store.AttemptSucceeded || ends[0].DispatchedAt != before[0].DispatchedAt {
			t.Errorf("finishing a migrated live attempt = %+v", ends)
		}
	})
}

// An attempt written without an ID (as retention's fixtures and the
// history benchmark do) takes one no live attempt holds: dispatches and
// inserts draw from the same counter.
func TestLiveAttemptIDsUnique(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		f := newAttemptFixture(t, s, 2)
		live := dispatch(t, s, f.tasks[0], f.w1)
		Exec(t, s, fmt.Sprintf(`INSERT INTO ended_attempts (task_id, run_id, task, number, state, worker_id, dispatched_at)
			VALUES (%d, %d, 'x', 1, 'succeeded', 'w', 1)`, f.tasks[1].ID, f.run.ID))
		inserted := Int(t, s, fmt.Sprintf("SELECT MAX(id) FROM attempts WHERE task_id = %d", f.tasks[1].ID))
		if inserted == live {
			t.Fatalf("a row inserted without an ID took the live attempt's ID %d", live)
		}
		g := newAttemptFixture(t, s, 1)
		if next := dispatch(t, s, g.tasks[0], g.w1); next <= inserted {
			t.Errorf("dispatch after an insert took ID %d, want past %d", next, inserted)
		}
		ends := get(t, s, func(tx store.Tx) ([]store.Attempt, error) {
			return tx.Attempts().FinishMany(ctx, "", []store.AttemptFinish{{State: store.AttemptSucceeded, ID: live}})
		})
		if len(ends) != 1 || ends[0].TaskID != f.tasks[0].ID {
			t.Errorf("finishing the live attempt = %+v, want its one row", ends)
		}
	})
}

// Two transactions ending the same live attempt at once (a worker's
// report and a sweep, say): the second waits for the first and, once it
// commits, ends nothing. The attempt's one row is the first's. The first
// is a report's success (the attempt and its task at once) or an end
// alone.
func TestLiveAttemptEndedOnce(t *testing.T) {
	t.Parallel()
	ends := map[string]func(tx store.Tx, w string, id int64) (int, error){
		"succeed": func(tx store.Tx, w string, id int64) (int, error) {
			won, err := tx.Attempts().Succeed(t.Context(), w, []store.AttemptSuccess{{ID: id}})
			return len(won), err
		},
		"finish": func(tx store.Tx, w string, id int64) (int, error) {
			as, err := tx.Attempts().FinishMany(t.Context(), w, []store.AttemptFinish{{State: store.AttemptSucceeded, ID: id}})
			return len(as), err
		},
	}
	for name, end := range ends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := OpenPostgres(t)
			ctx := t.Context()
			f := newAttemptFixture(t, s, 1)
			id := dispatch(t, s, f.tasks[0], f.w1)
			holding, release := make(chan struct{}), make(chan struct{})
			first := make(chan error, 1)
			go func() {
				first <- s.InTx(ctx, func(tx store.Tx) error {
					n, err := end(tx, f.w1.ID, id)
					if err == nil && n != 1 {
						err = fmt.Errorf("first end ended %d, want the attempt", n)
					}
					close(holding)
					<-release
					return err
				})
			}()
			<-holding
			second := make(chan []store.Attempt, 1)
			go func() {
				second <- get(t, s, func(tx store.Tx) ([]store.Attempt, error) {
					return tx.Attempts().FinishMany(ctx, "", []store.AttemptFinish{{State: store.AttemptLost, ID: id}})
				})
			}()
			waitStats(t, "the second end waiting for the first", func() bool {
				return Int(t, s, `SELECT COUNT(*) FROM pg_stat_activity
					WHERE datname = current_database() AND wait_event_type = 'Lock'`) > 0
			})
			close(release)
			if err := <-first; err != nil {
				t.Fatal(err)
			}
			if got := <-second; len(got) != 0 {
				t.Errorf("second end = %+v, want none: the attempt had ended", got)
			}
			if a := getAttempt(t, s, id); a.State != store.AttemptSucceeded {
				t.Errorf("attempt %+v, want the first end's succeeded", a)
			}
		})
	}
}

// rawErr runs a statement straight on the store's database and returns
// its error.
func rawErr(t *testing.T, s store.Store, query string) error {
	t.Helper()
	switch s := s.(type) {
	case *postgres.Store:
		_, err := s.Pool().Exec(t.Context(), query)
		return err
	case *sqlite.Store:
		_, err := s.DB().ExecContext(t.Context(), query)
		return err
	}
	t.Fatalf("no raw access to a %T", s)
	return nil
}

// A server built before migration 24 writes live attempts into attempts
// and ends them there. On the migrated database attempts is a view that
// reads as the table did and takes no writes: such a server's claims and
// reports fail rather than write attempts this build would not see.
func TestAttemptsViewRefusesOldWrites(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		f := newAttemptFixture(t, s, 1)
		id := dispatch(t, s, f.tasks[0], f.w1)
		for _, q := range []string{
			fmt.Sprintf(`INSERT INTO attempts (task_id, run_id, task, number, state, worker_id, zone, dispatched_at, timeout_ms)
				VALUES (%d, %d, 't0', 2, 'dispatched', '%s', 'z1', 1, 0)`, f.tasks[0].ID, f.run.ID, f.w1.ID),
			fmt.Sprintf(`UPDATE attempts SET state = 'succeeded', finished_at = 1 WHERE id = %d AND state IN ('dispatched', 'running')`, id),
			fmt.Sprintf(`DELETE FROM attempts WHERE run_id = %d`, f.run.ID),
		} {
			if err := rawErr(t, s, q); err == nil {
				t.Errorf("%.40s… on the attempts view: no error", q)
			}
		}
		// What it reads is what it read before: the live attempt, live.
		if got := Int(t, s, fmt.Sprintf(`SELECT COUNT(*) FROM attempts WHERE worker_id = '%s' AND state IN ('dispatched', 'running')`,
			f.w1.ID)); got != 1 {
			t.Errorf("the view shows %d live attempts of the worker, want 1", got)
		}
		if a := getAttempt(t, s, id); a.State != store.AttemptDispatched {
			t.Errorf("attempt %+v after refused writes, want it dispatched still", a)
		}
	})
}

// Succeed ends a live attempt and its task in one step, returns what
// settling reads of the task (as it was) and its run, and leaves out an
// attempt that is not live on the worker named: it is fenced.
func TestAttemptsSucceed(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		f := newAttemptFixture(t, s, 3)
		won := dispatch(t, s, f.tasks[0], f.w1)
		other := dispatch(t, s, f.tasks[1], f.w2)
		ended := dispatch(t, s, f.tasks[2], f.w1)
		do(t, s, func(tx store.Tx) error {
			_, err := finishAttempt(ctx, tx, "", store.AttemptFinish{State: store.AttemptLost, ID: ended})
			return err
		})
		succeed := func() []store.AttemptWon {
			return get(t, s, func(tx store.Tx) ([]store.AttemptWon, error) {
				return tx.Attempts().Succeed(ctx, f.w1.ID, []store.AttemptSuccess{
					{ID: won, Start: true, Reason: "done", Outputs: `{"k":"v"}`},
					{ID: other},  // another worker's
					{ID: ended},  // ended already
					{ID: 999999}, // no such attempt
				})
			})
		}
		got := succeed()
		if len(got) != 1 {
			t.Fatalf("Succeed = %+v, want the one live attempt of the worker", got)
		}
		w := got[0]
		if w.Attempt.ID != won || w.Attempt.State != store.AttemptSucceeded || w.Attempt.Reason != "done" ||
			w.Attempt.StartedAt == 0 || w.Attempt.StartedAt != w.Attempt.FinishedAt {
			t.Errorf("ended attempt %+v, want %d succeeded, started and finished at once", w.Attempt, won)
		}
		if w.Task.ID != f.tasks[0].ID || w.Task.State != store.TaskRunning || w.Task.AttemptID != won ||
			w.Task.Name != f.tasks[0].Name || w.Run.ID != f.run.ID || w.Run.Workflow != f.run.Workflow {
			t.Errorf("settle row %+v, want task %d as it ran under %d, with run %d", w.TaskRun, f.tasks[0].ID, won, f.run.ID)
		}
		if tk := getTask(t, s, f.tasks[0].ID); tk.State != store.TaskSucceeded || tk.Outputs != `{"k":"v"}` || tk.AttemptID != 0 {
			t.Errorf("task after Succeed %+v, want succeeded with its outputs", tk)
		}
		if diff := cmp.Diff(w.Attempt, getAttempt(t, s, won)); diff != "" {
			t.Errorf("returned and stored attempt differ (-returned +stored):\n%s", diff)
		}
		if a := getAttempt(t, s, other); a.State != store.AttemptDispatched {
			t.Errorf("another worker's attempt %+v, want it dispatched still", a)
		}
		if again := succeed(); len(again) != 0 {
			t.Errorf("Succeed again = %+v, want none: the attempt ended", again)
		}
	})
}
