package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/baton-sched/baton/internal/secrets"
)

func newSecretsCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "secrets",
		Short:   "List secrets: names, the key that encrypts each, who set them and when (never values)",
		Example: "  baton secrets\n  baton secrets -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			list, err := c.Secrets(cmd.Context())
			if err != nil {
				return err
			}
			if g.jsonOutput() {
				return printJSON(cmd.OutOrStdout(), list)
			}
			t := newTable(cmd.OutOrStdout(), "SECRET", "KEY", "UPDATED", "BY", "CREATED", "BY")
			for _, s := range list {
				t.row(s.Name, s.KeyID, timestamp(s.UpdatedAt), s.UpdatedBy, timestamp(s.CreatedAt), s.CreatedBy)
			}
			return t.flush()
		},
	}
}

func newSecretCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "secret",
		Short: "Set, delete or rotate secrets that tasks use as ${{ secrets.NAME }}",
		Long: "Secrets are stored encrypted by the servers (AES-256-GCM, key from secret_key_file or\n" +
			"BATON_SECRET_KEY). Workflows refer to them in env, http.headers and http.body as\n" +
			"${{ secrets.NAME }}; a worker receives a value only for an attempt that needs it and writes\n" +
			"*** for it in the attempt's output. See docs/security.md.",
		Example: "  printf %s \"$TOKEN\" | baton secret set api_token\n  baton secret delete api_token\n" +
			"  baton secret rotate",
	}
	set := &cobra.Command{
		Use:   "set NAME",
		Short: "Create or replace a secret; the value is read from standard input",
		Long: "Reads the value from standard input (one trailing newline is dropped), so that it shows\n" +
			"in no process list or shell history.",
		Example: "  printf %s \"$TOKEN\" | baton secret set api_token\n  baton secret set db_password < password.txt",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := io.ReadAll(io.LimitReader(cmd.InOrStdin(), 1<<20))
			if err != nil {
				return fmt.Errorf("read the value from standard input: %w", err)
			}
			value := strings.TrimSuffix(strings.TrimSuffix(string(data), "\n"), "\r")
			if value == "" {
				return fmt.Errorf("no value on standard input (printf %%s \"$VALUE\" | baton secret set %s)", args[0])
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			s, err := c.SetSecret(cmd.Context(), args[0], value)
			if err != nil {
				return err
			}
			if g.jsonOutput() {
				return printJSON(cmd.OutOrStdout(), s)
			}
			cmd.Printf("secret %s set (key %s)\n", s.Name, s.KeyID)
			return nil
		},
	}
	del := &cobra.Command{
		Use:     "delete NAME",
		Short:   "Delete a secret (tasks that use it then fail, naming it)",
		Example: "  baton secret delete api_token",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if err := c.DeleteSecret(cmd.Context(), args[0]); err != nil {
				return err
			}
			cmd.Printf("secret %s deleted\n", args[0])
			return nil
		},
	}
	rotate := &cobra.Command{
		Use:   "rotate",
		Short: "Re-encrypt every secret under the servers' current key",
		Long: "Run it once every server has the new key first in its key ring and the old one after it;\n" +
			"then remove the old key. Secrets whose key the server lacks are listed, not lost.",
		Example: "  baton secret rotate",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			rot, err := c.RotateSecrets(cmd.Context())
			if err != nil {
				return err
			}
			if g.jsonOutput() {
				return printJSON(cmd.OutOrStdout(), rot)
			}
			cmd.Printf("key %s: %d secret(s) re-encrypted, %d already under it\n", rot.KeyID, len(rot.Rotated), rot.Current)
			if len(rot.Failed) > 0 {
				return fmt.Errorf("%d secret(s) not re-encrypted (%s): %s", len(rot.Failed),
					strings.Join(rot.Failed, ", "), rot.Error)
			}
			return nil
		},
	}
	keygen := &cobra.Command{
		Use:   "keygen",
		Short: "Print a new random secret key (base64 of 32 bytes) for secret_key_file",
		Long: "Prints a key for a secret_key_file (one key a line, the current one first) or\n" +
			"BATON_SECRET_KEY. Nothing is sent to a server.",
		Example: "  (umask 077; baton secret keygen > /etc/baton/secret.key)",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), secrets.NewKey())
			return err
		},
	}
	cmd.AddCommand(set, del, rotate, keygen)
	return cmd
}
