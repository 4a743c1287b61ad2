package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/baton-sched/baton/internal/bench"
)

func newBenchCmd(g *globals) *cobra.Command {
	var (
		cfg      bench.Config
		stores   []string
		jsonPath string
		profile  string
		memprof  string
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure throughput, latency and failover on a fresh database",
		Long: "Runs Baton in this process (a server and workers speaking HTTPS over loopback, mTLS for the\n" +
			"workers, authentication on; --no-tls for plain HTTP) on a fresh\n" +
			"database it creates and drops: on PostgreSQL (--postgres names the server) and on SQLite.\n" +
			"Scenarios: " + fmt.Sprint(bench.Scenarios) + ". The baseline is the raw queue lifecycle of the\n" +
			"same database, so throughput reads as a ratio to what the database can do right now.\n" +
			"Fleet and failover run real server (and worker) processes of this binary; failover on\n" +
			"PostgreSQL only.",
		Example: "  baton bench\n  baton bench --store postgres --only noop,dag --duration 20s\n" +
			"  baton bench --json bench.json\n  baton bench peers --river bin/river-bench",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := g.checkOutput(); err != nil {
				return err
			}
			exe, err := os.Executable()
			if err != nil {
				return err
			}
			dir, err := os.MkdirTemp("", "baton-bench-")
			if err != nil {
				return err
			}
			defer func() { _ = os.RemoveAll(dir) }()
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			cfg.Binary, cfg.Shim = exe, []string{exe, "task-shim"}
			cfg.Progress = func(format string, args ...any) {
				fmt.Fprintf(cmd.ErrOrStderr(), time.Now().Format("15:04:05 ")+format+"\n", args...)
			}
			if profile != "" {
				f, err := os.Create(profile)
				if err != nil {
					return err
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return err
				}
				defer pprof.StopCPUProfile()
			}
			if memprof != "" {
				defer writeMemProfile(cmd, memprof)
			}
			var reports []*bench.Report
			for _, s := range stores {
				if s != "postgres" && s != "sqlite" {
					return fmt.Errorf("--store: %q is neither postgres nor sqlite", s)
				}
				c := cfg
				c.Store, c.Dir = s, dir+"/"+s
				r, err := bench.Run(ctx, c)
				if err != nil {
					return err
				}
				reports = append(reports, r)
			}
			if jsonPath != "" {
				data, err := json.MarshalIndent(reports, "", "  ")
				if err != nil {
					return err
				}
				if err := os.WriteFile(jsonPath, append(data, '\n'), 0o644); err != nil {
					return err
				}
			}
			if g.jsonOutput() {
				return printJSON(cmd.OutOrStdout(), reports)
			}
			return bench.WriteTable(cmd.OutOrStdout(), reports)
		},
	}
	cmd.AddCommand(newBenchPeersCmd(g))
	f := cmd.Flags()
	f.StringSliceVar(&stores, "store", []string{"postgres", "sqlite"}, "stores to measure: postgres, sqlite")
	f.StringVar(&cfg.AdminDSN, "postgres", cmp.Or(os.Getenv("BATON_TEST_POSTGRES"),
		"postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"),
		"PostgreSQL server to create the bench database on (env BATON_TEST_POSTGRES)")
	f.DurationVar(&cfg.Duration, "duration", 60*time.Second, "length of each sustained throughput measurement")
	f.DurationVar(&cfg.Window, "window", 5*time.Second, "throughput is reported per window of this length")
	f.IntVar(&cfg.Workers, "workers", 4, "worker agents")
	f.Float64Var(&cfg.Capacity, "capacity", 500, "capacity of each worker in CU")
	f.Int32Var(&cfg.PoolSize, "pool-size", 0, "PostgreSQL connections per server (default 16)")
	f.StringSliceVar(&cfg.Only, "only", nil, "scenarios to run (default all)")
	f.IntVar(&cfg.FailoverTrials, "failover-trials", 20, "worker kills timed by the failover scenario")
	f.Int64Var(&cfg.Backlog, "backlog", 100_000, "queued tasks the backlog scenario builds, then drains")
	f.Int64Var(&cfg.History, "history", 1_000_000, "finished attempts stored before the history scenario times API reads")
	f.IntVar(&cfg.APIRequests, "api-requests", 100, "requests timed per API read")
	f.IntVar(&cfg.UIRequests, "ui-requests", 50, "renders timed per web UI page (ui scenario, over the --history)")
	f.IntVar(&cfg.Fleet, "fleet", 500, "simulated workers heartbeating against one server process")
	f.IntSliceVar(&cfg.ScaleWorkers, "scale-workers", []int{1, 2, 4, 8}, "worker counts the scale scenario measures noop with")
	f.BoolVar(&cfg.PlainHTTP, "no-tls", false, "plain HTTP instead of TLS (mTLS for workers) in every scenario but tls, which measures both")
	f.StringVar(&cfg.SQLiteSynchronous, "sqlite-synchronous", "FULL",
		"SQLite's synchronous mode in the bench: FULL (as Baton runs) or NORMAL (commits not synced, to price FULL)")
	f.IntVar(&cfg.TLSRounds, "tls-rounds", 2, "interleaved plain-HTTP/TLS pairs the tls scenario runs")
	f.IntVar(&cfg.FeatureRounds, "feature-rounds", 1,
		"rounds (every feature on, then deadlines off, hedged renewals off, TLS off; two servers) the features scenario runs")
	f.StringVar(&jsonPath, "json", "", "also write the figures as JSON to this file")
	f.StringVar(&profile, "cpuprofile", "", "write a CPU profile of the whole bench to this file (go tool pprof)")
	f.StringVar(&memprof, "memprofile", "", "write an allocation profile of the whole bench to this file when it ends (go tool pprof)")
	return cmd
}

// writeMemProfile writes the heap profile (with every allocation since the
// start: pprof's alloc_space and alloc_objects) to path; a failure is only
// reported, the bench's figures stand.
func writeMemProfile(cmd *cobra.Command, path string) {
	f, err := os.Create(path)
	if err == nil {
		err = pprof.Lookup("allocs").WriteTo(f, 0)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "memprofile: %v\n", err)
	}
}
