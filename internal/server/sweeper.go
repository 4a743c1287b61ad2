package server

import (
	"cmp"
	"context"
	"log/slog"
	"time"

	"github.com/baton-sched/baton/internal/engine"
)

// SweeperConfig configures a Sweeper.
type SweeperConfig struct {
	Interval time.Duration
	Logger   *slog.Logger
}

// Sweeper runs the engine's failure detector periodically. Every server
// runs one; sweeps are safe to run concurrently.
type Sweeper struct {
	loop
	engine *engine.Engine
	log    *slog.Logger
}

// NewSweeper returns a stopped sweeper.
func NewSweeper(e *engine.Engine, cfg SweeperConfig) *Sweeper {
	s := &Sweeper{engine: e, log: cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler))}
	s.loop = loop{interval: cmp.Or(cfg.Interval, 500*time.Millisecond), run: func(ctx context.Context) { s.RunOnce(ctx) }}
	return s
}

// RunOnce sweeps once and logs what changed.
func (s *Sweeper) RunOnce(ctx context.Context) engine.SweepResult {
	res, err := s.engine.Sweep(ctx)
	if err != nil && ctx.Err() == nil {
		s.log.Warn("sweep failed", "err", err)
	}
	if res.Resumed > 0 {
		s.log.Warn("no sweep ran for a while (servers or database down): leases extended",
			"gap", res.Resumed, "workers", res.LeasesExtended)
	}
	if res.WorkersLost > 0 || res.AttemptsLost > 0 {
		s.log.Info("failures detected", "workers_lost", res.WorkersLost, "attempts_lost", res.AttemptsLost)
	}
	return res
}
