package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/baton-sched/baton/internal/store"
	db "github.com/baton-sched/baton/internal/store/pgdb"
)

// Wakeups is how many times the store fired its work signal; Echoes how
// many of its own notifications its listener heard back and skipped.
func (s *Store) Wakeups() uint64 { return s.signal.Fired() }
func (s *Store) Echoes() uint64  { return s.echoes.Load() }

// InPgTx runs fn in a transaction with both its store view and the pgx
// transaction under it, so that a test can read the session's state
// between store calls; the transaction is rolled back.
func (s *Store) InPgTx(ctx context.Context, fn func(pgx.Tx, store.Tx) error) error {
	pgTx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer pgTx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // the test's changes go
	return fn(pgTx, &tx{q: db.New(pgTx)})
}
