package main

import (
	"cmp"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/config"
	"github.com/baton-sched/baton/internal/egress"
	"github.com/baton-sched/baton/internal/worker"
)

func workerFlags(fs *pflag.FlagSet) {
	d := config.Defaults()
	fs.String("name", "", "worker name, stable across restarts (default: the host name)")
	fs.String("zone", d["zone"].(string), "availability zone of this worker")
	fs.String("group", d["group"].(string), "resource group this worker serves")
	fs.Float64("capacity", d["capacity"].(float64), "capacity in CU")
	fs.StringToString("labels", nil, "labels, e.g. gpu=true,disk=ssd")
	fs.String("workdir", d["workdir"].(string), "directory for attempt working directories")
	fs.String("join-token-file", "", "file holding the join token (or give it with --token or BATON_TOKEN)")
	fs.Duration("shutdown-grace", 30*time.Second,
		"on SIGTERM, how long running tasks may finish before they are killed and run again elsewhere")
	logFlags(fs)
}

func newWorkerCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Run a worker that executes tasks (talks to servers over HTTP only)",
		Long: "Registers with the servers, heartbeats, long-polls for work and runs tasks.\n" +
			"Give several --server URLs to ride through the loss of a server.\n" +
			"SIGTERM stops claiming and lets running tasks finish (up to a grace period).",
		Example: "  baton worker --server https://s1:8420,https://s2:8420 --zone b --capacity 8 --tls-ca ca.pem \\\n" +
			"    --tls-client-cert worker.pem --tls-client-key worker-key.pem\n" +
			"  baton worker drain WORKER_ID --reschedule",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.config(cmd)
			if err != nil {
				return err
			}
			servers := g.servers
			if len(servers) == 0 {
				servers = cfg.Servers
			}
			if env := os.Getenv("BATON_SERVER"); len(servers) == 0 && env != "" {
				servers = []string{env}
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			name := cfg.Name
			if name == "" {
				name, _ = os.Hostname()
			}
			log := loggerTo(cfg, cmd.ErrOrStderr())
			tlsCfg, err := clientTLS(cfg, log)
			if err != nil {
				return err
			}
			if tlsCfg != nil {
				log.Info("worker TLS", "tls_ca", cfg.TLSCA, "tls_client_cert", cfg.TLSClientCert)
			}
			policy, err := egress.New(cfg.EgressAllow, cfg.EgressDeny)
			if err != nil {
				return fmt.Errorf("config: %w", err)
			}
			token, err := secretFrom(cmp.Or(g.token, cfg.JoinToken, cfg.Token), cfg.JoinTokenFile, "join_token_file")
			if err != nil {
				return err
			}
			if token == "" { // a worker joining baton dev on this machine
				token = devFileToken(append(slices.Clone(servers), client.DefaultURL)[:max(len(servers), 1)], devJoinTokenFile)
			}
			if !cfg.Measurement.HedgedRenewals {
				log.Warn("measurement switch set: heartbeats are not hedged; not for production")
			}
			a, err := worker.New(worker.Config{
				Token: token, Servers: servers, Name: name, Zone: cfg.Zone, Group: cfg.Group, Capacity: cfg.Capacity,
				Labels: cfg.Labels, WorkDir: cfg.WorkDir, ShutdownGrace: cfg.ShutdownGrace, TLS: tlsCfg, Egress: policy,
				MaxLogBytes: cfg.MaxLogBytes, MaxOutputBytes: cfg.MaxOutputBytes, Logger: log,
				NoHedge: !cfg.Measurement.HedgedRenewals,
			})
			if err != nil {
				return err
			}
			if err := a.Start(ctx); err != nil {
				return err
			}
			select {
			case <-ctx.Done():
			case <-a.Done(): // drained
			}
			a.Stop()
			return nil
		},
	}
	workerFlags(cmd.Flags())
	cmd.AddCommand(newWorkerDrainCmd(g))
	return cmd
}

// newShimCmd is the hidden process that runs each task: see worker.ShimMain.
func newShimCmd() *cobra.Command {
	return &cobra.Command{
		Use:                "task-shim",
		Hidden:             true,
		DisableFlagParsing: true,
		RunE: func(_ *cobra.Command, args []string) error {
			os.Exit(worker.ShimMain(args))
			return nil
		},
	}
}
