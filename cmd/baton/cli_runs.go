package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/workflow"
)

// maxPage is the largest page the API serves.
const maxPage = 1000

func newRunsCmd(g *globals) *cobra.Command {
	var (
		f     client.RunFilter
		since string
	)
	cmd := &cobra.Command{
		Use:   "runs",
		Short: "List runs, newest first",
		Example: "  baton runs\n" +
			"  baton runs --workflow nightly-etl --state failed --since 24h\n" +
			"  baton runs --limit 500 -o json",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.Limit < 1 {
				return fmt.Errorf("--limit %d: want at least 1", f.Limit)
			}
			now := time.Now()
			if since != "" {
				t, err := parseSince(since, now)
				if err != nil {
					return err
				}
				f.Since = t
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			runs, err := listRuns(cmd, c, f)
			if err != nil {
				return err
			}
			if g.jsonOutput() {
				return printJSON(cmd.OutOrStdout(), runs)
			}
			t := newTable(cmd.OutOrStdout(), "ID", "WORKFLOW", "VERSION", "STATE", "CREATED", "DURATION", "TASKS")
			for _, r := range runs {
				t.row(fmt.Sprint(r.ID), r.Workflow, fmt.Sprint(r.Version), r.State, ago(r.CreatedAt, now),
					span(r.StartedAt, r.FinishedAt, now), fmt.Sprintf("%d/%d", r.TasksTotal-r.TasksLeft, r.TasksTotal))
			}
			return t.flush()
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.Workflow, "workflow", "", "only runs of this workflow")
	fl.StringVar(&f.State, "state", "", "only runs in this state: queued, running, paused, succeeded, failed or cancelled")
	fl.IntVar(&f.Limit, "limit", 50, "list at most this many runs")
	fl.StringVar(&since, "since", "", "only runs created within this long ago (1h, 2d) or since a time (RFC 3339)")
	return cmd
}

// listRuns reads up to f.Limit runs, a page at a time.
func listRuns(cmd *cobra.Command, c *client.Client, f client.RunFilter) ([]client.Run, error) {
	runs := []client.Run{}
	limit := f.Limit
	for len(runs) < limit {
		f.Limit = min(limit-len(runs), maxPage)
		page, err := c.Runs(cmd.Context(), f)
		if err != nil {
			return nil, err
		}
		runs = append(runs, page.Items...)
		if page.Next == "" || len(page.Items) == 0 {
			break
		}
		f.Cursor = page.Next
	}
	return runs, nil
}

// parseSince reads --since: a duration before now ("90m", "2d") or a time.
func parseSince(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	d, err := workflow.ParseDuration(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--since %q: want a duration like 1h or 2d, or an RFC 3339 time", s)
	}
	return now.Add(-d.Std()), nil
}

func newCancelCmd(g *globals) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "cancel RUN_ID",
		Short: "Cancel a run that has not finished",
		Long: "Cancels the run's unfinished tasks. Running attempts are killed by their workers at their\n" +
			"next heartbeat; tasks that finished keep their results.",
		Example: "  baton cancel 42\n  baton cancel 42 --reason \"wrong parameters\"",
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
			run, err := c.CancelRun(cmd.Context(), id, reason)
			if err != nil {
				return err
			}
			if g.jsonOutput() {
				return printJSON(cmd.OutOrStdout(), run)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "run %d of %s %s\n", run.ID, run.Workflow, run.State)
			return nil
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why, recorded in the audit trail")
	return cmd
}
