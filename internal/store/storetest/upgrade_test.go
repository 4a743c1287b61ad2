package storetest

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/postgres"
	"github.com/baton-sched/baton/internal/store/sqlite"
)

// futureVersion stands for a migration of a newer release.
const futureVersion = 99999

// During a rolling upgrade a server of the previous version (re)starts on
// a database a newer server has migrated further: it must start, not
// refuse the migrations it does not know (docs/operations.md, "Versions
// and upgrades").
func TestStoreOpensDatabaseMigratedByNewerRelease(t *testing.T) {
	ctx := context.Background()
	check := func(t *testing.T, s store.Store) {
		t.Helper()
		err := s.Read(ctx, func(tx store.Tx) error {
			_, err := tx.Workflows().List(ctx, "", 1)
			return err
		})
		if err != nil {
			t.Errorf("read after reopening: %v", err)
		}
	}
	t.Run("postgres", func(t *testing.T) {
		dsn := CreateDatabase(t)
		s, err := postgres.Open(ctx, postgres.Config{DSN: dsn})
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		_, err = conn.Exec(ctx, "INSERT INTO goose_db_version (version_id, is_applied) VALUES ($1, true)", futureVersion)
		conn.Close(ctx)
		if err != nil {
			t.Fatal(err)
		}
		s, err = postgres.Open(ctx, postgres.Config{DSN: dsn})
		if err != nil {
			t.Fatalf("open a database with a newer migration: %v", err)
		}
		defer s.Close()
		check(t, s)
	})
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "baton.db")
		s, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		_, err = db.ExecContext(ctx, "INSERT INTO goose_db_version (version_id, is_applied) VALUES (?, 1)", futureVersion)
		db.Close()
		if err != nil {
			t.Fatal(err)
		}
		s, err = sqlite.Open(ctx, path)
		if err != nil {
			t.Fatalf("open a database with a newer migration: %v", err)
		}
		defer s.Close()
		check(t, s)
	})
}
