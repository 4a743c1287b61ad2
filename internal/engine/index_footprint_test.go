package engine_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
)

// relSizes is the size in bytes of each table of names and of each of
// their indexes, by relation name.
func (f *footprint) relSizes(b *testing.B, names []string) map[string]int64 {
	rows, err := f.conn.Query(context.Background(), `
		SELECT c.relname, pg_relation_size(c.oid) FROM pg_class c WHERE c.relname = ANY($1)
		UNION ALL
		SELECT i.indexrelname, pg_relation_size(i.indexrelid) FROM pg_stat_user_indexes i WHERE i.relname = ANY($1)`,
		names)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	sizes := map[string]int64{}
	for rows.Next() {
		var name string
		var size int64
		if err := rows.Scan(&name, &size); err != nil {
			b.Fatal(err)
		}
		sizes[name] = size
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	return sizes
}

// BenchmarkIndexFootprint runs one-task noop runs on PostgreSQL as
// BenchmarkEventFootprint does and reports the growth per task of each
// table a task writes and of each of their indexes (logged, one line
// each), and of all their indexes together.
func BenchmarkIndexFootprint(b *testing.B) {
	f := newFootprint(b)
	names := []string{"runs", "tasks", "ended_attempts", "events", "start_requests"}
	before := f.relSizes(b, names)
	done := 0
	for b.Loop() {
		_, _, n := f.round(b)
		done += n
	}
	b.StopTimer()
	after := f.relSizes(b, names)
	keys := make([]string, 0, len(after))
	for k := range after {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var lines []string
	var index int64
	for _, k := range keys {
		d := after[k] - before[k]
		lines = append(lines, fmt.Sprintf("%-24s %8.1f bytes/task", k, float64(d)/float64(done)))
		isTable := false
		for _, t := range names {
			isTable = isTable || t == k
		}
		if !isTable {
			index += d
		}
	}
	b.Logf("%d tasks\n%s", done, strings.Join(lines, "\n"))
	b.ReportMetric(float64(index)/float64(done), "index-bytes/task")
}
