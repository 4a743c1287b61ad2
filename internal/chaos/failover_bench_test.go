package chaos_test

import (
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/baton-sched/baton/internal/chaos"
	"github.com/baton-sched/baton/internal/store/storetest"
)

// BenchmarkFailover measures failover with the default timing (lease 3 s,
// heartbeat 1 s, sweep 500 ms) with chaos.MeasureFailover: a worker
// running a task is killed with SIGKILL, and the time until the task runs
// on another worker is one sample. It runs BATON_FAILOVER_TRIALS trials
// (default 20) whatever b.N, and reports p50, p99 and the maximum.
func BenchmarkFailover(b *testing.B) {
	trials := 20
	if n, err := strconv.Atoi(os.Getenv("BATON_FAILOVER_TRIALS")); err == nil && n > 0 {
		trials = n
	}
	for range b.N {
		c, err := chaos.Start(b.Context(), chaos.Config{Binary: binary, Dir: b.TempDir(), DSN: storetest.CreateDatabase(b)})
		if err != nil {
			b.Fatal(err)
		}
		samples, err := chaos.MeasureFailover(b.Context(), c, b.TempDir(), trials)
		c.Close()
		if err != nil {
			b.Fatal(err)
		}
		slices.Sort(samples)
		p := func(q float64) time.Duration { return samples[min(len(samples)-1, int(q*float64(len(samples))))] }
		b.ReportMetric(float64(p(0.5).Milliseconds()), "p50-ms")
		b.ReportMetric(float64(p(0.99).Milliseconds()), "p99-ms")
		b.ReportMetric(float64(samples[len(samples)-1].Milliseconds()), "max-ms")
		b.Logf("failover over %d trials: p50 %v, p99 %v, max %v; all: %v", len(samples), p(0.5), p(0.99),
			samples[len(samples)-1], samples)
	}
}
