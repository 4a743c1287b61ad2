package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/baton-sched/baton/internal/store"
)

// Leadership leases let servers spread background work: a holder keeps a
// named lease for a term by renewing it before it expires by the
// database clock. They never decide correctness: every loop is safe on
// several servers at once.

// AcquireLeadership takes the named lease for holder if it is free or
// expired, for a new term; ok is false if another holder has it.
func (e *Engine) AcquireLeadership(ctx context.Context, name, holder string, ttl time.Duration) (store.LeaderLease, bool, error) {
	var l store.LeaderLease
	err := e.store.InTx(ctx, func(tx store.Tx) (err error) {
		l, err = tx.Leaders().Acquire(ctx, name, holder, ttl.Milliseconds())
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return store.LeaderLease{}, false, nil
	}
	if err != nil {
		return store.LeaderLease{}, false, fmt.Errorf("acquire lease %s: %w", name, err)
	}
	return l, true, nil
}

// RenewLeadership extends holder's term of the named lease; ok is false if
// the term ended (the lease expired and another holder took it).
func (e *Engine) RenewLeadership(ctx context.Context, name, holder string, term int64, ttl time.Duration) (bool, error) {
	err := e.store.InTx(ctx, func(tx store.Tx) error {
		_, err := tx.Leaders().Renew(ctx, name, holder, term, ttl.Milliseconds())
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("renew lease %s: %w", name, err)
	}
	return true, nil
}

// ResignLeadership ends holder's term at once, so another may take over
// without waiting for the lease to expire.
func (e *Engine) ResignLeadership(ctx context.Context, name, holder string, term int64) error {
	err := e.store.InTx(ctx, func(tx store.Tx) error { return tx.Leaders().Resign(ctx, name, holder, term) })
	if err != nil {
		return fmt.Errorf("resign lease %s: %w", name, err)
	}
	return nil
}
