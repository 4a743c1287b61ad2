package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/baton-sched/baton/internal/auth/oidc"
	"github.com/baton-sched/baton/internal/config"
	"github.com/baton-sched/baton/internal/egress"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/resource"
	"github.com/baton-sched/baton/internal/secrets"
	"github.com/baton-sched/baton/internal/server"
)

// serverFlags declares the flags of config keys that servers read.
func serverFlags(fs *pflag.FlagSet) {
	d := config.Defaults()
	fs.String("addr", d["addr"].(string), "listen address")
	fs.String("database", "", "database: postgres://... or sqlite:PATH")
	fs.Duration("lease-ttl", 4*time.Second, "how long a worker's lease lasts after a heartbeat")
	fs.Duration("heartbeat-interval", 500*time.Millisecond, "how often workers heartbeat")
	fs.Duration("sweep-interval", 500*time.Millisecond, "how often to look for expired leases")
	fs.Int("max-lost", 3, "lost attempts after which a task fails")
	fs.String("bootstrap-token-file", "", "file holding a token secret made the first admin token if there is none "+
		"(make one with baton auth secret)")
	logFlags(fs)
}

func logFlags(fs *pflag.FlagSet) {
	fs.String("log-level", "info", "log level: debug, info, warn, error")
	fs.String("log-format", "text", "log format: text or json")
}

func newServerCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run an API server and its background loops (stateless; run several)",
		Long: "Runs the HTTP API, the worker protocol and the background loops on a database.\n" +
			"Servers hold no state: run two or more on one PostgreSQL database, in different zones.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.config(cmd)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			log := loggerTo(cfg, cmd.ErrOrStderr())
			tlsCfg, err := serverTLS(cfg, log)
			if err != nil {
				return err
			}
			if err := checkListen(ctx, cfg, tlsCfg != nil, log); err != nil {
				return err
			}
			srv, closeStore, err := startServer(ctx, cfg, log, tlsCfg)
			if err != nil {
				return err
			}
			defer closeStore()
			<-ctx.Done()
			srv.Stop()
			return nil
		},
	}
	serverFlags(cmd.Flags())
	serverTLSFlags(cmd.Flags())
	return cmd
}

// startServer opens the database and starts a server on it, serving HTTPS
// when tlsCfg is set.
func startServer(ctx context.Context, cfg config.Config, log *slog.Logger, tlsCfg *tls.Config) (*server.Server, func(), error) {
	policy, err := egress.New(cfg.EgressAllow, cfg.EgressDeny)
	if err != nil {
		return nil, nil, fmt.Errorf("config: %w", err)
	}
	ring, err := secrets.Load(cfg.SecretKeyFile)
	if err != nil {
		return nil, nil, fmt.Errorf("config: %w", err)
	}
	if ring == nil {
		log.Warn("no secret key (secret_key_file or BATON_SECRET_KEY): secrets cannot be set or used")
	}
	st, err := openStore(ctx, cfg.Database, !cfg.Measurement.Deadlines, log)
	if err != nil {
		return nil, nil, err
	}
	if !cfg.Measurement.Deadlines || !cfg.Measurement.HedgedRenewals {
		log.Warn("measurement switches set: not for production", "deadlines", cfg.Measurement.Deadlines,
			"hedged_renewals", cfg.Measurement.HedgedRenewals)
	}
	e := engine.New(st, engine.Config{LeaseTTL: cfg.LeaseTTL, MaxLost: cfg.MaxLost, Logger: log, PublicURL: cfg.PublicURL,
		Secrets: ring, MaxLogBytes: cfg.MaxLogBytes, MaxOutputBytes: cfg.MaxOutputBytes,
		NoTxDeadline: !cfg.Measurement.Deadlines, MaxWriteTx: cfg.MaxWriteTx,
		Limits: engine.Limits{MaxTasksPerWorkflow: cfg.MaxTasksPerWorkflow, MaxRunsPerBatch: cfg.MaxRunsPerBatch,
			MaxRowsPerTx: cfg.MaxRowsPerTx},
		Resources: resource.Limits{MaxBytes: cfg.MaxResourceBytes, MaxFiles: cfg.MaxResourceFiles},
		// A gap of a few sweeps, not one slow sweep, means an outage.
		ResumeAfter: max(cfg.LeaseTTL/2, 4*cfg.SweepInterval)})
	bootstrap, err := secretFrom("", cfg.BootstrapTokenFile, "bootstrap_token_file")
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	sso, err := oidcLogin(cfg)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	srv := server.New(e, server.Config{Addr: cfg.Addr, HeartbeatInterval: cfg.HeartbeatInterval,
		SweepInterval: cfg.SweepInterval, TLS: tlsCfg, PublicURL: cfg.PublicURL, Egress: policy, Logger: log, Zone: cfg.Zone,
		BootstrapToken: bootstrap, OIDC: sso, Retention: server.RetentionConfig{Runs: cfg.Retention.Runs,
			Audit: cfg.Retention.Audit, RequestKeys: cfg.Retention.RequestKeys, Interval: cfg.Retention.Interval, Batch: cfg.Retention.Batch,
			Pause: cfg.Retention.Pause}})
	if err := srv.Start(ctx); err != nil {
		st.Close()
		return nil, nil, err
	}
	return srv, func() { st.Close() }, nil
}

// oidcLogin is the OpenID Connect login of cfg's oidc section, or nil when
// the section is empty.
func oidcLogin(cfg config.Config) (*oidc.Login, error) {
	if !cfg.OIDC.Enabled() {
		return nil, nil
	}
	c := cfg.OIDC
	secret, err := secretFrom(c.ClientSecret, c.ClientSecretFile, "oidc.client_secret_file")
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	c.ClientSecret, c.ClientSecretFile = secret, ""
	return oidc.New(c, nil)
}

func newMigrateCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply database migrations (servers also do this at start)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.config(cmd)
			if err != nil {
				return err
			}
			st, err := openStore(cmd.Context(), cfg.Database, false, logger(cfg))
			if err != nil {
				return err
			}
			defer st.Close()
			cmd.Println("database is up to date")
			return nil
		},
	}
	cmd.Flags().String("database", "", "database: postgres://... or sqlite:PATH")
	logFlags(cmd.Flags())
	return cmd
}
