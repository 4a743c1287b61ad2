package server_test

import (
	"context"
	"testing"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store/storetest"
)

// BenchmarkProtocolLifecycle is the engine's lifecycle loop spoken over
// HTTP, the client library on one side and the server's handlers on the
// other: each op starts 100 one-task runs in a batch, claims them (one
// claim) and reports their starts and finishes (one batch). With
// -benchmem, allocs/op and B/op are those of 100 tasks, client and server
// together (docs/performance.md, "Worker protocol costs").
func BenchmarkProtocolLifecycle(b *testing.B) {
	for _, d := range storetest.Dialects {
		b.Run(d.Name, func(b *testing.B) {
			c, _ := serve(b, d.Open(b), engine.Config{})
			ctx := context.Background()
			if _, err := c.Apply(ctx, []client.SourceFile{{Filename: "one.yaml",
				Content: "name: one\ntasks:\n  - {name: t, noop: true}\n"}}); err != nil {
				b.Fatal(err)
			}
			reg, err := c.Register(ctx, client.RegisterRequest{Name: "w", Zone: "a", Capacity: 1000})
			if err != nil {
				b.Fatal(err)
			}
			const batch = 100
			reqs := make([]client.StartRunRequest, batch)
			b.ResetTimer()
			for b.Loop() {
				if _, err := c.StartRuns(ctx, "one", reqs); err != nil {
					b.Fatal(err)
				}
				as, err := c.Claim(ctx, reg.Worker.ID, client.ClaimRequest{Max: batch, FreeCU: 1000})
				if err != nil || len(as) != batch {
					b.Fatalf("claimed %d of %d: %v", len(as), batch, err)
				}
				reports := make([]client.Report, 0, 2*len(as))
				for _, a := range as {
					reports = append(reports, client.Report{AttemptID: a.AttemptID, Kind: "start"},
						client.Report{AttemptID: a.AttemptID, Kind: "finish", State: "succeeded"})
				}
				res, err := c.Report(ctx, reg.Worker.ID, reports)
				if err != nil || len(res) != len(reports) || res[len(res)-1].Status != 200 {
					b.Fatalf("report: %d results, %v", len(res), err)
				}
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "tasks/s")
		})
	}
}
