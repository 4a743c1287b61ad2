package bench

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/chaos"
)

// failover measures failover with chaos.MeasureFailover on a cluster of
// real processes (the baton binary) with the default timing, on a fresh
// database of its own; first crash-and-restart (a worker killed and
// started again at once, as a supervisor does), then machine loss.
func failover(ctx context.Context, cfg Config) (crash, loss *Summary, err error) {
	if cfg.Binary == "" {
		return nil, nil, errors.New("failover needs the baton binary (Config.Binary)")
	}
	db, err := newDatabase(ctx, "postgres", cfg.AdminDSN, cfg.Dir)
	if err != nil {
		return nil, nil, err
	}
	defer db.drop()
	dir := filepath.Join(cfg.Dir, "failover")
	c, err := chaos.Start(ctx, chaos.Config{Binary: cfg.Binary, Dir: dir, DSN: db.dsn, PlainHTTP: cfg.PlainHTTP})
	if err != nil {
		return nil, nil, err
	}
	defer c.Close()
	restarts, err := crashRestart(ctx, c, dir, cfg.FailoverTrials)
	if err != nil {
		return nil, nil, fmt.Errorf("crash and restart: %w", err)
	}
	samples, err := chaos.MeasureFailover(ctx, c, dir, cfg.FailoverTrials)
	if err != nil {
		return nil, nil, err
	}
	cs, ls := summarize(restarts), summarize(samples)
	return &cs, &ls, nil
}

// crashRestart times, over trials, SIGKILL of the only worker running a
// long task followed at once by a new process of that worker (same name,
// same work directory) → the task's next attempt running. The new process
// finds its predecessor's lock free and hands the old attempt over at
// once; without that the task would wait for the old lease. The worker is
// stopped at the end, so that the cluster has no worker left.
func crashRestart(ctx context.Context, c *chaos.Cluster, dir string, trials int) ([]time.Duration, error) {
	def := fmt.Sprintf("name: crash-restart\ntasks:\n  - {name: work, run: %q}\n",
		chaos.WitnessCommand(filepath.Join(dir, "crash-witness"), 600, 100*time.Millisecond))
	api := c.Client()
	if _, err := api.Apply(ctx, []client.SourceFile{{Filename: "crash-restart.yaml", Content: def}}); err != nil {
		return nil, err
	}
	w, err := c.AddWorker(ctx, chaos.WorkerSpec{Name: "phoenix", Zone: "a", Capacity: 1})
	if err != nil {
		return nil, err
	}
	var samples []time.Duration
	for i := range trials {
		run, err := api.StartRun(ctx, "crash-restart", client.StartRunRequest{})
		if err != nil {
			return nil, err
		}
		if _, err := runningAttempt(ctx, api, run.ID, 1); err != nil {
			return nil, err
		}
		killed := time.Now()
		if err := w.Kill(); err != nil {
			return nil, err
		}
		<-w.Exited()
		if err := w.Start(); err != nil {
			return nil, err
		}
		second, err := runningAttempt(ctx, api, run.ID, 2)
		if err != nil {
			return nil, fmt.Errorf("trial %d: %w", i, err)
		}
		samples = append(samples, second.StartedAt.Sub(killed))
		if _, err := api.CancelRun(ctx, run.ID, "trial over"); err != nil {
			return nil, err
		}
	}
	if err := w.Terminate(time.Minute); err != nil {
		return nil, err
	}
	return samples, nil
}

// runningAttempt waits until attempt number n of the run's first task runs.
func runningAttempt(ctx context.Context, api *client.Client, runID, n int64) (client.Attempt, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		as, err := api.Attempts(ctx, runID)
		if err != nil {
			return client.Attempt{}, err
		}
		for _, a := range as {
			if a.Number == n && a.State == "running" {
				return a, nil
			}
		}
		select {
		case <-ctx.Done():
			return client.Attempt{}, fmt.Errorf("attempt %d of run %d not running: %w", n, runID, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}
