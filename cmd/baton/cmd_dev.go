package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/auth"
	"github.com/baton-sched/baton/internal/config"
	"github.com/baton-sched/baton/internal/egress"
	"github.com/baton-sched/baton/internal/secrets"
	"github.com/baton-sched/baton/internal/server"
	"github.com/baton-sched/baton/internal/tlsconf"
	"github.com/baton-sched/baton/internal/worker"
)

type devOptions struct {
	dataDir string
	apply   []string
	runs    []string
	workers int
	// again delivers the second Ctrl-C, which kills the running tasks
	// instead of waiting for them (default: SIGINT and SIGTERM).
	again <-chan os.Signal
}

func newDevCmd(g *globals) *cobra.Command {
	var o devOptions
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run everything in one process: a server and workers in zones a, b, c on SQLite",
		Long: "Runs a server and --workers workers (zones a, b, c, ...) in one process, on an embedded\n" +
			"SQLite database in --data-dir. The workers speak the same HTTP protocol as remote ones.\n" +
			"--apply loads workflow files or directories at start; --run starts runs of them.",
		Example: "  baton dev --apply examples/ --run hello",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.config(cmd)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			return runDev(ctx, cmd.OutOrStdout(), cfg, o)
		},
	}
	f := cmd.Flags()
	serverFlags(f)
	f.Lookup("database").Usage = "database (default sqlite:DATA_DIR/baton.db)"
	f.StringVar(&o.dataDir, "data-dir", ".baton", "directory for the database and task working directories")
	f.StringSliceVar(&o.apply, "apply", nil, "workflow file or directory to apply at start (repeatable)")
	f.StringSliceVar(&o.runs, "run", nil, "workflow to start once applied (repeatable)")
	f.IntVar(&o.workers, "workers", 3, "number of workers, one per zone a, b, c, ...")
	f.Float64("capacity", config.Defaults()["capacity"].(float64), "capacity of each worker in CU")
	return cmd
}

func runDev(ctx context.Context, out io.Writer, cfg config.Config, o devOptions) error {
	if o.workers < 1 || o.workers > 26 {
		return fmt.Errorf("--workers: must be between 1 and 26, got %d", o.workers)
	}
	// The data directory holds the database, the tasks' files and (with
	// auth) credentials: this user's only.
	if err := os.MkdirAll(o.dataDir, 0o700); err != nil {
		return fmt.Errorf("--data-dir: %w", err)
	}
	if err := os.Chmod(o.dataDir, 0o700); err != nil {
		return fmt.Errorf("--data-dir: %w", err)
	}
	if cfg.Database == "" {
		cfg.Database = "sqlite:" + filepath.Join(o.dataDir, "baton.db")
	}
	if cfg.SecretKeyFile == "" && os.Getenv("BATON_SECRET_KEY") == "" {
		path, err := devSecretKey(o.dataDir)
		if err != nil {
			return err
		}
		cfg.SecretKeyFile = path
	}
	// dev mode is for this machine: plain HTTP on loopback only.
	if loopback, err := tlsconf.Loopback(ctx, cfg.Addr); !loopback {
		return fmt.Errorf("--addr %s: baton dev listens on loopback only (127.0.0.1, ::1, localhost), in plain HTTP; "+
			"for other machines run baton server with tls_cert and tls_key%s", cfg.Addr, errSuffix(err))
	}
	srv, closeStore, err := startServer(ctx, cfg, logger(cfg), nil)
	if err != nil {
		return err
	}
	defer closeStore()
	defer srv.Stop()
	url := srv.URL()
	// Authentication is on in dev mode too: an admin token for the CLI
	// and a join token for the workers, kept in the data directory (0600).
	admin, err := devToken(ctx, srv, o.dataDir, devAdminTokenFile, "dev-admin", auth.RoleAdmin)
	if err != nil {
		return err
	}
	join, err := devToken(ctx, srv, o.dataDir, devJoinTokenFile, "dev-workers", auth.RoleWorker)
	if err != nil {
		return err
	}
	var agents []*worker.Agent
	defer func() {
		for _, a := range agents {
			a.Stop()
		}
	}()
	policy, err := egress.New(cfg.EgressAllow, cfg.EgressDeny)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	for i := range o.workers {
		zone := string(rune('a' + i))
		a, err := worker.New(worker.Config{
			Servers: []string{url}, Token: join, Name: "dev-" + zone, Zone: zone, Group: cfg.Group,
			Capacity: cfg.Capacity, Labels: cfg.Labels, WorkDir: filepath.Join(o.dataDir, "work", zone),
			Egress: policy, MaxLogBytes: cfg.MaxLogBytes, MaxOutputBytes: cfg.MaxOutputBytes, Logger: logger(cfg),
		})
		if err != nil {
			return err
		}
		if err := a.Start(ctx); err != nil {
			return err
		}
		agents = append(agents, a)
	}
	c, err := client.New([]string{url}, client.WithToken(admin))
	if err != nil {
		return err
	}
	if err := devApply(ctx, out, c, o); err != nil {
		return err
	}
	printBanner(out, url, url+"/login?code="+srv.LoginCode(admin, devLoginLinkTTL), o)
	<-ctx.Done()
	release := stopping(out, agents, o.again)
	defer release()
	for _, a := range agents {
		a.Stop()
	}
	agents = nil
	return nil
}

// stopping says what the stop waits for, and kills the running tasks at
// once if a second signal comes while the workers wait for them (they are
// reported ended before the server stops).
func stopping(out io.Writer, agents []*worker.Agent, again <-chan os.Signal) (release func()) {
	running := 0
	for _, a := range agents {
		running += len(a.Running())
	}
	if running == 0 {
		fmt.Fprintln(out, "\nstopping")
		return func() {}
	}
	fmt.Fprintf(out, "\nstopping: waiting for %d running task(s) to finish (up to %s); press Ctrl-C again to kill them now\n",
		running, worker.DefaultShutdownGrace)
	unnotify := func() {}
	if again == nil {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
		again, unnotify = ch, func() { signal.Stop(ch) }
	}
	stopped := make(chan struct{})
	go func() {
		select {
		case <-again:
			fmt.Fprintln(out, "killing the running tasks")
			for _, a := range agents {
				a.Hurry()
			}
		case <-stopped:
		}
	}()
	return func() { close(stopped); unnotify() }
}

// devApply applies --apply and starts --run through the HTTP API, like a user would.
func devApply(ctx context.Context, out io.Writer, c *client.Client, o devOptions) error {
	if len(o.apply) > 0 {
		files, err := readDefinitions(o.apply, nil)
		if err != nil {
			return err
		}
		applied, err := c.Apply(ctx, files)
		if err != nil {
			return fmt.Errorf("apply %v: %w", o.apply, err)
		}
		for _, a := range applied {
			fmt.Fprintf(out, "applied %s (version %d)\n", a.Workflow, a.Version)
		}
	}
	for _, name := range o.runs {
		run, err := c.StartRun(ctx, name, client.StartRunRequest{})
		if client.IsNotFound(err) {
			return fmt.Errorf("--run %s: no such workflow (apply it with --apply)", name)
		}
		if err != nil {
			return fmt.Errorf("--run %s: %w", name, err)
		}
		fmt.Fprintf(out, "started run %d of %s\n", run.ID, name)
	}
	return nil
}

// devLoginLinkTTL is how long the one-time login link dev prints works.
const devLoginLinkTTL = 10 * time.Minute

func printBanner(out io.Writer, url, loginLink string, o devOptions) {
	fmt.Fprintf(out, `
Baton is running at %s (%d workers in zones a..%c, data in %s)
  Web UI:    %s/
             one-time login link (10 minutes): %s
             (later, log in with the token in %[4]s/admin.token)
  API docs:  %[5]s/api/v1/docs
Try, in another terminal:
  baton runs                       # runs and their states
  baton run hello --wait           # start a run and follow it
  baton run show <run id>          # tasks, attempts, workers, zones
  baton logs <run id> greet        # a task's output
  baton workers                    # the workers and their zones
The CLI finds the admin token in %[4]s/admin.token when run from this directory;
elsewhere: export BATON_TOKEN=$(cat %[4]s/admin.token)
Press Ctrl-C to stop.
`, url, o.workers, 'a'+o.workers-1, o.dataDir, url, loginLink)
}

// devSecretKey returns the dev secret key file of dataDir, created (0600)
// with a new key on first start.
func devSecretKey(dataDir string) (string, error) {
	path := filepath.Join(dataDir, "secret.key")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case errors.Is(err, os.ErrExist):
		return path, nil
	case err != nil:
		return "", fmt.Errorf("create the secret key: %w", err)
	}
	_, err = fmt.Fprintf(f, "# Baton dev secret key (the current key first; see docs/security.md)\n%s\n", secrets.NewKey())
	if err := errors.Join(err, f.Close()); err != nil {
		return "", fmt.Errorf("write the secret key: %w", err)
	}
	return path, nil
}

// The token files of baton dev in its data directory.
const (
	devAdminTokenFile = "admin.token"
	devJoinTokenFile  = "join.token"
)

// devToken returns the token kept in file of dataDir, created (0600) with
// a new secret on first start, and makes sure the server knows it.
func devToken(ctx context.Context, srv *server.Server, dataDir, file, name string, role auth.Role) (string, error) {
	path := filepath.Join(dataDir, file)
	secret, err := secretFrom("", path, file)
	if errors.Is(err, os.ErrNotExist) {
		secret, _ = auth.NewSecret()
		err = os.WriteFile(path, []byte(secret+"\n"), 0o600)
	}
	if err != nil {
		return "", fmt.Errorf("dev token: %w", err)
	}
	if err := srv.EnsureToken(ctx, name, role, secret); err != nil {
		return "", fmt.Errorf("%w (the data directory %s holds another token; remove %s to start afresh)",
			err, dataDir, dataDir)
	}
	return secret, nil
}

// errSuffix renders an optional cause at the end of a message.
func errSuffix(err error) string {
	if err == nil {
		return ""
	}
	return " (" + err.Error() + ")"
}
