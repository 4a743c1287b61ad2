package server

import (
	"cmp"
	"context"
	"log/slog"
	"math/rand/v2"
	"sync"
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
	engine *engine.Engine
	cfg    SweeperConfig
	log    *slog.Logger

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

// NewSweeper returns a stopped sweeper.
func NewSweeper(e *engine.Engine, cfg SweeperConfig) *Sweeper {
	cfg.Interval = cmp.Or(cfg.Interval, 500*time.Millisecond)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Sweeper{engine: e, cfg: cfg, log: cfg.Logger}
}

// Start runs sweeps in the background, the first after a jittered delay so
// servers started together do not sweep in lockstep.
func (s *Sweeper) Start(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cancel != nil {
		return
	}
	ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	s.done = make(chan struct{})
	go s.loop(ctx)
}

// Stop stops the sweeps and waits for the current one. Safe twice and
// before Start.
func (s *Sweeper) Stop() {
	s.mu.Lock()
	cancel, done := s.cancel, s.done
	s.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-done
}

func (s *Sweeper) loop(ctx context.Context) {
	defer close(s.done)
	jitter := time.Duration(rand.Int64N(int64(s.cfg.Interval)))
	timer := time.NewTimer(jitter)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		s.RunOnce(ctx)
		timer.Reset(s.cfg.Interval)
	}
}

// RunOnce sweeps once and logs what changed.
func (s *Sweeper) RunOnce(ctx context.Context) engine.SweepResult {
	res, err := s.engine.Sweep(ctx)
	if err != nil && ctx.Err() == nil {
		s.log.Warn("sweep failed", "err", err)
	}
	if res.WorkersLost > 0 || res.AttemptsLost > 0 {
		s.log.Info("failures detected", "workers_lost", res.WorkersLost, "attempts_lost", res.AttemptsLost)
	}
	return res
}
