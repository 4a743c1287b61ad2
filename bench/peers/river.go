package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/baton-sched/baton/internal/bench/pgmeter"
)

// riverVersion is the River release measured (go.mod pins it).
const riverVersion = "v0.51.2"

// config is what one measurement runs.
type config struct {
	AdminDSN   string
	Duration   time.Duration
	Window     time.Duration
	Producers  int
	Batch      int
	Backlog    int64
	MaxWorkers int
	PoolSize   int
	Idle       time.Duration
	Logger     *slog.Logger
}

func (c config) validate() error {
	switch {
	case c.Duration <= 0 || c.Window <= 0 || c.Window > c.Duration:
		return fmt.Errorf("--duration %v and --window %v: both positive, the window no longer", c.Duration, c.Window)
	case c.Producers < 1 || c.Batch < 1 || c.MaxWorkers < 1 || c.PoolSize < 1:
		return errors.New("--producers, --batch, --max-workers and --pool-size must be at least 1")
	case c.Backlog < int64(c.Batch):
		return fmt.Errorf("--backlog %d: at least one batch (%d)", c.Backlog, c.Batch)
	}
	return nil
}

// result has the JSON shape of Baton's bench.Throughput, plus what ran.
type result struct {
	System         string         `json:"system"`
	Version        string         `json:"version"`
	Duration       string         `json:"duration"`
	Tasks          int64          `json:"tasks"`
	PerSecond      float64        `json:"per_second"`
	Windows        []float64      `json:"windows"`
	MinWindowRatio float64        `json:"min_window_ratio"`
	Cost           *pgmeter.Cost  `json:"cost,omitempty"`
	Settings       map[string]any `json:"settings"`
}

// noopArgs is the job: it does nothing.
type noopArgs struct{}

func (noopArgs) Kind() string { return "noop" }

type noopWorker struct {
	river.WorkerDefaults[noopArgs]
}

func (noopWorker) Work(context.Context, *river.Job[noopArgs]) error { return nil }

// bench migrates River's schema into the database, starts a client with
// the fetch settings River's own benchmark uses, keeps cfg.Backlog jobs
// inserted and not yet completed (cfg.Producers clients inserting
// cfg.Batch at a time) and counts completions per window for
// cfg.Duration.
func bench(ctx context.Context, dsn string, cfg config) (*result, error) {
	pcfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	pcfg.MaxConns = int32(cfg.PoolSize)
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	defer pool.Close()
	driver := riverpgxv5.New(pool)
	migrator, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return nil, fmt.Errorf("migrate river's schema: %w", err)
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, noopWorker{})
	client, err := river.NewClient(driver, &river.Config{
		FetchCooldown:     2 * time.Millisecond,
		FetchPollInterval: 20 * time.Millisecond,
		Logger:            cfg.Logger,
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.MaxWorkers}},
		Workers:           workers,
	})
	if err != nil {
		return nil, err
	}
	var done, lost atomic.Int64
	events, unsubscribe := client.SubscribeConfig(&river.SubscribeConfig{
		// Completions are counted from events: a full channel drops them.
		ChanSize: 200_000,
		Kinds:    []river.EventKind{river.EventKindJobCompleted, river.EventKindJobFailed, river.EventKindJobCancelled},
	})
	defer unsubscribe()
	counted := make(chan struct{})
	go func() {
		defer close(counted)
		for ev := range events {
			if ev.Kind == river.EventKindJobCompleted {
				done.Add(1)
			} else {
				lost.Add(1)
			}
		}
	}()
	if err := client.Start(ctx); err != nil {
		return nil, fmt.Errorf("start river: %w", err)
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		_ = client.Stop(stopCtx)
		unsubscribe()
		<-counted
	}()
	meter, err := pgmeter.Start(ctx, pgmeter.Config{DSN: dsn, Idle: cfg.Idle})
	if err != nil {
		return nil, err
	}
	prodCtx, stopProducers := context.WithCancel(ctx)
	defer stopProducers()
	var inserted atomic.Int64
	failed := make(chan error, cfg.Producers)
	var wg sync.WaitGroup
	for range cfg.Producers {
		wg.Go(func() {
			params := make([]river.InsertManyParams, cfg.Batch)
			for i := range params {
				params[i].Args = noopArgs{}
			}
			for prodCtx.Err() == nil {
				if inserted.Load()-done.Load() > cfg.Backlog-int64(cfg.Batch) {
					wait(prodCtx, 2*time.Millisecond)
					continue
				}
				if _, err := client.InsertMany(prodCtx, params); err != nil {
					if prodCtx.Err() == nil {
						failed <- fmt.Errorf("insert jobs: %w", err)
					}
					return
				}
				inserted.Add(int64(len(params)))
			}
		})
	}
	r, err := measure(ctx, cfg, done.Load, failed)
	var cost *pgmeter.Cost
	if err == nil {
		cost, err = meter.Stop(ctx, r.Tasks)
	} else {
		_, _ = meter.Stop(ctx, 0)
	}
	stopProducers()
	wg.Wait()
	if err != nil {
		return nil, err
	}
	if n := lost.Load(); n > 0 {
		return nil, fmt.Errorf("%d no-op jobs failed or were cancelled", n)
	}
	r.Cost = cost
	r.Settings = map[string]any{"producers": cfg.Producers, "batch": cfg.Batch, "backlog": cfg.Backlog,
		"max_workers": cfg.MaxWorkers, "pool_size": cfg.PoolSize, "fetch_cooldown": "2ms", "fetch_poll_interval": "20ms"}
	return r, nil
}

// measure samples done once per window, as many windows as cfg.Duration
// holds, each starting when the last was sampled, over the time each
// really took, as Baton's bench does; it stops early with an error
// arriving on failed.
func measure(ctx context.Context, cfg config, done func() int64, failed <-chan error) (*result, error) {
	r := &result{System: "river", Version: riverVersion, Duration: cfg.Duration.String()}
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
		r.Windows = append(r.Windows, float64(now-last)/at.Sub(lastAt).Seconds())
		last, lastAt = now, at
	}
	r.Tasks = last - first
	var sum, worst float64
	for i, w := range r.Windows {
		sum += w
		if i == 0 || w < worst {
			worst = w
		}
	}
	r.PerSecond = sum / float64(len(r.Windows))
	if r.PerSecond > 0 {
		r.MinWindowRatio = worst / r.PerSecond
	}
	return r, nil
}

func wait(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
