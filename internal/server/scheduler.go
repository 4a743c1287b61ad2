package server

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/baton-sched/baton/internal/engine"
)

// scheduler fires due schedules. Every server runs one: the engine makes a
// due time fire once however many do. It sleeps until the next fire time
// the database knows of (at most a second, to notice schedules applied
// elsewhere and buffered runs whose turn came), or until woken.
type scheduler struct {
	engine *engine.Engine
	log    *slog.Logger
	wake   chan struct{}
	// timed, when set, wraps each pass to time it.
	timed func(name string, fn func(ctx context.Context)) func(ctx context.Context)

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

func newScheduler(e *engine.Engine, log *slog.Logger) *scheduler {
	return &scheduler{engine: e, log: log, wake: make(chan struct{}, 1)}
}

// Wake makes the scheduler look again at once, e.g. after an apply.
func (s *scheduler) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *scheduler) Start(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cancel != nil {
		return
	}
	ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	s.done = make(chan struct{})
	go s.loop(ctx)
}

// Stop waits for the current pass; safe twice and before Start.
func (s *scheduler) Stop() {
	s.mu.Lock()
	cancel, done := s.cancel, s.done
	s.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-done
}

func (s *scheduler) loop(ctx context.Context) {
	defer close(s.done)
	timer := time.NewTimer(0)
	defer timer.Stop()
	var wait time.Duration
	pass := func(ctx context.Context) {
		var err error
		wait, err = s.engine.FireSchedules(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.Warn("schedule loop", "err", err)
		}
	}
	if s.timed != nil {
		pass = s.timed("scheduler", pass)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-s.wake:
		}
		pass(ctx)
		timer.Reset(wait)
	}
}
