package pgmeter

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/baton-sched/baton/internal/store/storetest"
)

// TestMeterCountsBackendsWALAndIdleTransactions runs a known workload on a
// fresh database: a backend that burns CPU, one that writes WAL, and one
// that sits idle in a transaction. The meter must see each of them.
func TestMeterCountsBackendsWALAndIdleTransactions(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	dsn := storetest.CreateDatabase(t)
	busy, idle := connect(t, dsn), connect(t, dsn)
	m, err := Start(ctx, Config{DSN: dsn, Sample: 10 * time.Millisecond, Idle: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	tx, err := idle.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // the test ends
	if _, err := tx.Exec(ctx, "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a sample of the idle transaction", func() bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		return m.idleMax >= 1
	})
	// A backend that started after Start is counted from zero.
	late := connect(t, dsn)
	_, err = late.Exec(ctx, `CREATE TABLE w (v TEXT);
		INSERT INTO w SELECT repeat('x', 100) FROM generate_series(1, 20000)`)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a sample of the late backend", func() bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		return len(m.backends) >= 3
	})
	before, err := CPUTime(backendPID(t, busy))
	if err != nil {
		t.Fatal(err)
	}
	// Enough work to show in /proc's 10 ms clock ticks.
	for {
		if _, err := busy.Exec(ctx, "SELECT count(*) FROM generate_series(1, 1000000)"); err != nil {
			t.Fatal(err)
		}
		if now, _ := CPUTime(backendPID(t, busy)); now-before >= 50*time.Millisecond {
			break
		}
	}
	c, err := m.Stop(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	if c.Tasks != 100 || c.DatabaseCPU < 500 || c.CPUPerTask != c.ProcessCPU+c.DatabaseCPU {
		t.Errorf("cpu: %+v, want >= 50ms of database CPU over 100 tasks, summed with the process's", c)
	}
	// WAL is the cluster's: other tests writing to the same PostgreSQL
	// can push the idle rate past this load's, so the net figure may be 0;
	// the raw WAL holds the 2 MB inserted whatever else runs.
	if c.WALBytes < 2_000_000 || c.WALPerTask < 0 || c.WALPerTask > float64(c.WALBytes)/100 {
		t.Errorf("wal: %+v, want the 2 MB inserted, and per task at most the raw WAL's share", c)
	}
	if c.IdleInTxMax < 1 || c.IdleInTx <= 0 || c.Samples < 2 || c.Backends < 3 {
		t.Errorf("idle in transaction: %+v, want seen in the samples of three backends", c)
	}
}

// TestMeterWithoutDatabase measures the process alone, as on SQLite.
func TestMeterWithoutDatabase(t *testing.T) {
	m, err := Start(t.Context(), Config{})
	if err != nil {
		t.Fatal(err)
	}
	before, err := CPUTime(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	x := 0
	for now := before; now-before < 30*time.Millisecond; now, _ = CPUTime(os.Getpid()) {
		for i := range 1_000_000 {
			x += i
		}
	}
	_ = x
	c, err := m.Stop(t.Context(), 3)
	if err != nil {
		t.Fatal(err)
	}
	if c.ProcessCPU < 10_000 || c.DatabaseCPU != 0 || c.WALBytes != 0 || c.Samples != 0 {
		t.Errorf("cost %+v, want >= 30ms of process CPU over 3 tasks and nothing of a database", c)
	}
}

func connect(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func backendPID(t *testing.T, conn *pgx.Conn) int {
	t.Helper()
	var pid int
	if err := conn.QueryRow(t.Context(), "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	return pid
}

// waitFor polls cond until it holds, for at most 10 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond) // polling with a deadline
	}
}
