package storetest

import (
	"context"
	"io/fs"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/migrations"
	"github.com/baton-sched/baton/internal/store/postgres"
)

func TestOpenMigratesBothDialects(t *testing.T) {
	ForEach(t, func(t *testing.T, s store.Store) {
		err := s.Read(context.Background(), func(tx store.Tx) error {
			_, err := tx.Workflows().List(context.Background(), "", 10)
			return err
		})
		if err != nil {
			t.Fatalf("list workflows on a fresh %s store: %v", s.Dialect(), err)
		}
	})
}

// TestPostgresConcurrentOpenMigratesOnce starts several stores at once on a
// fresh database, as servers of a cluster starting together do: the
// advisory lock lets one migrate while the others wait, so every
// migration is applied exactly once and every store opens.
func TestPostgresConcurrentOpenMigratesOnce(t *testing.T) {
	t.Parallel()
	dsn := CreateDatabase(t)
	const servers = 4
	errs := make(chan error, servers)
	for range servers {
		go func() {
			s, err := postgres.Open(context.Background(), postgres.Config{DSN: dsn})
			if err == nil {
				s.Close()
			}
			errs <- err
		}()
	}
	for range servers {
		if err := <-errs; err != nil {
			t.Errorf("open: %v", err)
		}
	}
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var applied, distinct int
	err = conn.QueryRow(t.Context(),
		"SELECT count(*), count(DISTINCT version_id) FROM goose_db_version WHERE version_id > 0").Scan(&applied, &distinct)
	if err != nil {
		t.Fatal(err)
	}
	files, err := fs.Glob(migrations.Postgres(), "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	if applied != len(files) || distinct != len(files) {
		t.Errorf("goose_db_version holds %d applications of %d versions, want each of the %d migrations once",
			applied, distinct, len(files))
	}
}
