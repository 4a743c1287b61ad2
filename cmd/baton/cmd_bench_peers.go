package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/baton-sched/baton/internal/bench"
)

func newBenchPeersCmd(g *globals) *cobra.Command {
	var (
		cfg      bench.PeersConfig
		jsonPath string
	)
	cmd := &cobra.Command{
		Use:   "peers",
		Short: "Compare Baton's noop throughput with River's in the same run",
		Long: "Runs River's insert-and-work loop of no-op jobs (the river-bench binary, built from\n" +
			"bench/peers by `make bench-peers`) and Baton's noop scenario in turn, River first, each on a\n" +
			"fresh PostgreSQL database, for --rounds rounds, and prints each round (throughput, worst\n" +
			"window, CPU and WAL per task, connections idle in transaction) and the median ratio\n" +
			"Baton / River.",
		Example: "  baton bench peers --river bin/river-bench\n  baton bench peers --river bin/river-bench --rounds 1 --duration 20s",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := g.checkOutput(); err != nil {
				return err
			}
			if _, err := os.Stat(cfg.River); err != nil {
				return fmt.Errorf("--river: %w (build it with `make bench-peers`)", err)
			}
			dir, err := os.MkdirTemp("", "baton-bench-peers-")
			if err != nil {
				return err
			}
			defer func() { _ = os.RemoveAll(dir) }()
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			cfg.Dir = dir
			cfg.Progress = func(format string, args ...any) {
				fmt.Fprintf(cmd.ErrOrStderr(), time.Now().Format("15:04:05 ")+format+"\n", args...)
			}
			c, err := bench.Compare(ctx, cfg)
			if err != nil {
				return err
			}
			if jsonPath != "" {
				data, err := json.MarshalIndent(c, "", "  ")
				if err != nil {
					return err
				}
				if err := os.WriteFile(jsonPath, append(data, '\n'), 0o644); err != nil {
					return err
				}
			}
			if g.jsonOutput() {
				return printJSON(cmd.OutOrStdout(), c)
			}
			return bench.WritePeers(cmd.OutOrStdout(), c)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.River, "river", "bin/river-bench", "the river-bench binary (make bench-peers builds it)")
	f.StringVar(&cfg.AdminDSN, "postgres", cmp.Or(os.Getenv("BATON_TEST_POSTGRES"),
		"postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"),
		"PostgreSQL server to create the bench databases on (env BATON_TEST_POSTGRES)")
	f.IntVar(&cfg.Rounds, "rounds", 3, "rounds of River then Baton")
	f.DurationVar(&cfg.Duration, "duration", 60*time.Second, "length of each measurement")
	f.DurationVar(&cfg.Window, "window", 5*time.Second, "throughput is reported per window of this length")
	f.IntVar(&cfg.Workers, "workers", 4, "Baton's worker agents")
	f.Float64Var(&cfg.Capacity, "capacity", 500, "capacity of each Baton worker in CU")
	f.Int32Var(&cfg.PoolSize, "pool-size", 0, "Baton's PostgreSQL connections (default 16)")
	f.StringVar(&jsonPath, "json", "", "also write the figures as JSON to this file")
	return cmd
}
