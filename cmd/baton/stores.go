package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/postgres"
	"github.com/baton-sched/baton/internal/store/sqlite"
)

// openStore opens (and migrates) the database named by a config's
// database setting: "postgres://..." / "postgresql://..." or "sqlite:PATH".
// noTimeouts leaves PostgreSQL sessions without their timeouts
// (measurement.deadlines: false).
func openStore(ctx context.Context, database string, noTimeouts bool, log *slog.Logger) (store.Store, error) {
	switch {
	case strings.HasPrefix(database, "postgres://"), strings.HasPrefix(database, "postgresql://"):
		return postgres.Open(ctx, postgres.Config{DSN: database, NoTimeouts: noTimeouts, Logger: log})
	case strings.HasPrefix(database, "sqlite:"):
		path := strings.TrimPrefix(database, "sqlite:")
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("create database directory: %w", err)
		}
		return sqlite.Open(ctx, path)
	case database == "":
		return nil, fmt.Errorf("database: not set (use --database postgres://... or sqlite:PATH, or BATON_DATABASE)")
	}
	return nil, fmt.Errorf("database: %q is neither postgres://... nor sqlite:PATH", database)
}
