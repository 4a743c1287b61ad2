package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/client/vocab"
)

func newRerunCmd(g *globals) *cobra.Command {
	var req client.RerunRequest
	params := paramsFlag{}
	cmd := &cobra.Command{
		Use:   "rerun RUN_ID",
		Short: "Run a finished run again, from its failed tasks or from one task",
		Long: "Without --from, every failed, cancelled and upstream_failed task of the run runs again;\n" +
			"tasks that succeeded keep their outputs and are not executed (DolphinScheduler's \"recover\n" +
			"from failed task\"). With --from TASK, that task and everything downstream of it run again,\n" +
			"even if they succeeded. The run must have finished.\n\n" +
			"With --latest or -p the run is rerun as a new run: on the workflow's newest version (--latest)\n" +
			"and with the given params over the run's own (-p, checked against the version's params).\n" +
			"Tasks are matched by name: a task that succeeded (or was skipped) and whose upstream are all\n" +
			"carried is carried into the new run with its outputs and not executed; every other task runs,\n" +
			"including tasks the version added; tasks the version removed are dropped. The old run stays\n" +
			"as it ended.",
		Example: "  baton rerun 42\n  baton rerun 42 --from load --reason \"source fixed\"\n" +
			"  baton rerun 42 --latest          # on the fixed definition\n" +
			"  baton rerun 42 -p day=2026-01-02 # with another param",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseRunID(args[0])
			if err != nil {
				return err
			}
			if len(params) > 0 {
				req.Params = params
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
	cmd.Flags().BoolVar(&req.Latest, "latest", false, "rerun as a new run on the workflow's newest version")
	cmd.Flags().VarP(params, "param", "p", "rerun as a new run with parameter key=value over the run's own (repeatable)")
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
			if req.State != vocab.TaskSucceeded && req.State != vocab.TaskSkipped {
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
	if rec.RerunOf != 0 {
		fmt.Fprintf(out, "run %d of %s (version %d) reruns run %d\n", rec.Run.ID, rec.Run.Workflow, rec.Run.Version, rec.RerunOf)
		if len(rec.Carried) > 0 {
			fmt.Fprintf(out, "  carried (not run again): %s\n", strings.Join(rec.Carried, ", "))
		}
		if len(rec.Dropped) > 0 {
			fmt.Fprintf(out, "  dropped (not in version %d): %s\n", rec.Run.Version, strings.Join(rec.Dropped, ", "))
		}
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
