package chaos

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/client/vocab"
)

// MeasureFailover times failover on cluster c: trials times it starts a
// fresh worker in zone a, gives it a long task (the zones b and c of the
// two spare workers it adds are cordoned meanwhile), kills it with SIGKILL
// and measures the time until the task's next attempt runs on another
// worker, by the database clock. The cluster should run with the timing
// to measure and have no other worker.
func MeasureFailover(ctx context.Context, c *Cluster, dir string, trials int) ([]time.Duration, error) {
	def := fmt.Sprintf("name: failover-long\ntasks:\n  - {name: work, run: %q}\n",
		WitnessCommand(filepath.Join(dir, "failover-witness"), 600, 100*time.Millisecond))
	api := c.Client()
	if _, err := api.Apply(ctx, []client.SourceFile{{Filename: "failover-long.yaml", Content: def}}); err != nil {
		return nil, err
	}
	for _, zone := range []string{"b", "c"} {
		if _, err := c.AddWorker(ctx, WorkerSpec{Name: "spare-" + zone, Zone: zone, Capacity: 1}); err != nil {
			return nil, err
		}
	}
	cordon := func(action string) error {
		for _, zone := range []string{"b", "c"} {
			if _, err := api.ZoneAction(ctx, zone, action, client.DrainRequest{Reason: "failover measurement"}); err != nil {
				return err
			}
		}
		return nil
	}
	var samples []time.Duration
	for i := range trials {
		if err := cordon("cordon"); err != nil {
			return nil, err
		}
		victim, err := c.AddWorker(ctx, WorkerSpec{Name: fmt.Sprintf("victim-%d", i), Zone: "a", Capacity: 1})
		if err != nil {
			return nil, err
		}
		run, err := api.StartRun(ctx, "failover-long", client.StartRunRequest{})
		if err != nil {
			return nil, err
		}
		first, err := waitAttempt(ctx, api, run.ID, 1)
		if err != nil {
			return nil, err
		}
		if err := cordon("uncordon"); err != nil {
			return nil, err
		}
		killed := time.Now()
		if err := victim.Kill(); err != nil {
			return nil, err
		}
		second, err := waitAttempt(ctx, api, run.ID, 2)
		if err != nil {
			return nil, err
		}
		if second.Zone == first.Zone {
			return nil, fmt.Errorf("trial %d: the task ran again in zone %s", i, second.Zone)
		}
		samples = append(samples, second.StartedAt.Sub(killed))
		if _, err := api.CancelRun(ctx, run.ID, "trial over"); err != nil {
			return nil, err
		}
	}
	return samples, nil
}

// waitAttempt waits until attempt number n of the run's first task runs.
func waitAttempt(ctx context.Context, api *client.Client, runID, n int64) (client.Attempt, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	var got client.Attempt
	err := poll(ctx, 20*time.Millisecond, func() (bool, error) {
		as, err := api.Attempts(ctx, runID)
		if err != nil {
			return false, err
		}
		for _, a := range as {
			if a.Number == n && a.State == vocab.AttemptRunning {
				got = a
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		return client.Attempt{}, fmt.Errorf("attempt %d of run %d: %w", n, runID, err)
	}
	return got, nil
}
