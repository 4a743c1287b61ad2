// Command river-bench is the peer benchmark of `make bench`: River
// (github.com/riverqueue/river, a job queue on PostgreSQL) running its own
// insert-and-work loop of no-op jobs on a fresh database, for a duration,
// measured the way Baton's noop scenario is measured (completions per
// window, and pgmeter's CPU, WAL and idle-in-transaction figures), so that
// the two can be read as a ratio. It lives in its own module so that the
// baton binary never links River; `baton bench peers` runs it interleaved
// with Baton's noop scenario (docs/performance.md).
//
//	river-bench --duration 60s --json river.json
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	cfg := config{}
	var jsonPath string
	flag.StringVar(&cfg.AdminDSN, "postgres", cmp.Or(os.Getenv("BATON_TEST_POSTGRES"),
		"postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"),
		"PostgreSQL server to create the bench database on (env BATON_TEST_POSTGRES)")
	flag.DurationVar(&cfg.Duration, "duration", 60*time.Second, "how long to measure")
	flag.DurationVar(&cfg.Window, "window", 5*time.Second, "throughput is reported per window of this length")
	flag.IntVar(&cfg.Producers, "producers", 4, "clients inserting jobs at once")
	flag.IntVar(&cfg.Batch, "batch", 500, "jobs per insert (InsertMany)")
	flag.Int64Var(&cfg.Backlog, "backlog", 8000, "jobs inserted and not yet completed that the producers keep")
	flag.IntVar(&cfg.MaxWorkers, "max-workers", 2000, "River's MaxWorkers of the queue")
	flag.IntVar(&cfg.PoolSize, "pool-size", 16, "PostgreSQL connections of the pool")
	flag.DurationVar(&cfg.Idle, "idle", 2*time.Second, "idle interval measured first, whose WAL rate is subtracted")
	flag.StringVar(&jsonPath, "json", "", "also write the figures as JSON to this file (- for stdout)")
	verbose := flag.Bool("v", false, "log River's own messages")
	flag.Parse()
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, jsonPath); err != nil {
		fmt.Fprintln(os.Stderr, "river-bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, cfg config, jsonPath string) error {
	if err := cfg.validate(); err != nil {
		return err
	}
	db, err := createDatabase(ctx, cfg.AdminDSN)
	if err != nil {
		return err
	}
	defer db.drop()
	r, err := bench(ctx, db.dsn, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "river: %.0f jobs/s over %s (%d jobs), worst window / mean %.2f\n",
		r.PerSecond, r.Duration, r.Tasks, r.MinWindowRatio)
	fmt.Fprintf(os.Stderr, "river jobs/s per window: %v\n", r.Windows)
	if c := r.Cost; c != nil {
		fmt.Fprintf(os.Stderr, "river cost per job: %.0f µs CPU (%.0f process + %.0f PostgreSQL), %.0f B WAL; "+
			"idle in transaction %.2f mean, %d max\n", c.CPUPerTask, c.ProcessCPU, c.DatabaseCPU, c.WALPerTask,
			c.IdleInTx, c.IdleInTxMax)
	}
	if jsonPath == "" {
		return nil
	}
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if jsonPath == "-" {
		_, err = os.Stdout.Write(append(data, '\n'))
		return err
	}
	return os.WriteFile(jsonPath, append(data, '\n'), 0o644)
}
