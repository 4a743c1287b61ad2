package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/server"
)

// RetentionImpact compares API reads over the history and sustained noop
// throughput while retention deletes expired runs against the same
// without: ratios near 1 mean the deletes cost the workload nothing.
type RetentionImpact struct {
	// Expired is the finished attempts of the expired runs loaded;
	// Deleted the rows retention deleted (runs, tasks, attempts, events)
	// in Took, in Batches transactions, until the measurement ended.
	Expired int64         `json:"expired_attempts"`
	Deleted int64         `json:"deleted_rows"`
	Batches int           `json:"batches"`
	Took    time.Duration `json:"took_ns"`
	// Without, With and After are the workload's figures in three phases
	// one after the other: before retention, while it deletes, and once
	// it has stopped, so that a drift of the machine or the database over
	// the run (autovacuum after the bulk load) shows in both phases
	// without it rather than in the ratio.
	Without HistoryLoad `json:"without"`
	With    HistoryLoad `json:"with"`
	After   HistoryLoad `json:"after"`
	// Ratios, with over the mean of without and after: read latency p50
	// and p99 over every read, noop runs finished per second.
	ReadP50Ratio    float64 `json:"read_p50_ratio"`
	ReadP99Ratio    float64 `json:"read_p99_ratio"`
	ThroughputRatio float64 `json:"throughput_ratio"`
}

// HistoryLoad is what a mixed workload did: API reads over the history,
// and noop runs started and finished.
type HistoryLoad struct {
	Span      time.Duration `json:"span_ns"`
	Reads     Summary       `json:"reads"`
	PerSecond float64       `json:"runs_per_second"`
}

// retentionImpact loads expired runs (of bench-expired, which keeps its
// runs 45 days, finished 60 days ago), then runs the mixed workload for
// phase without retention, again while a retention pass deletes them
// (until it ends, or phase is over: then the pass is stopped), and a
// third time without.
func (e *env) retentionImpact(ctx context.Context, attempts int64, reads map[string]func() error,
	phase time.Duration) (*RetentionImpact, error) {
	first, last, err := e.loadHistory(ctx, "bench-expired", max(attempts/historyTasks, 1), 60*24*time.Hour)
	if err != nil {
		return nil, fmt.Errorf("load expired runs: %w", err)
	}
	out := &RetentionImpact{Expired: (last - first + 1) * historyTasks}
	if out.Without, err = e.mixedLoad(ctx, reads, phase, nil); err != nil {
		return nil, err
	}
	ret := server.NewRetainer(e.engine, server.RetentionConfig{Interval: -1})
	deleting := make(chan struct{})
	var res server.RetentionResult
	began := time.Now()
	retCtx, stopRet := context.WithCancel(ctx)
	go func() {
		defer close(deleting)
		res = ret.RunOnce(retCtx)
	}()
	out.With, err = e.mixedLoad(ctx, reads, phase, deleting)
	if err == nil {
		// A loaded machine may not finish the first batch within the
		// phase: stopping the pass then would measure no deletion at all.
		err = firstBatch(ctx, ret, deleting)
	}
	stopRet()
	<-deleting
	out.Took = time.Since(began)
	if err != nil {
		return nil, err
	}
	if out.After, err = e.mixedLoad(ctx, reads, phase, nil); err != nil {
		return nil, err
	}
	out.Deleted = res.Runs + res.Tasks + res.Attempts + res.Events + res.Logs
	out.Batches = res.Batches
	if res.Runs == 0 {
		return nil, fmt.Errorf("retention deleted none of the %d expired runs", last-first+1)
	}
	ratio := func(f func(HistoryLoad) float64) float64 {
		without := (f(out.Without) + f(out.After)) / 2
		if without == 0 {
			return 0
		}
		return f(out.With) / without
	}
	out.ReadP50Ratio = ratio(func(l HistoryLoad) float64 { return float64(l.Reads.P50) })
	out.ReadP99Ratio = ratio(func(l HistoryLoad) float64 { return float64(l.Reads.P99) })
	out.ThroughputRatio = ratio(func(l HistoryLoad) float64 { return l.PerSecond })
	return out, nil
}

// mixedLoad starts noop runs (keeping a bounded number unfinished) and
// times the history reads in turn, for d or until stop closes, whichever
// comes first; then lets the runs started finish.
func (e *env) mixedLoad(ctx context.Context, reads map[string]func() error, d time.Duration,
	stop <-chan struct{}) (HistoryLoad, error) {
	done := e.finished
	start := done()
	var created atomic.Int64
	const batch, backlog = 100, 2000
	load, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	var wg sync.WaitGroup
	var startErr error
	wg.Go(func() {
		reqs := make([]client.StartRunRequest, batch)
		for load.Err() == nil {
			if created.Load()-(done()-start) > backlog-batch {
				_ = client.Wait(load, 2*time.Millisecond)
				continue
			}
			runs, err := e.api.StartRuns(load, "bench-noop", reqs)
			if err != nil && load.Err() == nil {
				startErr = fmt.Errorf("start runs: %w", err)
				stopLoad()
				return
			}
			created.Add(int64(len(runs)))
		}
	})
	began := time.Now()
	timer := time.NewTimer(d)
	defer timer.Stop()
	var ds []time.Duration
	var readErr error
loop:
	for {
		for _, name := range apiReads {
			select {
			case <-timer.C:
				break loop
			case <-stop:
				break loop
			case <-load.Done():
				break loop
			default:
			}
			t0 := time.Now()
			if err := reads[name](); err != nil {
				readErr = fmt.Errorf("%s: %w", name, err)
				break loop
			}
			ds = append(ds, time.Since(t0))
		}
	}
	span := time.Since(began)
	finished := done() - start
	stopLoad()
	wg.Wait()
	if err := firstErr(readErr, startErr); err != nil {
		return HistoryLoad{}, err
	}
	out := HistoryLoad{Span: span, Reads: summarize(ds), PerSecond: float64(finished) / span.Seconds()}
	return out, e.drain(ctx, created.Load(), start)
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// firstBatch waits until ret's pass has deleted runs or has ended.
func firstBatch(ctx context.Context, ret *server.Retainer, ended <-chan struct{}) error {
	for ret.Deleted("runs") == 0 {
		select {
		case <-ended:
			return nil
		case <-ctx.Done():
			return fmt.Errorf("retention's first batch: %w", ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}
