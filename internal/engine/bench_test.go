package engine_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/sqlite"
	"github.com/baton-sched/baton/internal/store/storetest"
)

// BenchmarkLifecycle measures the engine's whole task lifecycle on each
// store, in batches of 100 as workers and bulk starts drive it: start 100
// one-task runs, claim their tasks, report their starts and finishes. The
// metric tasks/s counts completed runs.
func BenchmarkLifecycle(b *testing.B) {
	for _, d := range storetest.Dialects {
		b.Run(d.Name, func(b *testing.B) { benchLifecycle(b, d.Open(b)) })
	}
}

// BenchmarkLifecycleSQLiteSync is BenchmarkLifecycle on SQLite files opened
// with each synchronous mode, side by side in one run, to price durable
// commits (FULL, the default) against NORMAL. Run it on the disk the
// database would live on: a tmpfs makes syncs free.
func BenchmarkLifecycleSQLiteSync(b *testing.B) {
	for _, mode := range []string{"NORMAL", "FULL"} {
		b.Run(mode, func(b *testing.B) {
			s, err := sqlite.OpenWith(context.Background(), filepath.Join(b.TempDir(), "baton.db"), sqlite.Options{Synchronous: mode})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = s.Close() })
			benchLifecycle(b, s)
		})
	}
}

func benchLifecycle(b *testing.B, s store.Store) {
	ctx := context.Background()
	e := engine.New(s, engine.Config{})
	src := engine.Source{Filename: "one.yaml", Text: []byte("name: one\ntasks:\n  - {name: t, run: \"true\"}\n")}
	if _, err := e.Apply(ctx, []engine.Source{src}, "bench"); err != nil {
		b.Fatal(err)
	}
	w, err := e.RegisterWorker(ctx, engine.WorkerSpec{Zone: "a", Capacity: 1000})
	if err != nil {
		b.Fatal(err)
	}
	const batch = 100
	b.ResetTimer()
	done := 0
	for b.Loop() {
		reqs := make([]engine.StartRequest, batch)
		for i := range reqs {
			reqs[i] = engine.StartRequest{Workflow: "one", Actor: "bench"}
		}
		if _, err := e.StartRuns(ctx, reqs); err != nil {
			b.Fatal(err)
		}
		as, err := e.Claim(ctx, engine.ClaimRequest{WorkerID: w.ID, Max: batch, FreeCU: 1000})
		if err != nil {
			b.Fatal(err)
		}
		reports := make([]engine.Report, 0, 2*len(as))
		for _, a := range as {
			reports = append(reports,
				engine.Report{AttemptID: a.AttemptID, Kind: engine.ReportStart},
				engine.Report{AttemptID: a.AttemptID, Kind: engine.ReportFinish, State: store.AttemptSucceeded})
		}
		if _, err := e.Report(ctx, w.ID, reports); err != nil {
			b.Fatal(err)
		}
		done += len(as)
	}
	b.ReportMetric(float64(done)/b.Elapsed().Seconds(), "tasks/s")
}
