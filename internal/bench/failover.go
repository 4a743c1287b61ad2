package bench

import (
	"context"
	"errors"
	"path/filepath"

	"github.com/baton-sched/baton/internal/chaos"
)

// failover measures failover with chaos.MeasureFailover on a cluster of
// real processes (the baton binary) with the default timing, on a fresh
// database of its own.
func failover(ctx context.Context, cfg Config) (*Summary, error) {
	if cfg.Binary == "" {
		return nil, errors.New("failover needs the baton binary (Config.Binary)")
	}
	db, err := newDatabase(ctx, "postgres", cfg.AdminDSN, cfg.Dir)
	if err != nil {
		return nil, err
	}
	defer db.drop()
	dir := filepath.Join(cfg.Dir, "failover")
	c, err := chaos.Start(ctx, chaos.Config{Binary: cfg.Binary, Dir: dir, DSN: db.dsn})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	samples, err := chaos.MeasureFailover(ctx, c, dir, cfg.FailoverTrials)
	if err != nil {
		return nil, err
	}
	s := summarize(samples)
	return &s, nil
}
