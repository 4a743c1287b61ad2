// Package storetest opens fresh databases of both dialects for tests and
// holds the behaviour suite every store.Store must pass.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/postgres"
	"github.com/baton-sched/baton/internal/store/sqlite"
)

// AdminDSN is the Postgres server tests create their databases on:
// $BATON_TEST_POSTGRES, or the local server with trust auth.
func AdminDSN() string {
	if dsn := os.Getenv("BATON_TEST_POSTGRES"); dsn != "" {
		return dsn
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// CreateDatabase creates an empty Postgres database with a unique name and
// drops it when the test ends. It returns the database's DSN.
func CreateDatabase(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, AdminDSN())
	if err != nil {
		t.Fatalf("connect to test postgres: %v", err)
	}
	defer admin.Close(ctx)
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "baton_test_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, AdminDSN())
		if err != nil {
			t.Errorf("drop database %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	return withDatabase(AdminDSN(), name)
}

// withDatabase points a DSN (URL or key=value form) at another database.
func withDatabase(dsn, name string) string {
	if !strings.Contains(dsn, "://") {
		return fmt.Sprintf("%s dbname=%s", dsn, name)
	}
	scheme, rest, _ := strings.Cut(dsn, "://")
	hostPart, query, _ := strings.Cut(rest, "?")
	hostPart, _, _ = strings.Cut(hostPart, "/")
	out := scheme + "://" + hostPart + "/" + name
	if query != "" {
		out += "?" + query
	}
	return out
}

// OpenPostgres returns a migrated store on a fresh Postgres database.
func OpenPostgres(t testing.TB) *postgres.Store {
	t.Helper()
	dsn := CreateDatabase(t)
	s, err := postgres.Open(context.Background(), postgres.Config{DSN: dsn})
	if err != nil {
		t.Fatalf("open postgres store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// OpenSQLite returns a migrated store on a fresh SQLite file.
func OpenSQLite(t testing.TB) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "baton.db"))
	if err != nil {
		t.Fatalf("open sqlite store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Dialects are the store constructors every shared suite runs against.
var Dialects = []struct {
	Name string
	Open func(testing.TB) store.Store
}{
	{"postgres", func(t testing.TB) store.Store { return OpenPostgres(t) }},
	{"sqlite", func(t testing.TB) store.Store { return OpenSQLite(t) }},
}

// ForEach runs f as a parallel subtest per dialect, each with a fresh store.
func ForEach(t *testing.T, f func(t *testing.T, s store.Store)) {
	t.Helper()
	for _, d := range Dialects {
		t.Run(d.Name, func(t *testing.T) {
			t.Parallel()
			f(t, d.Open(t))
		})
	}
}
