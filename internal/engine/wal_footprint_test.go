package engine_test

import (
	"context"
	"regexp"
	"strconv"
	"testing"
)

// blockRef finds the relations a WAL record writes in pg_walinspect's
// block_ref column ("blkref #0: rel 1663/16384/16390 fork main blk 7").
var blockRef = regexp.MustCompile(`rel \d+/(\d+)/(\d+)`)

// BenchmarkWALByRelation runs one-task noop runs as BenchmarkHotFootprint
// does and reports which tables and indexes a task's WAL goes to: every
// record the database's backends wrote meanwhile (pg_walinspect), its
// bytes counted against the relation of its first block, and commits and
// other records without a block apart. Records with a block in another
// database are left out; those without one (commits) name no database,
// so they are counted whatever theirs: run it on a quiet server.
//
//	go test ./internal/engine -run X -bench WALByRelation -benchtime 30x
func BenchmarkWALByRelation(b *testing.B) {
	ctx := context.Background()
	f := newFootprint(b)
	if _, err := f.conn.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS pg_walinspect"); err != nil {
		b.Skipf("pg_walinspect is not installed: %v", err)
	}
	var dbOID string
	if err := f.conn.QueryRow(ctx, "SELECT oid::text FROM pg_database WHERE datname = current_database()").Scan(&dbOID); err != nil {
		b.Fatal(err)
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
	var total int64
	for name, n := range walByRelation(b, f, start, dbOID) {
		b.ReportMetric(float64(n)/float64(done), "B/task:"+name)
		total += n
	}
	b.ReportMetric(float64(total)/float64(done), "wal-B/task")
}

// walByRelation sums the length of the WAL records since start by the
// relation (name) of their first block, for the records of database
// dbOID; records without a block count as "no-block".
func walByRelation(b *testing.B, f *footprint, start, dbOID string) map[string]int64 {
	ctx := context.Background()
	rows, err := f.conn.Query(ctx, `SELECT record_length, coalesce(block_ref, '')
		FROM pg_get_wal_records_info($1::pg_lsn, pg_current_wal_flush_lsn())`, start)
	if err != nil {
		b.Fatal(err)
	}
	byNode := map[string]int64{}
	for rows.Next() {
		var n int64
		var ref string
		if err := rows.Scan(&n, &ref); err != nil {
			b.Fatal(err)
		}
		m := blockRef.FindStringSubmatch(ref)
		switch {
		case m == nil:
			byNode["no-block"] += n
		case m[1] == dbOID:
			byNode[m[2]] += n
		}
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	out := map[string]int64{}
	for node, n := range byNode {
		name := node
		if _, err := strconv.ParseInt(node, 10, 64); err == nil {
			err := f.conn.QueryRow(ctx, "SELECT coalesce(pg_filenode_relation(0, $1::text::oid)::regclass::text, $1::text)",
				node).Scan(&name)
			if err != nil {
				b.Fatal(err)
			}
		}
		out[name] += n
	}
	return out
}
