package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/baton-sched/baton/internal/chaos"
)

func newChaosCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "chaos",
		Short: "Run failover scenarios: real servers and workers, injected faults, checked invariants",
		Long: "Failover scenarios are YAML files (see docs/chaos.md and scenarios/): a cluster, a workload,\n" +
			"a timeline of faults (kill, stop, cont, restart, partition, latency) and expectations.",
	}
	cmd.AddCommand(newChaosRunCmd(g), newChaosValidateCmd())
	return cmd
}

func newChaosRunCmd(g *globals) *cobra.Command {
	var (
		opts  chaos.Options
		short bool
		quiet bool
	)
	cmd := &cobra.Command{
		Use:   "run FILE...",
		Short: "Run scenarios one after another and check them; exit 1 if any fails",
		Long: "Checks every file first (nothing starts if one is wrong), then for each scenario starts\n" +
			"`baton server` and `baton worker` processes of this binary on a throwaway PostgreSQL\n" +
			"database (or the one it names), drives its workload, injects its faults through signals\n" +
			"and in-process proxies, waits for every run to end and checks the outcome from the\n" +
			"database, the event log, the alerts and the witness file every task writes.\n" +
			"Progress goes to stderr; the report to stdout (-o json for JSON).",
		Example: "  baton chaos run scenarios/*.yaml\n  baton chaos run --short -o json scenarios/worker-kill.yaml",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			if err := g.checkOutput(); err != nil {
				return err
			}
			scenarios, err := loadScenarios(files, short)
			if err != nil {
				return err
			}
			exe, err := os.Executable()
			if err != nil {
				return fmt.Errorf("find the baton binary: %w", err)
			}
			opts.Binary = exe
			w := cmd.ErrOrStderr()
			if quiet {
				w = io.Discard
			}
			opts.Logger = slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			var reports []*chaos.Report
			failed := 0
			for _, sc := range scenarios {
				r := chaos.Run(ctx, sc, opts)
				reports = append(reports, r)
				if !r.Passed {
					failed++
				}
				if ctx.Err() != nil {
					break
				}
			}
			if g.jsonOutput() {
				err = printJSON(cmd.OutOrStdout(), reports)
			} else {
				err = chaos.WriteTable(cmd.OutOrStdout(), reports)
			}
			if err != nil {
				return err
			}
			if failed > 0 {
				return &exitError{code: 1, msg: fmt.Sprintf("%d of %d scenarios failed", failed, len(scenarios))}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&short, "short", false, "run each scenario in its short form (its short: block applied)")
	f.StringVar(&opts.AdminDSN, "postgres", chaos.DefaultAdminDSN(),
		"PostgreSQL server to create throwaway databases on, for scenarios that name none (env BATON_TEST_POSTGRES)")
	f.StringVar(&opts.Dir, "dir", "", "directory for the processes' logs and witness files (default: a temporary one)")
	f.BoolVar(&opts.Keep, "keep", false, "keep the logs of scenarios that passed too")
	f.BoolVar(&opts.PlainHTTP, "no-tls", false, "run the clusters without TLS (only to measure its cost; as tls: false in every scenario)")
	f.BoolVarP(&quiet, "quiet", "q", false, "no progress on stderr, only the report")
	return cmd
}

func newChaosValidateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check scenario files (both their full and short forms) without running them",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			scenarios, err := loadScenarios(files, false)
			if err != nil {
				return err
			}
			for _, sc := range scenarios {
				fmt.Fprintf(cmd.OutOrStdout(), "%s: ok: %s, %d servers, %d workers, %d runs, %d faults\n", sc.File, sc.Name,
					sc.Cluster.Servers, len(sc.WorkerSpecs()), sc.RunTotal(), len(sc.Faults))
			}
			return nil
		},
	}
}

// loadScenarios reads and checks every file, reporting every problem of
// every file before anything starts.
func loadScenarios(files []string, short bool) ([]*chaos.Scenario, error) {
	var out []*chaos.Scenario
	var errs []error
	for _, f := range files {
		sc, err := chaos.LoadScenario(f, short)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, sc)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, &exitError{code: 2, msg: err.Error()}
	}
	return out, nil
}
