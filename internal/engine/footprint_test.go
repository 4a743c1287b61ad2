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

// BenchmarkEventFootprint runs one-task noop runs on PostgreSQL as the
// noop benchmark drives them (bulk starts of 100, claims of 25, start and
// finish reported together) and reports what the audit trail costs per
// task: rows of the events table, its bytes with its indexes, and the
// events the API lists.
func BenchmarkEventFootprint(b *testing.B) {
	ctx := context.Background()
	e, s, conn := onePostgres(b)
	w, err := e.RegisterWorker(ctx, engine.WorkerSpec{Zone: "a", Capacity: 1000})
	if err != nil {
		b.Fatal(err)
	}
	measure := func() (rows, bytes int64) {
		if _, err := conn.Exec(ctx, "VACUUM ANALYZE events"); err != nil {
			b.Fatal(err)
		}
		if err := conn.QueryRow(ctx, "SELECT count(*), pg_total_relation_size('events') FROM events").Scan(&rows, &bytes); err != nil {
			b.Fatal(err)
		}
		return rows, bytes
	}
	rows0, bytes0 := measure()
	var first, last int64
	done := 0
	for b.Loop() {
		reqs := make([]engine.StartRequest, 100)
		for i := range reqs {
			reqs[i] = engine.StartRequest{Workflow: "one", Actor: "user:bench"}
		}
		st, err := e.StartRuns(ctx, reqs)
		if err != nil {
			b.Fatal(err)
		}
		if first == 0 {
			first = st[0].Run.ID
		}
		last = st[len(st)-1].Run.ID
		for {
			as, err := e.Claim(ctx, engine.ClaimRequest{WorkerID: w.ID, Max: 25, FreeCU: 1000})
			if err != nil {
				b.Fatal(err)
			}
			if len(as) == 0 {
				break
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
	}
	b.StopTimer()
	rows, bytes := measure()
	var listed int
	err = s.Read(ctx, func(tx store.Tx) error {
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

// onePostgres returns an engine on a fresh PostgreSQL database with the
// one-task workflow "one" applied, its store, and a connection to the
// database for measuring it.
func onePostgres(b *testing.B) (*engine.Engine, store.Store, *pgx.Conn) {
	ctx := context.Background()
	dsn := storetest.CreateDatabase(b)
	s, err := postgres.Open(ctx, postgres.Config{DSN: dsn})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close(ctx) })
	e := engine.New(s, engine.Config{})
	src := engine.Source{Filename: "one.yaml", Text: []byte("name: one\ntasks:\n  - {name: t, run: \"true\"}\n")}
	if _, err := e.Apply(ctx, []engine.Source{src}, "bench"); err != nil {
		b.Fatal(err)
	}
	return e, s, conn
}
