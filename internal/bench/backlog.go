package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/baton-sched/baton/client"
)

// Backlog is a deep queue built while nothing may claim, then drained.
type Backlog struct {
	Tasks int64 `json:"tasks"`
	// StartRate is runs created per second with nothing claiming.
	StartRate float64 `json:"start_per_second"`
	// Drain is the time from the zones' uncordon to the last run done;
	// DrainRate the tasks completed per second meanwhile.
	Drain     time.Duration `json:"drain_ns"`
	DrainRate float64       `json:"drain_per_second"`
}

// backlog cordons the workers' zones, queues n single-task noop runs,
// uncordons and times the drain.
func (e *env) backlog(ctx context.Context, n int64) (_ *Backlog, err error) {
	cordon := func(action string) error {
		var errs []error
		for _, z := range e.zones {
			_, err := e.api.ZoneAction(context.WithoutCancel(ctx), z, action, client.DrainRequest{Reason: "bench backlog"})
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	}
	if err := cordon("cordon"); err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, cordon("uncordon")) }()
	start := e.finished()
	began := time.Now()
	if err := e.startRuns(ctx, "bench-noop", n); err != nil {
		return nil, err
	}
	b := &Backlog{Tasks: n, StartRate: float64(n) / time.Since(began).Seconds()}
	began = time.Now()
	if err := cordon("uncordon"); err != nil {
		return nil, err
	}
	if err := e.drain(ctx, n, start); err != nil {
		return nil, err
	}
	b.Drain = time.Since(began)
	b.DrainRate = float64(n) / b.Drain.Seconds()
	return b, nil
}

// startRuns starts n runs of workflow, startBatch per request from
// producers clients at once.
func (e *env) startRuns(ctx context.Context, workflow string, n int64) error {
	var left atomic.Int64
	left.Store(n)
	var wg sync.WaitGroup
	errs := make([]error, producers)
	for i := range producers {
		wg.Go(func() {
			for {
				k := min(left.Add(-startBatch)+startBatch, startBatch)
				if k <= 0 {
					return
				}
				if _, err := e.api.StartRuns(ctx, workflow, make([]client.StartRunRequest, k)); err != nil {
					errs[i] = fmt.Errorf("start runs: %w", err)
					return
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
