package main

import (
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/client/vocab"
)

func newApproveCmd(g *globals) *cobra.Command {
	var reject bool
	var note string
	cmd := &cobra.Command{
		Use:   "approve RUN_ID TASK",
		Short: "Approve (or, with --reject, reject) an approval task that waits",
		Long: "An approval task waits for a person with the operator role. Approving it makes the task\n" +
			"succeed and the run go on; rejecting it makes the task fail (its retry policy does not apply).\n" +
			"Only the first decision counts: a second one fails with a conflict.",
		Example: "  baton approve 42 sign-off\n  baton approve 42 sign-off --reject --note \"numbers look wrong\"",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseRunID(args[0])
			if err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			d := client.ApprovalDecision{Decision: vocab.DecisionApprove, Note: note}
			if reject {
				d.Decision = vocab.DecisionReject
			}
			ap, err := c.Decide(cmd.Context(), id, args[1], d)
			if err != nil {
				return err
			}
			if g.jsonOutput() {
				return printJSON(cmd.OutOrStdout(), ap)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "run %d task %s %s by %s\n", ap.RunID, ap.Task, ap.State, ap.DecidedBy)
			return nil
		},
	}
	cmd.Flags().BoolVar(&reject, "reject", false, "reject instead of approving: the task fails")
	cmd.Flags().StringVar(&note, "note", "", "why, recorded with the decision (at most 2048 bytes)")
	return cmd
}

func newApprovalsCmd(g *globals) *cobra.Command {
	var state string
	cmd := &cobra.Command{
		Use:     "approvals",
		Short:   "List approval tasks waiting for a decision (or, with --state, decided ones)",
		Example: "  baton approvals\n  baton approvals --state rejected -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			aps, err := c.Approvals(cmd.Context(), state, 0)
			if err != nil {
				return err
			}
			if g.jsonOutput() {
				return printJSON(cmd.OutOrStdout(), aps)
			}
			now := time.Now()
			t := newTable(cmd.OutOrStdout(), "RUN", "WORKFLOW", "TASK", "STATE", "REQUESTED", "TIMEOUT", "BY", "MESSAGE")
			for _, a := range aps {
				timeout := "-"
				if !a.Deadline.IsZero() {
					timeout = a.Deadline.UTC().Format(time.RFC3339) + " " + a.Default
				}
				t.row(strconv.FormatInt(a.RunID, 10), a.Workflow, a.Task, a.State, ago(a.RequestedAt, now), timeout,
					a.DecidedBy, a.Message)
			}
			return t.flush()
		},
	}
	cmd.Flags().StringVar(&state, "state", vocab.ApprovalPending, "pending, approved, rejected or cancelled")
	return cmd
}
