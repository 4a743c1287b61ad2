package chaos_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/chaos"
	"github.com/baton-sched/baton/internal/store/storetest"
)

// BenchmarkFailover measures failover with the default timing (lease 3 s,
// heartbeat 1 s, sweep 500 ms): a worker running a task is killed with
// SIGKILL, and the time until the task's next attempt runs on another
// worker is one sample. It runs BATON_FAILOVER_TRIALS trials (default 20)
// whatever b.N, and reports p50, p99 and the maximum.
func BenchmarkFailover(b *testing.B) {
	trials := 20
	if n, err := strconv.Atoi(os.Getenv("BATON_FAILOVER_TRIALS")); err == nil && n > 0 {
		trials = n
	}
	for range b.N {
		samples := failoverTrials(b, trials)
		slices.Sort(samples)
		p := func(q float64) time.Duration { return samples[min(len(samples)-1, int(q*float64(len(samples))))] }
		b.ReportMetric(float64(p(0.5).Milliseconds()), "p50-ms")
		b.ReportMetric(float64(p(0.99).Milliseconds()), "p99-ms")
		b.ReportMetric(float64(samples[len(samples)-1].Milliseconds()), "max-ms")
		b.Logf("failover over %d trials: p50 %v, p99 %v, max %v; all: %v", len(samples), p(0.5), p(0.99),
			samples[len(samples)-1], samples)
	}
}

// failoverTrials kills a fresh worker under a running task trials times
// and returns how long each task took to run again elsewhere.
func failoverTrials(b *testing.B, trials int) []time.Duration {
	ctx := b.Context()
	c := startBenchCluster(b)
	def := fmt.Sprintf("name: long\ntasks:\n  - {name: work, run: %q}\n",
		chaos.WitnessCommand(filepath.Join(b.TempDir(), "witness"), 600, 100*time.Millisecond))
	if _, err := c.Client().Apply(ctx, []client.SourceFile{{Filename: "long.yaml", Content: def}}); err != nil {
		b.Fatal(err)
	}
	for _, zone := range []string{"b", "c"} {
		if _, err := c.AddWorker(ctx, chaos.WorkerSpec{Name: "spare-" + zone, Zone: zone, Capacity: 1}); err != nil {
			b.Fatal(err)
		}
	}
	var samples []time.Duration
	for i := range trials {
		// The spares' zones are cordoned while the victim takes the task.
		for _, zone := range []string{"b", "c"} {
			if _, err := c.Client().ZoneAction(ctx, zone, "cordon", client.DrainRequest{}); err != nil {
				b.Fatal(err)
			}
		}
		victim, err := c.AddWorker(ctx, chaos.WorkerSpec{Name: fmt.Sprintf("victim-%d", i), Zone: "a", Capacity: 1})
		if err != nil {
			b.Fatal(err)
		}
		run, err := c.Client().StartRun(ctx, "long", client.StartRunRequest{})
		if err != nil {
			b.Fatal(err)
		}
		first := waitAttempt(b, c, run.ID, 1)
		for _, zone := range []string{"b", "c"} {
			if _, err := c.Client().ZoneAction(ctx, zone, "uncordon", client.DrainRequest{}); err != nil {
				b.Fatal(err)
			}
		}
		killed := time.Now()
		if err := victim.Kill(); err != nil {
			b.Fatal(err)
		}
		second := waitAttempt(b, c, run.ID, 2)
		if second.Zone == first.Zone {
			b.Fatalf("trial %d: the task ran again in zone %s", i, second.Zone)
		}
		samples = append(samples, second.StartedAt.Sub(killed))
		if _, err := c.Client().CancelRun(ctx, run.ID, "trial over"); err != nil {
			b.Fatal(err)
		}
	}
	return samples
}

func startBenchCluster(b *testing.B) *chaos.Cluster {
	b.Helper()
	dsn := storetest.CreateDatabase(b)
	c, err := chaos.Start(b.Context(), chaos.Config{Binary: binary, Dir: b.TempDir(), DSN: dsn})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.Close)
	return c
}

// waitAttempt waits until attempt number n of the run's task runs.
func waitAttempt(b *testing.B, c *chaos.Cluster, runID, n int64) client.Attempt {
	b.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		as, err := c.Client().Attempts(b.Context(), runID)
		if err != nil {
			b.Fatal(err)
		}
		for _, a := range as {
			if a.Number == n && a.State == "running" {
				return a
			}
		}
		time.Sleep(20 * time.Millisecond) // poll interval
	}
	b.Fatalf("attempt %d of run %d never ran", n, runID)
	return client.Attempt{}
}
