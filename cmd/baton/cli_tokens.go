package main

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/auth"
)

func newTokensCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "tokens",
		Short:   "List API and join tokens: role, expiry, last use (never their secrets)",
		Example: "  baton tokens\n  baton tokens -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			list, err := c.Tokens(cmd.Context())
			if err != nil {
				return err
			}
			if g.jsonOutput() {
				return printJSON(cmd.OutOrStdout(), list)
			}
			t := newTable(cmd.OutOrStdout(), "TOKEN", "KIND", "ROLE", "ZONES", "GROUPS", "EXPIRES", "LAST USED", "STATE", "CREATED BY")
			for _, k := range list {
				state := "valid"
				switch {
				case k.RevokedAt != nil:
					state = "revoked " + timestamp(*k.RevokedAt)
				case k.ExpiresAt != nil && k.ExpiresAt.Before(time.Now()):
					state = "expired"
				}
				t.row(k.Name, k.Kind, k.Role, cmp.Or(strings.Join(k.Zones, ","), "-"), cmp.Or(strings.Join(k.Groups, ","), "-"),
					optTime(k.ExpiresAt, "never"), optTime(k.LastUsedAt, "never"), state, k.CreatedBy)
			}
			return t.flush()
		},
	}
}

func optTime(t *time.Time, none string) string {
	if t == nil {
		return none
	}
	return timestamp(*t)
}

func newTokenCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Create and revoke API tokens and worker join tokens",
		Long: "Roles: viewer (read), operator (+ start, cancel, pause, rerun, mark runs; schedules),\n" +
			"editor (+ apply and delete workflows, slots), admin (everything), worker (a join token:\n" +
			"registers workers, optionally only in --zones and --groups). See docs/security.md.",
		Example: "  baton token create ci-deploy --role operator --expires 90d\n" +
			"  baton token create workers-a --role worker --zones a\n  baton token revoke ci-deploy",
	}
	var role, expires string
	var zones, groups []string
	create := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a token and print its secret, this once",
		Example: "  baton token create ci-deploy --role operator --expires 90d\n" +
			"  baton token create workers-a --role worker --zones a --groups default",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var d time.Duration
			if expires != "" {
				var err error
				if d, err = parseLongDuration(expires); err != nil {
					return fmt.Errorf("--expires: %w", err)
				}
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			tok, err := c.CreateToken(cmd.Context(), client.NewToken{Name: args[0], Role: role, Expires: d,
				Zones: zones, Groups: groups})
			if err != nil {
				return err
			}
			if g.jsonOutput() {
				return printJSON(cmd.OutOrStdout(), tok)
			}
			// Only the secret on standard output: `> file` keeps it alone.
			cmd.PrintErrf("token %s (%s, role %s, expires %s) created. Its secret, shown this once:\n",
				tok.Name, tok.Kind, tok.Role, optTime(tok.ExpiresAt, "never"))
			fmt.Fprintln(cmd.OutOrStdout(), tok.Secret)
			return nil
		},
	}
	create.Flags().StringVar(&role, "role", "", "viewer, operator, editor, admin or worker (a join token)")
	create.Flags().StringVar(&expires, "expires", "", "lifetime, e.g. 90d, 12h (default: never)")
	create.Flags().StringSliceVar(&zones, "zones", nil, "role worker: the zones its workers may register in")
	create.Flags().StringSliceVar(&groups, "groups", nil, "role worker: the groups its workers may register in")
	_ = create.MarkFlagRequired("role")
	revoke := &cobra.Command{
		Use:     "revoke NAME",
		Short:   "Revoke a token: every server refuses it within a second",
		Example: "  baton token revoke ci-deploy",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if err := c.RevokeToken(cmd.Context(), args[0]); err != nil {
				return err
			}
			cmd.Printf("token %s revoked\n", args[0])
			return nil
		},
	}
	cmd.AddCommand(create, revoke)
	return cmd
}

// parseLongDuration reads a Go duration, or a number of days ("90d").
func parseLongDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("%q: want a positive number of days, e.g. 90d", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q: want a positive duration, e.g. 90d or 12h", s)
	}
	return d, nil
}

func newWhoamiCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "whoami",
		Short:   "Show who the servers take you for: the token's actor, role and permissions",
		Example: "  baton whoami\n  BATON_TOKEN=baton_... baton whoami -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			who, err := c.Whoami(cmd.Context())
			if err != nil {
				return err
			}
			if g.jsonOutput() {
				return printJSON(cmd.OutOrStdout(), who)
			}
			cmd.Printf("%s (role %s: %s)\n", who.Actor, who.Role, strings.Join(who.Permissions, ", "))
			return nil
		},
	}
}

func newLoginCmd(g *globals) *cobra.Command {
	var token, ca, name string
	cmd := &cobra.Command{
		Use:   "login SERVER[,SERVER...]",
		Short: "Save the servers, CA and token in the credentials file, after checking them",
		Long: "Writes a context to ~/.config/baton/credentials.yaml (mode 0600; BATON_CREDENTIALS names\n" +
			"another file) and makes it current: later commands without --server talk to its servers\n" +
			"with its token and CA. The token is read from --token, else BATON_TOKEN, else standard input.",
		Example: "  baton login https://s1:8420,https://s2:8420 --ca ca.pem --token \"$TOKEN\"",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			token = cmp.Or(token, g.token)
			if token == "" {
				line, err := readLine(cmd)
				if err != nil {
					return err
				}
				token = line
			}
			if token == "" {
				return fmt.Errorf("no token: give --token, BATON_TOKEN or the token on standard input")
			}
			servers := strings.Split(args[0], ",")
			g.servers, g.token = servers, token
			if ca != "" {
				g.tlsCA = ca
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			who, err := c.Whoami(cmd.Context())
			if err != nil {
				return fmt.Errorf("check the token: %w", err)
			}
			creds, path, err := loadCredentials()
			if err != nil {
				return err
			}
			creds.set(credContext{Name: cmp.Or(name, hostOf(servers[0])), Servers: servers, CA: ca, Token: token})
			if err := creds.save(path); err != nil {
				return err
			}
			cmd.Printf("logged in to %s as %s (role %s); saved as context %s in %s\n", args[0], who.Actor, who.Role,
				creds.Current, path)
			return nil
		},
	}
	cmd.Flags().StringVar(&token, "token", "", "the API token")
	cmd.Flags().StringVar(&ca, "ca", "", "CA file that verifies the servers (tls_ca)")
	cmd.Flags().StringVar(&name, "name", "", "name of the context (default: the first server's host)")
	return cmd
}

func hostOf(u string) string {
	u = strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://")
	h, _, _ := strings.Cut(u, "/")
	return h
}

func readLine(cmd *cobra.Command) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(cmd.InOrStdin(), 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the token from standard input: %w", err)
	}
	return strings.TrimSpace(line), nil
}

func newAuthCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "auth",
		Short:   "Bootstrap the first admin token",
		Example: "  baton auth bootstrap --server https://s1:8420\n  baton auth secret > bootstrap.token",
	}
	bootstrap := &cobra.Command{
		Use:   "bootstrap",
		Short: "Create the first admin token of a new cluster and print its secret (refused once any token exists)",
		Long: "Like Nomad's ACL bootstrap: anonymous, and only once. Alternatively, give the servers a\n" +
			"bootstrap_token_file holding a secret from `baton auth secret`.",
		Example: "  baton auth bootstrap --server https://s1:8420 --tls-ca ca.pem",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			tok, err := c.Bootstrap(cmd.Context())
			if err != nil {
				return err
			}
			if g.jsonOutput() {
				return printJSON(cmd.OutOrStdout(), tok)
			}
			cmd.PrintErrf("admin token %s created. Its secret, shown this once (baton login SERVER --token SECRET):\n", tok.Name)
			fmt.Fprintln(cmd.OutOrStdout(), tok.Secret)
			return nil
		},
	}
	secret := &cobra.Command{
		Use:     "secret",
		Short:   "Print a new random token secret (for bootstrap_token_file)",
		Example: "  (umask 077; baton auth secret > bootstrap.token)",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, _ := auth.NewSecret()
			fmt.Fprintln(cmd.OutOrStdout(), s)
			return nil
		},
	}
	cmd.AddCommand(bootstrap, secret)
	return cmd
}
