package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/store"
)

// lowRate is the low load of the latency figures, in runs (or commits)
// per second.
const lowRate = 20

// latencies measures dispatch latency (task ready → attempt running) at a
// low rate and at half the peak noop throughput, and beside them the
// latency of a bare commit at the low rate: each for a sixth of the
// sustained runs' duration (10s of 60s), at half peak for a third.
func (e *env) latencies(ctx context.Context, cfg Config, r *Report) error {
	var err error
	if r.CommitLow, err = commitLatency(ctx, e.db, lowRate, cfg.Duration/6); err != nil {
		return err
	}
	if r.LatencyLow, err = e.paced(ctx, lowRate, cfg.Duration/6); err != nil {
		return err
	}
	if r.Noop == nil || r.Noop.PerSecond <= 0 {
		return nil
	}
	r.HalfPeakRate = r.Noop.PerSecond / 2
	e.tracer.start()
	gateBefore := e.engine.Metrics().GateWait
	s, first, last, err := e.pacedRuns(ctx, r.HalfPeakRate, cfg.Duration/3)
	times := e.tracer.stop()
	if err != nil {
		return err
	}
	r.GateWaitHalfPeak = gateWaits(gateBefore, e.engine.Metrics().GateWait)
	r.LatencyHalfPeak = s
	if r.LatencySplit, err = e.split(ctx, first, last, times); err != nil {
		return err
	}
	if r.CommitLow.P99 > 0 {
		r.HalfPeakP99Ratio = float64(r.LatencyHalfPeak.P99) / float64(r.CommitLow.P99)
	}
	return nil
}

// paced starts noop runs at rate per second for d, waits for them and
// returns their dispatch latencies.
func (e *env) paced(ctx context.Context, rate float64, d time.Duration) (*Summary, error) {
	s, _, _, err := e.pacedRuns(ctx, rate, d)
	return s, err
}

// pacedRuns is paced that also returns the first and last run it started.
func (e *env) pacedRuns(ctx context.Context, rate float64, d time.Duration) (*Summary, int64, int64, error) {
	const tick = 20 * time.Millisecond
	t := time.NewTicker(tick)
	defer t.Stop()
	began := time.Now()
	var first, last, sent int64
	// A stalled process may wake past d before a run was due: it still
	// sends one, so there is always a run to wait for.
	for sent == 0 || time.Since(began) < d {
		select {
		case <-ctx.Done():
			return nil, 0, 0, ctx.Err()
		case <-t.C:
		}
		due := int64(rate*time.Since(began).Seconds()) - sent
		if due <= 0 {
			continue
		}
		runs, err := e.api.StartRuns(ctx, "bench-noop", make([]client.StartRunRequest, min(due, 1000)))
		if err != nil {
			return nil, 0, 0, fmt.Errorf("start runs: %w", err)
		}
		if first == 0 {
			first = runs[0].ID
		}
		last = runs[len(runs)-1].ID
		sent += int64(len(runs))
	}
	if _, err := e.wait(ctx, last); err != nil {
		return nil, 0, 0, err
	}
	// Runs finish out of order: the last may be done before others began.
	ms, err := e.dispatched(ctx, first, last, sent)
	if err != nil {
		return nil, 0, 0, err
	}
	s := summarize(millis(ms))
	return &s, first, last, nil
}

// dispatched polls the dispatch latencies of runs first..last until all
// sent have started, for at most a minute.
func (e *env) dispatched(ctx context.Context, first, last, sent int64) ([]int64, error) {
	deadline := time.Now().Add(time.Minute)
	for {
		var ms []int64
		err := e.store.Read(ctx, func(tx store.Tx) (err error) {
			ms, err = tx.Stats().DispatchLatencies(ctx, first, last)
			return err
		})
		if err != nil {
			return nil, err
		}
		if int64(len(ms)) >= sent {
			return ms, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%d of %d runs started within a minute of the last finishing", len(ms), sent)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
