package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

func newWorkflowsCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "workflows",
		Short:   "List workflows with their latest version",
		Example: "  baton workflows\n  baton workflows -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			wfs, err := c.Workflows(cmd.Context())
			if err != nil {
				return err
			}
			if g.jsonOutput() {
				return printJSON(cmd.OutOrStdout(), wfs)
			}
			now := time.Now()
			t := newTable(cmd.OutOrStdout(), "NAME", "VERSION", "STATE", "UPDATED", "CREATED")
			for _, w := range wfs {
				state := "enabled"
				if w.Disabled {
					state = "disabled"
				}
				t.row(w.Name, fmt.Sprint(w.LatestVersion), state, ago(w.UpdatedAt, now), ago(w.CreatedAt, now))
			}
			return t.flush()
		},
	}
}

// newWorkflowCmd groups the commands about one workflow.
func newWorkflowCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "workflow",
		Short:   "Inspect, disable, enable or delete one workflow (see also: baton workflows, baton apply)",
		Example: "  baton workflow show hello\n  baton workflow disable hello\n  baton workflow delete hello --force",
		Args:    cobra.NoArgs,
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "show NAME",
		Short: "Print the definition of a workflow's latest version, as it was applied",
		Long: "Prints the source text of the workflow's latest version, as it was applied; with -o json,\n" +
			"the version with its canonical definition.",
		Example: "  baton workflow show hello\n  baton workflow show hello -o json",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			v, err := c.Workflow(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if g.jsonOutput() || v.Source == "" {
				return printJSON(cmd.OutOrStdout(), v)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "# %s version %d, applied %s by %s\n",
				v.Workflow, v.Version, timestamp(v.CreatedAt), v.CreatedBy)
			src := v.Source
			if !strings.HasSuffix(src, "\n") {
				src += "\n"
			}
			_, err = io.WriteString(cmd.OutOrStdout(), src)
			return err
		},
	})
	addLifecycleCmds(g, cmd)
	return cmd
}
