package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/bench/pgmeter"
)

// Throughput is a sustained completion rate.
type Throughput struct {
	Duration  string    `json:"duration"`
	Tasks     int64     `json:"tasks"`
	PerSecond float64   `json:"per_second"`
	Windows   []float64 `json:"windows,omitempty"` // tasks/s per window
	// MinWindow over PerSecond: how far the worst window fell.
	MinWindowRatio float64 `json:"min_window_ratio,omitempty"`
	// RatioToBaseline is PerSecond over the raw lifecycle's, same database.
	RatioToBaseline float64 `json:"ratio_to_baseline,omitempty"`
	// Cost is what the tasks of the measured windows cost: CPU of this
	// process and of the PostgreSQL backends serving it, WAL, connections
	// idle in transaction (see package pgmeter).
	Cost *pgmeter.Cost `json:"cost,omitempty"`
}

// startBatch is the number of runs one API request starts; producers is
// the number of clients starting them at once.
const (
	startBatch = 500
	producers  = 4
)

// sustained keeps workflow's single-task runs coming for cfg.Duration, as
// fast as they complete (several clients keep a backlog of queued runs so
// the workers never wait for work), and counts completions per window.
func (e *env) sustained(ctx context.Context, cfg Config, workflow string, base *Throughput) (*Throughput, error) {
	done := e.finished
	start := done()
	var created atomic.Int64
	// Runs started and not yet done: four claims' worth per worker.
	backlog := int64(4 * float64(cfg.Workers) * cfg.Capacity)
	batch := max(1, min(startBatch, backlog/producers))
	meter, err := e.meter(ctx, cfg)
	if err != nil {
		return nil, err
	}
	prodCtx, stopProducers := context.WithCancel(ctx)
	var wg sync.WaitGroup
	failed := make(chan error, producers)
	for range producers {
		wg.Go(func() {
			reqs := make([]client.StartRunRequest, batch)
			for prodCtx.Err() == nil {
				if created.Load()-(done()-start) > backlog-batch {
					_ = client.Wait(prodCtx, 2*time.Millisecond)
					continue
				}
				runs, err := e.api.StartRuns(prodCtx, workflow, reqs)
				if err != nil && prodCtx.Err() == nil {
					failed <- fmt.Errorf("start runs: %w", err)
					return
				}
				created.Add(int64(len(runs)))
			}
		})
	}
	t, err := measure(ctx, cfg, done, failed)
	if err == nil {
		t.Cost, err = meter.Stop(ctx, t.Tasks)
	} else {
		_, _ = meter.Stop(ctx, 0)
	}
	stopProducers()
	wg.Wait()
	if err != nil {
		return nil, err
	}
	t.ratioTo(base)
	// Let the backlog drain so the next scenario starts on an empty queue.
	return t, e.drain(ctx, created.Load(), start)
}

// drain waits until the created runs started since e.finished counted
// start are done.
func (e *env) drain(ctx context.Context, created, start int64) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	for e.finished()-start < created {
		if err := client.Wait(ctx, 20*time.Millisecond); err != nil {
			return fmt.Errorf("drain %d runs: %w", created-(e.finished()-start), err)
		}
	}
	return nil
}

// measure samples done once per window, as many windows as cfg.Duration
// holds, each starting when the last was sampled, and reports the rate per
// window over the time it really took: a sampler that wakes late (a loaded
// machine) neither loses a window nor misreads its rate. It stops early
// with an error arriving on failed.
func measure(ctx context.Context, cfg Config, done func() int64, failed <-chan error) (*Throughput, error) {
	t := &Throughput{Duration: cfg.Duration.String()}
	first, lastAt := done(), time.Now()
	last := first
	n := max(1, int((cfg.Duration+cfg.Window-1)/cfg.Window))
	for range n {
		timer := time.NewTimer(time.Until(lastAt.Add(cfg.Window)))
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil, ctx.Err()
		case err := <-failed:
			timer.Stop()
			return nil, err
		case <-timer.C:
		}
		now, at := done(), time.Now()
		t.Windows = append(t.Windows, float64(now-last)/at.Sub(lastAt).Seconds())
		last, lastAt = now, at
	}
	t.Tasks = last - first
	t.PerSecond = mean(t.Windows)
	if t.PerSecond > 0 {
		t.MinWindowRatio = minOf(t.Windows) / t.PerSecond
	}
	return t, nil
}

// ratioTo sets the ratio of t's rate to base's.
func (t *Throughput) ratioTo(base *Throughput) {
	if base != nil && base.PerSecond > 0 {
		t.RatioToBaseline = t.PerSecond / base.PerSecond
	}
}

func minOf(xs []float64) float64 {
	m := xs[0]
	for _, x := range xs[1:] {
		m = min(m, x)
	}
	return m
}
