package engine_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/postgres"
	"github.com/baton-sched/baton/internal/store/storetest"
)

// footprint is an engine on a fresh PostgreSQL database with a one-task
// workflow and a worker, and a connection of its own for measuring.
type footprint struct {
	e      *engine.Engine
	s      *postgres.Store
	conn   *pgx.Conn
	dsn    string
	worker string
}

func newFootprint(b *testing.B) *footprint {
	ctx := context.Background()
	f := &footprint{dsn: storetest.CreateDatabase(b)}
	conn, err := pgx.Connect(ctx, f.dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close(ctx) })
	f.conn = conn
	f.open(b)
	e := f.e
	src := engine.Source{Filename: "one.yaml", Text: []byte("name: one\ntasks:\n  - {name: t, run: \"true\"}\n")}
	if _, err := e.Apply(ctx, []engine.Source{src}, "bench"); err != nil {
		b.Fatal(err)
	}
	w, err := e.RegisterWorker(ctx, engine.WorkerSpec{Zone: "a", Capacity: 1000})
	if err != nil {
		b.Fatal(err)
	}
	f.worker = w.ID
	return f
}

// open opens the store and an engine on it (again after s.Close).
func (f *footprint) open(b *testing.B) {
	s, err := postgres.Open(context.Background(), postgres.Config{DSN: f.dsn})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	f.s, f.e = s, engine.New(s, engine.Config{})
}

// round starts 100 one-task runs as the noop benchmark drives them (one
// bulk start, claims of 25, start and finish reported together) and
// returns their first and last run IDs and the tasks done.
func (f *footprint) round(b *testing.B) (first, last int64, done int) {
	ctx := context.Background()
	reqs := make([]engine.StartRequest, 100)
	for i := range reqs {
		reqs[i] = engine.StartRequest{Workflow: "one", Actor: "user:bench"}
	}
	st, err := f.e.StartRuns(ctx, reqs)
	if err != nil {
		b.Fatal(err)
	}
	first, last = st[0].Run.ID, st[len(st)-1].Run.ID
	for {
		as, err := f.e.Claim(ctx, engine.ClaimRequest{WorkerID: f.worker, Max: 25, FreeCU: 1000})
		if err != nil {
			b.Fatal(err)
		}
		if len(as) == 0 {
			return first, last, done
		}
		reports := make([]engine.Report, 0, 2*len(as))
		for _, a := range as {
			reports = append(reports,
				engine.Report{AttemptID: a.AttemptID, Kind: engine.ReportStart},
				engine.Report{AttemptID: a.AttemptID, Kind: engine.ReportFinish, State: store.AttemptSucceeded})
		}
		if _, err := f.e.Report(ctx, f.worker, reports); err != nil {
			b.Fatal(err)
		}
		done += len(as)
	}
}

// BenchmarkEventFootprint runs one-task noop runs on PostgreSQL as the
// noop benchmark drives them (bulk starts of 100, claims of 25, start and
// finish reported together) and reports what the audit trail costs per
// task: rows of the events table, its bytes with its indexes, and the
// events the API lists.
func BenchmarkEventFootprint(b *testing.B) {
	ctx := context.Background()
	f := newFootprint(b)
	measure := func() (rows, bytes int64) {
		if _, err := f.conn.Exec(ctx, "VACUUM ANALYZE events"); err != nil {
			b.Fatal(err)
		}
		if err := f.conn.QueryRow(ctx, "SELECT count(*), pg_total_relation_size('events') FROM events").Scan(&rows, &bytes); err != nil {
			b.Fatal(err)
		}
		return rows, bytes
	}
	rows0, bytes0 := measure()
	var first, last int64
	done := 0
	for b.Loop() {
		lo, hi, n := f.round(b)
		if first == 0 {
			first = lo
		}
		last = hi
		done += n
	}
	b.StopTimer()
	rows, bytes := measure()
	var listed int
	err := f.s.Read(ctx, func(tx store.Tx) error {
		for id := first; id <= last; id++ {
			evs, err := tx.Events().List(ctx, store.EventFilter{RunID: id, Limit: 1000})
			if err != nil {
				return err
			}
			listed += len(evs)
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	n := float64(done)
	b.ReportMetric(float64(rows-rows0)/n, "rows/task")
	b.ReportMetric(float64(bytes-bytes0)/n, "bytes/task")
	b.ReportMetric(float64(listed)/n, "events/task")
}
