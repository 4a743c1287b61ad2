package engine_test

import (
	"context"
	"testing"
	"time"
)

// hotTables are the tables a task's state changes write.
var hotTables = []string{"runs", "tasks", "ended_attempts"}

// tableStats is what PostgreSQL's statistics say of the hot tables.
type tableStats struct {
	upd, hot map[string]int64
	index    int64 // bytes of their indexes
}

// stats reads the cumulative statistics of the hot tables once every
// other backend of the database has gone (a backend flushes its counts
// when it exits).
func (f *footprint) stats(b *testing.B) tableStats {
	ctx := context.Background()
	for deadline := time.Now().Add(30 * time.Second); ; {
		var others int
		err := f.conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&others)
		if err != nil {
			b.Fatal(err)
		}
		if others == 0 {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d backends still on the database", others)
		}
		time.Sleep(50 * time.Millisecond) // polling a deadline: nothing signals a backend's exit
	}
	if _, err := f.conn.Exec(ctx, "SELECT pg_stat_force_next_flush(), pg_stat_clear_snapshot()"); err != nil {
		b.Fatal(err)
	}
	st := tableStats{upd: map[string]int64{}, hot: map[string]int64{}}
	rows, err := f.conn.Query(ctx, `SELECT relname, n_tup_upd, n_tup_hot_upd, pg_indexes_size(relid)
		FROM pg_stat_user_tables WHERE relname = ANY($1)`, hotTables)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var upd, hot, index int64
		if err := rows.Scan(&name, &upd, &hot, &index); err != nil {
			b.Fatal(err)
		}
		st.upd[name], st.hot[name] = upd, hot
		st.index += index
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	return st
}

// walLSN is the server's current WAL position in bytes.
func (f *footprint) walLSN(b *testing.B) int64 {
	var lsn int64
	err := f.conn.QueryRow(context.Background(), "SELECT pg_current_wal_lsn() - '0/0'::pg_lsn").Scan(&lsn)
	if err != nil {
		b.Fatal(err)
	}
	return lsn
}

// BenchmarkHotFootprint runs one-task noop runs on PostgreSQL as
// BenchmarkEventFootprint does and reports what a task's state changes
// write: the share of the updates of runs, tasks and attempts that were
// heap-only (no new index entries), WAL bytes per task (the whole
// server's: an upper bound on a shared machine) and the growth of the
// hot tables' indexes per task.
func BenchmarkHotFootprint(b *testing.B) {
	f := newFootprint(b)
	f.s.Close() // its backends flush the setup's counts as they exit
	before := f.stats(b)
	f.open(b)
	wal0 := f.walLSN(b)
	done := 0
	for b.Loop() {
		_, _, n := f.round(b)
		done += n
	}
	b.StopTimer()
	wal := f.walLSN(b) - wal0
	f.s.Close()
	after := f.stats(b)
	n := float64(done)
	for _, t := range hotTables {
		upd := after.upd[t] - before.upd[t]
		if upd > 0 {
			b.ReportMetric(float64(after.hot[t]-before.hot[t])/float64(upd), t+"-hot/upd")
		}
		b.ReportMetric(float64(upd)/n, t+"-upd/task")
	}
	b.ReportMetric(float64(wal)/n, "wal-bytes/task")
	b.ReportMetric(float64(after.index-before.index)/n, "index-bytes/task")
}
