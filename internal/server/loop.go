package server

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"
)

// loop runs a background job every interval, the first time after a
// jittered delay so that servers started together do not act in lockstep.
// Start returns at once; Stop waits for the current run and is safe twice
// and before Start.
type loop struct {
	interval time.Duration
	run      func(ctx context.Context)

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

func (l *loop) Start(ctx context.Context) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cancel != nil {
		return
	}
	ctx, l.cancel = context.WithCancel(context.WithoutCancel(ctx))
	l.done = make(chan struct{})
	go l.loop(ctx)
}

func (l *loop) Stop() {
	l.mu.Lock()
	cancel, done := l.cancel, l.done
	l.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-done
}

func (l *loop) loop(ctx context.Context) {
	defer close(l.done)
	timer := time.NewTimer(time.Duration(rand.Int64N(int64(l.interval))))
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		l.run(ctx)
		timer.Reset(l.interval)
	}
}
