package engine_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
)

// BenchmarkWALByRelation runs one-task noop runs as BenchmarkHotFootprint
// does and reports which tables and indexes a task's WAL goes to: every
// record written meanwhile (pg_walinspect), its bytes counted against the
// relation of its first block, and commits and other records without a
// block apart. Records with a block in another database are left out;
// those without one (commits) name no database, so they are counted
// whatever theirs: run it on a quiet server.
//
//	go test ./internal/engine -run X -bench WALByRelation -benchtime 30x
func BenchmarkWALByRelation(b *testing.B) {
	ctx := context.Background()
	f := newFootprint(b)
	if _, err := f.conn.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS pg_walinspect"); err != nil {
		b.Skipf("pg_walinspect is not installed: %v", err)
	}
	var start string
	if err := f.conn.QueryRow(ctx, "SELECT pg_current_wal_lsn()::text").Scan(&start); err != nil {
		b.Fatal(err)
	}
	done := 0
	for b.Loop() {
		_, _, n := f.round(b)
		done += n
	}
	b.StopTimer()
	// block_ref reads "blkref #0: rel 1663/16384/16390 fork main blk 7":
	// tablespace, database and file node of each block.
	rows, err := f.conn.Query(ctx, `
		SELECT coalesce(pg_filenode_relation(0, m[2]::oid)::regclass::text, m[2], 'no-block'), sum(record_length)::bigint
		FROM (SELECT record_length, regexp_match(block_ref, 'rel \d+/(\d+)/(\d+)') AS m
		      FROM pg_get_wal_records_info($1::pg_lsn, pg_current_wal_flush_lsn())) AS r
		WHERE m IS NULL OR m[1] = (SELECT oid::text FROM pg_database WHERE datname = current_database())
		GROUP BY 1`, start)
	if err != nil {
		b.Fatal(err)
	}
	type relation struct {
		Name  string
		Bytes int64
	}
	rels, err := pgx.CollectRows(rows, pgx.RowToStructByPos[relation])
	if err != nil {
		b.Fatal(err)
	}
	var total int64
	for _, r := range rels {
		b.ReportMetric(float64(r.Bytes)/float64(done), "B/task:"+r.Name)
		total += r.Bytes
	}
	b.ReportMetric(float64(total)/float64(done), "wal-B/task")
}
