package engine_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/baton-sched/baton/internal/engine"
)

// BenchmarkStartKeys starts batches of 100 one-task runs on PostgreSQL
// the two ways a client makes a retried start safe: a random key for
// every run (what the client library did), or one key for the request.
// It reports runs/s and the bytes per run of the unique index on run keys
// and of the table of request keys.
func BenchmarkStartKeys(b *testing.B) {
	for _, mode := range []string{"run-keys", "request-key"} {
		b.Run(mode, func(b *testing.B) {
			ctx := context.Background()
			f := newFootprint(b)
			e, conn := f.e, f.conn
			const batch = 100
			runs := 0
			for b.Loop() {
				reqs := make([]engine.StartRequest, batch)
				for i := range reqs {
					reqs[i] = engine.StartRequest{Workflow: "one", Actor: "bench"}
					if mode == "run-keys" {
						reqs[i].IdempotencyKey = fmt.Sprintf("auto-%024x", runs+i)
					}
				}
				key := ""
				if mode == "request-key" {
					key = fmt.Sprintf("%032x", runs)
				}
				if _, err := e.StartRunsOnce(ctx, key, reqs); err != nil {
					b.Fatal(err)
				}
				runs += batch
			}
			b.StopTimer()
			var bytes int64
			err := conn.QueryRow(ctx, "SELECT pg_relation_size('runs_idempotency') + pg_total_relation_size('start_requests')").Scan(&bytes)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(runs)/b.Elapsed().Seconds(), "runs/s")
			b.ReportMetric(float64(bytes)/float64(runs), "key-bytes/run")
		})
	}
}
