package transfer_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/baton-sched/baton/internal/store/postgres"
	"github.com/baton-sched/baton/internal/store/sqlite"
	"github.com/baton-sched/baton/internal/store/storetest"
	"github.com/baton-sched/baton/internal/store/transfer"
)

// source makes a migrated SQLite file holding a few rows written with
// plain SQL: a cordoned zone (a boolean), text with bytes SQLite and
// PostgreSQL order differently, and events whose last row was deleted
// (an AUTOINCREMENT mark above the highest id).
func source(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "baton.db")
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	exec(t, path,
		`INSERT INTO workflows (name, created_at, updated_at) VALUES ('w', 1, 2)`,
		`INSERT INTO workflow_versions (workflow_id, version, digest, spec, created_at) VALUES (1, 1, 'd', '{}', 1)`,
		`INSERT INTO zones (name, state, cordoned, changed_at) VALUES ('b', 'healthy', 1, 5), ('B', 'down', 0, 6),
			('é', 'healthy', 0, 7), ('a-1', 'healthy', 0, 8)`,
		`INSERT INTO events (at, kind, actor, reason) VALUES (1, 'k', 'me', 'one'), (2, 'k', 'me', 'two'),
			(3, 'k', 'me', 'three')`,
		`DELETE FROM events WHERE id = 3`,
		`INSERT INTO secrets (name, key_id, nonce, ciphertext, created_at, updated_at) VALUES ('s', 'k1', 'n', 'c', 1, 1)`,
	)
	return path
}

func exec(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func pgExec(t *testing.T, dsn string, stmts ...string) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for _, q := range stmts {
		if _, err := conn.Exec(context.Background(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func pgInt(t *testing.T, dsn, query string) int64 {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int64
	if err := conn.QueryRow(context.Background(), query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func run(path, dsn string) (transfer.Report, error) {
	return transfer.Run(context.Background(), transfer.Options{SQLitePath: path, PostgresDSN: dsn})
}

func TestRunCopiesAndVerifies(t *testing.T) {
	t.Parallel()
	path, dsn := source(t), storetest.CreateDatabase(t)
	rep, err := run(path, dsn)
	if err != nil {
		t.Fatalf("run: %v %+v", err, rep)
	}
	rows := map[string]int64{}
	for _, tb := range rep.Tables {
		if !tb.OK() || len(tb.SourceSum) != 64 {
			t.Errorf("table %+v", tb)
		}
		rows[tb.Name] = tb.TargetRows
	}
	if rows["zones"] != 4 || rows["events"] != 2 || rows["workflows"] != 1 || rows["loop_marks"] != 1 {
		t.Errorf("rows %v", rows)
	}
	// workflow_versions refers to workflows: copied after it.
	var iw, iv int
	for i, tb := range rep.Tables {
		switch tb.Name {
		case "workflows":
			iw = i
		case "workflow_versions":
			iv = i
		}
	}
	if iw > iv {
		t.Errorf("workflow_versions copied before workflows: %+v", rep.Tables)
	}
	if n := pgInt(t, dsn, "SELECT count(*) FROM zones WHERE cordoned AND name = 'b'"); n != 1 {
		t.Errorf("the cordoned zone: %d rows", n)
	}
	// New rows get ids past the copied ones, and past ids SQLite handed
	// out to rows deleted since.
	if n := pgInt(t, dsn, "INSERT INTO events (at, kind, actor) VALUES (4, 'k', 'me') RETURNING id"); n != 4 {
		t.Errorf("a new event got id %d, want 4", n)
	}
	if n := pgInt(t, dsn, "INSERT INTO workflows (name, created_at, updated_at) VALUES ('x', 1, 1) RETURNING id"); n != 2 {
		t.Errorf("a new workflow got id %d, want 2", n)
	}
	if n := pgInt(t, dsn, "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'baton_migrate%'"); n != 0 {
		t.Errorf("%d scratch schemas left behind", n)
	}
}

func TestRunRefusesNonEmptyTarget(t *testing.T) {
	t.Parallel()
	path, dsn := source(t), storetest.CreateDatabase(t)
	if _, err := run(path, dsn); err != nil {
		t.Fatal(err)
	}
	_, err := run(path, dsn)
	if !errors.Is(err, transfer.ErrNotEmpty) || !strings.Contains(err.Error(), "zones (4 rows)") {
		t.Fatalf("second run: %v, want ErrNotEmpty naming the tables", err)
	}
	if n := pgInt(t, dsn, "SELECT count(*) FROM events"); n != 2 {
		t.Errorf("the refused run changed the target: %d events", n)
	}
}

// A database a server (or a failed migrate-store) only migrated holds
// the rows migrations insert: it is empty.
func TestRunAcceptsMigratedTarget(t *testing.T) {
	t.Parallel()
	path, dsn := source(t), storetest.CreateDatabase(t)
	pg, err := postgres.Open(context.Background(), postgres.Config{DSN: dsn})
	if err != nil {
		t.Fatal(err)
	}
	pg.Close()
	if _, err := run(path, dsn); err != nil {
		t.Fatalf("run on a migrated database: %v", err)
	}
	if n := pgInt(t, dsn, "SELECT count(*) FROM loop_marks"); n != 1 {
		t.Errorf("loop_marks: %d rows, want the source's one", n)
	}
}

func TestRunRefusesTargetOfAnotherVersion(t *testing.T) {
	t.Parallel()
	path, dsn := source(t), storetest.CreateDatabase(t)
	pg, err := postgres.Open(context.Background(), postgres.Config{DSN: dsn})
	if err != nil {
		t.Fatal(err)
	}
	pg.Close()
	pgExec(t, dsn, "INSERT INTO goose_db_version (version_id, is_applied) VALUES (99999, true)")
	if _, err := run(path, dsn); !errors.Is(err, transfer.ErrNotEmpty) || !strings.Contains(err.Error(), "another version") {
		t.Fatalf("run: %v, want refused: another version", err)
	}
	dsn = storetest.CreateDatabase(t)
	pgExec(t, dsn, "CREATE TABLE zones (name TEXT)")
	if _, err := run(path, dsn); !errors.Is(err, transfer.ErrNotEmpty) || !strings.Contains(err.Error(), "zones") {
		t.Fatalf("run: %v, want refused: a table named as Baton's", err)
	}
}

func TestRunRefusesSourceOfAnotherVersion(t *testing.T) {
	t.Parallel()
	dsn := storetest.CreateDatabase(t)
	path := source(t)
	exec(t, path, "INSERT INTO goose_db_version (version_id, is_applied) VALUES (99999, 1)")
	if _, err := run(path, dsn); !errors.Is(err, transfer.ErrVersion) || !strings.Contains(err.Error(), "99999") {
		t.Errorf("a newer source: %v, want ErrVersion naming 99999", err)
	}
	path = source(t)
	exec(t, path, "DELETE FROM goose_db_version WHERE version_id = (SELECT max(version_id) FROM goose_db_version)")
	if _, err := run(path, dsn); !errors.Is(err, transfer.ErrVersion) || !strings.Contains(err.Error(), "baton migrate --database sqlite:"+path) {
		t.Errorf("an older source: %v, want ErrVersion saying how to migrate it", err)
	}
	if n := pgInt(t, dsn, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"); n != 0 {
		t.Errorf("a refused run created %d tables", n)
	}
}

func TestRunRefusesSourceInUse(t *testing.T) {
	t.Parallel()
	path := source(t)
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := run(path, storetest.CreateDatabase(t)); !errors.Is(err, sqlite.ErrInUse) {
		t.Fatalf("run while a store has the file: %v, want sqlite.ErrInUse", err)
	}
	if _, err := run(filepath.Join(t.TempDir(), "none.db"), "postgres://x"); err == nil {
		t.Errorf("run on a missing file: no error")
	}
}

func TestRunRefusesDifferentSchemas(t *testing.T) {
	t.Parallel()
	path, dsn := source(t), storetest.CreateDatabase(t)
	pg, err := postgres.Open(context.Background(), postgres.Config{DSN: dsn})
	if err != nil {
		t.Fatal(err)
	}
	pg.Close()
	pgExec(t, dsn, "ALTER TABLE zones ADD COLUMN extra TEXT NOT NULL DEFAULT ''")
	exec(t, path, "ALTER TABLE slots ADD COLUMN only_here TEXT NOT NULL DEFAULT ''")
	_, err = run(path, dsn)
	if err == nil || !strings.Contains(err.Error(), "column zones.extra is missing in SQLite") ||
		!strings.Contains(err.Error(), "column slots.only_here is missing in PostgreSQL") {
		t.Fatalf("run: %v, want both differences named", err)
	}
	if n := pgInt(t, dsn, "SELECT count(*) FROM zones"); n != 0 {
		t.Errorf("%d zones copied", n)
	}
}

// A copy that reads back different is rolled back: here a trigger on the
// target changes a value as it is written.
func TestRunRollsBackOnMismatch(t *testing.T) {
	t.Parallel()
	path, dsn := source(t), storetest.CreateDatabase(t)
	pg, err := postgres.Open(context.Background(), postgres.Config{DSN: dsn})
	if err != nil {
		t.Fatal(err)
	}
	pg.Close()
	pgExec(t, dsn, `CREATE FUNCTION tamper() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN NEW.reason := NEW.reason || '!'; RETURN NEW; END $$`,
		"CREATE TRIGGER tamper BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION tamper()")
	rep, err := run(path, dsn)
	if !errors.Is(err, transfer.ErrMismatch) {
		t.Fatalf("run: %v, want ErrMismatch", err)
	}
	for _, tb := range rep.Tables {
		if tb.OK() == (tb.Name == "events") {
			t.Errorf("table %+v", tb)
		}
	}
	if n := pgInt(t, dsn, "SELECT count(*) FROM zones"); n != 0 {
		t.Errorf("%d zones committed", n)
	}
}
