package main

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/config"
	"github.com/baton-sched/baton/internal/version"
)

// globals are the flags every command shares.
type globals struct {
	configPath string
	servers    []string
	output     string
	// TLS flags of clients and workers; config keys and env apply when
	// they are not given.
	tlsCA, tlsClientCert, tlsClientKey string
	usedCA                             string // the CA file the client verified servers with
	token                              string // --token
	// rawOut is standard output without escaping (see safeWriter).
	rawOut io.Writer
}

func newRoot() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:   "baton",
		Short: "Baton: a highly available workflow scheduler",
		Long: "Baton runs workflows (DAGs of tasks) on workers spread over availability zones, on\n" +
			"schedules or on demand, and keeps them running through the loss of any worker, server or zone.\n\n" +
			"Try it: baton dev --apply examples/",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version.Get().Version,
		PersistentPreRun: func(cmd *cobra.Command, _ []string) {
			g.guardOutput(cmd)
		},
	}
	// --version prints what `baton version` prints; braces in it are data.
	root.SetVersionTemplate(strings.NewReplacer("{", "{{`{`}}", "}", "{{`}`}}").Replace(versionText()))
	pf := root.PersistentFlags()
	pf.StringVar(&g.configPath, "config", os.Getenv("BATON_CONFIG"), "YAML config file (env BATON_CONFIG)")
	pf.StringSliceVar(&g.servers, "server", nil,
		"server URL(s), comma-separated (env BATON_SERVER; default "+client.DefaultURL+")")
	pf.StringVarP(&g.output, "output", "o", "table", "output format: table or json")
	pf.StringVar(&g.token, "token", "", "API token (env BATON_TOKEN; else the credentials of baton login)")
	clientTLSFlags(pf, g)
	root.AddCommand(newServerCmd(g), newWorkerCmd(g), newDevCmd(g), newMigrateCmd(g), newShimCmd(), newBenchCmd(g))
	root.AddCommand(clientCommands(g)...)
	root.AddCommand(newChaosCmd(g), newTLSCmd(), newVersionCmd(g), newValidateCmd())
	root.AddCommand(newMigrateStoreCmd(g))
	refuseUnknownSubcommands(root)
	addCompletions(root, g)
	root.SetFlagErrorFunc(plainFlagError)
	return root
}

// plainFlagError says what a number flag wants instead of quoting the
// parser's error (strconv.ParseInt: parsing "abc": invalid syntax).
func plainFlagError(_ *cobra.Command, err error) error {
	var num *strconv.NumError
	if !errors.As(err, &num) {
		return err
	}
	msg, _, _ := strings.Cut(err.Error(), ": strconv.")
	if errors.Is(num.Err, strconv.ErrRange) {
		return fmt.Errorf("%s: out of range", msg)
	}
	return fmt.Errorf("%s: want a number", msg)
}

// refuseUnknownSubcommands makes every command group (a command that only
// holds subcommands) fail on an unknown subcommand instead of printing its
// help and exiting 0; named alone, a group still prints its help.
func refuseUnknownSubcommands(cmd *cobra.Command) {
	for _, sub := range cmd.Commands() {
		refuseUnknownSubcommands(sub)
	}
	if cmd.HasParent() && cmd.HasSubCommands() && !cmd.Runnable() {
		cmd.Args = cobra.ArbitraryArgs
		cmd.RunE = func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmd.Help()
			}
			return fmt.Errorf("unknown command %q for %q; see %s --help", args[0], cmd.CommandPath(), cmd.CommandPath())
		}
	}
}

// config loads the configuration with the command's flags on top.
func (g *globals) config(cmd *cobra.Command) (config.Config, error) {
	return config.Load(g.configPath, cmd.Flags())
}

// client returns an API client of --server, else BATON_SERVER, else the
// servers of the config file, else the default address; it verifies
// https:// servers with tls_ca (--tls-ca, BATON_TLS_CA, the config file).
func (g *globals) client() (*client.Client, error) {
	cfg, err := config.Load(g.configPath, nil)
	if err != nil {
		return nil, err
	}
	urls := g.servers
	if len(urls) == 0 {
		if env := os.Getenv("BATON_SERVER"); env != "" {
			urls = []string{env}
		}
	}
	if len(urls) == 0 {
		urls = cfg.Servers
	}
	// The token: --token, BATON_TOKEN or the config file, else the
	// credentials context of the servers (or the current one when no
	// server is named), else the token of baton dev on this machine.
	creds, _, err := loadCredentials()
	if err != nil {
		return nil, err
	}
	token := cmp.Or(g.token, cfg.Token)
	if cc, ok := creds.forServers(urls); ok {
		if len(urls) == 0 {
			urls = cc.Servers
		}
		token = cmp.Or(token, cc.Token)
		cfg.TLSCA = cmp.Or(cfg.TLSCA, cc.CA)
	}
	if token == "" {
		token = devCLIToken(append(slices.Clone(urls), client.DefaultURL)[:max(len(urls), 1)])
	}
	cfg.TLSCA = cmp.Or(g.tlsCA, cfg.TLSCA)
	cfg.TLSClientCert = cmp.Or(g.tlsClientCert, cfg.TLSClientCert)
	cfg.TLSClientKey = cmp.Or(g.tlsClientKey, cfg.TLSClientKey)
	tlsCfg, err := clientTLS(cfg, nil)
	if err != nil {
		return nil, err
	}
	g.usedCA = cfg.TLSCA
	opts := []client.Option{client.WithToken(token)}
	if tlsCfg != nil {
		opts = append(opts, client.WithTLSConfig(tlsCfg))
	}
	return client.New(urls, opts...)
}

// logger builds the process logger from the configuration, writing to
// standard error.
func logger(c config.Config) *slog.Logger { return loggerTo(c, os.Stderr) }

// loggerTo builds the process logger from the configuration, writing to w.
func loggerTo(c config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(strings.ToUpper(c.LogLevel))); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
