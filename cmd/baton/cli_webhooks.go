package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// newWebhookCmd manages the webhook token of a workflow.
func newWebhookCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "webhook",
		Short: "Create, rotate or delete the webhook token of a workflow (on: {webhook: true})",
		Example: "  baton webhook token orders-import\n" +
			"  curl -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' \\\n" +
			"       -d '{\"day\": \"2026-12-06\"}' https://baton.example.com/api/v1/hooks/orders-import",
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "token WORKFLOW",
		Short: "Create the workflow's webhook token, replacing any earlier one (printed once)",
		Long: "Creates a token that authenticates POST /api/v1/hooks/WORKFLOW, for this workflow only.\n" +
			"The secret is printed once; the server keeps only its hash. Running it again rotates the\n" +
			"token: the old one stops working at once. Needs the editor role.",
		Example: "  baton webhook token orders-import\n  baton webhook token orders-import -o json",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			tok, err := c.CreateWebhookToken(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if g.jsonOutput() {
				return printJSON(cmd.OutOrStdout(), tok)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s\n", tok.Token)
			fmt.Fprintf(cmd.ErrOrStderr(), "webhook token of %s: POST %s with Authorization: Bearer <token>; "+
				"it is shown only now\n", tok.Workflow, tok.Path)
			return nil
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:     "delete WORKFLOW",
		Short:   "Delete the workflow's webhook token: its webhook answers 401 until a new one is made",
		Example: "  baton webhook delete orders-import",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if err := c.DeleteWebhookToken(cmd.Context(), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "webhook token of %s deleted\n", args[0])
			return nil
		},
	})
	return cmd
}
