package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/baton-sched/baton/client"
)

func newRerunCmd(g *globals) *cobra.Command {
	var req client.RerunRequest
	cmd := &cobra.Command{
		Use:   "rerun RUN_ID",
		Short: "Run a finished run again, from its failed tasks or from one task",
		Long: "Without --from, every failed, cancelled and upstream_failed task of the run runs again;\n" +
			"tasks that succeeded keep their outputs and are not executed (DolphinScheduler's \"recover\n" +
			"from failed task\"). With --from TASK, that task and everything downstream of it run again,\n" +
			"even if they succeeded. The run must have finished.",
		Example: "  baton rerun 42\n  baton rerun 42 --from load --reason \"source fixed\"",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseRunID(args[0])
			if err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			rec, err := c.Rerun(cmd.Context(), id, req)
			if err != nil {
				return err
			}
			return printRecovered(g, cmd.OutOrStdout(), rec)
		},
	}
	cmd.Flags().StringVar(&req.From, "from", "", "run this task and everything downstream of it again")
	cmd.Flags().StringVar(&req.Reason, "reason", "", "why, recorded in the audit trail")
	return cmd
}

func newMarkCmd(g *globals) *cobra.Command {
	var req client.MarkRequest
	cmd := &cobra.Command{
		Use:   "mark RUN_ID TASK --state succeeded|skipped",
		Short: "Mark a failed task succeeded or skipped, so what is downstream runs",
		Long: "Ends a failed, cancelled or upstream_failed task of a finished run as succeeded or skipped\n" +
			"(for work done by hand, or not needed); the tasks downstream of it that did not run, run.",
		Example: "  baton mark 42 load --state succeeded --reason \"loaded by hand\"",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseRunID(args[0])
			if err != nil {
				return err
			}
			if req.State != "succeeded" && req.State != "skipped" {
				return fmt.Errorf("--state: %q is neither succeeded nor skipped", req.State)
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			rec, err := c.MarkTask(cmd.Context(), id, args[1], req)
			if err != nil {
				return err
			}
			return printRecovered(g, cmd.OutOrStdout(), rec)
		},
	}
	cmd.Flags().StringVar(&req.State, "state", "", "succeeded or skipped (required)")
	cmd.Flags().StringVar(&req.Reason, "reason", "", "why, recorded in the audit trail")
	_ = cmd.MarkFlagRequired("state")
	return cmd
}

func printRecovered(g *globals, out io.Writer, rec client.Recovered) error {
	if g.jsonOutput() {
		return printJSON(out, rec)
	}
	again := "nothing runs again"
	if len(rec.Rerun) > 0 {
		again = "running again: " + strings.Join(rec.Rerun, ", ")
	}
	_, err := fmt.Fprintf(out, "run %d of %s %s; %s\n", rec.Run.ID, rec.Run.Workflow, rec.Run.State, again)
	return err
}

func newPauseCmd(g *globals, action, short, long string) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:     action + " RUN_ID",
		Short:   short,
		Long:    long,
		Example: "  baton " + action + " 42 --reason \"warehouse maintenance\"",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseRunID(args[0])
			if err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			run, err := c.PauseRun(cmd.Context(), id, action, reason)
			if err != nil {
				return err
			}
			if g.jsonOutput() {
				return printJSON(cmd.OutOrStdout(), run)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "run %d of %s %s\n", run.ID, run.Workflow, run.State)
			return err
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why, recorded in the audit trail")
	return cmd
}
