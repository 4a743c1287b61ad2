package engine_test

import (
	"context"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/storetest"
)

// TestHeartbeatLatencyBesideTheLargestStart measures heartbeat latency
// while the largest start the default limits accept (100 runs of a
// 5000-task workflow: 500,000 tasks; BATON_MEASURE_RUNS sets fewer) runs,
// split into transactions of max_rows_per_tx rows. Set BATON_MEASURE=1 to
// run it; it logs the figures recorded in docs/performance.md.
func TestHeartbeatLatencyBesideTheLargestStart(t *testing.T) {
	if os.Getenv("BATON_MEASURE") == "" {
		t.Skip("a measurement: set BATON_MEASURE=1")
	}
	storetest.ForEach(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		e := engine.New(s, engine.Config{})
		if _, err := e.Apply(ctx, []engine.Source{{Filename: "wide.yaml",
			Text: []byte(wideWorkflow("wide", engine.DefaultMaxTasksPerWorkflow))}}, "user:test"); err != nil {
			t.Fatal(err)
		}
		w, err := e.RegisterWorker(ctx, engine.WorkerSpec{Zone: "a", Capacity: 1})
		if err != nil {
			t.Fatal(err)
		}
		beat := func() time.Duration {
			start := time.Now()
			if _, err := e.Heartbeat(ctx, w.ID, nil); err != nil {
				t.Errorf("heartbeat: %v", err)
			}
			return time.Since(start)
		}
		var idle []time.Duration
		for range 50 {
			idle = append(idle, beat())
		}
		var busy []time.Duration
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				case <-time.After(50 * time.Millisecond): // a heartbeat interval, scaled down
				}
				busy = append(busy, beat())
			}
		})
		start := time.Now()
		runs := engine.DefaultMaxRunsPerBatch
		if n, err := strconv.Atoi(os.Getenv("BATON_MEASURE_RUNS")); err == nil {
			runs = n
		}
		if _, err := e.StartRuns(ctx, make4("wide", runs)); err != nil {
			t.Fatal(err)
		}
		took := time.Since(start)
		close(stop)
		wg.Wait()
		q := func(d []time.Duration, p float64) time.Duration {
			d = slices.Sorted(slices.Values(d))
			if len(d) == 0 {
				return 0
			}
			return d[min(len(d)-1, int(float64(len(d))*p))]
		}
		t.Logf("start of %d runs of %d tasks took %v; heartbeats idle p50 %v p99 %v; during the start n=%d p50 %v p99 %v max %v",
			runs, engine.DefaultMaxTasksPerWorkflow, took.Round(time.Millisecond), q(idle, .5), q(idle, .99), len(busy), q(busy, .5), q(busy, .99), q(busy, 1))
	})
}
