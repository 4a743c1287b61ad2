package main

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/client/vocab"
)

// scheduleRef reads "WORKFLOW" (its schedule "default") or "WORKFLOW/NAME".
func scheduleRef(arg string) (workflow, name string) {
	workflow, name, ok := strings.Cut(arg, "/")
	if !ok || name == "" {
		name = "default"
	}
	return workflow, name
}

func newSchedulesCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "schedules",
		Short: "List schedules, their next due time and firing lateness",
		Long: "Lists every schedule of every workflow: its cron and time zone, its catch-up and overlap\n" +
			"policies, whether it is paused, when it is next due, and LATE P99, how long after its fire\n" +
			"time (due time plus jitter) the 99th percentile of the runs it fired among its last 100 was created.",
		Example: "  baton schedules\n  baton schedules -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			ss, err := c.Schedules(cmd.Context())
			if err != nil {
				return err
			}
			if g.jsonOutput() {
				return printJSON(cmd.OutOrStdout(), ss)
			}
			t := newTable(cmd.OutOrStdout(), "SCHEDULE", "CRON", "TIMEZONE", "CATCHUP", "OVERLAP", "PAUSED", "NEXT DUE", "BUFFERED", "LATE P99", "NOTE")
			for _, s := range ss {
				next := timestamp(s.NextDue)
				switch {
				case s.NextDue.IsZero():
					next = "ended"
				case s.Paused:
					// A paused schedule fires nothing; resumed, it goes on
					// from its first due time after then.
					next = "- (paused)"
				}
				late := ""
				if s.Lateness.Runs > 0 {
					late = humanDuration(time.Duration(s.Lateness.P99Ms * float64(time.Millisecond)))
				}
				t.row(s.Workflow+"/"+s.Name, s.Cron, cmp.Or(s.Timezone, "UTC"), s.Catchup, s.Overlap, yesNo(s.Paused),
					next, strconv.Itoa(s.Buffered), late, s.Note)
			}
			return t.flush()
		},
	}
}

func newScheduleCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "schedule",
		Short: "Show upcoming due times; pause, resume or trigger a schedule",
		Long: "A schedule is named WORKFLOW/NAME, or WORKFLOW alone for its schedule \"default\" (the one\n" +
			"`schedule:` defines).",
		Example: "  baton schedule next nightly-etl -n 10\n  baton schedule pause nightly-etl/hourly --note \"db migration\"",
	}
	var n int
	next := &cobra.Command{
		Use:     "next SCHEDULE",
		Short:   "List a schedule's next due times",
		Example: "  baton schedule next nightly-etl -n 10",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			wf, name := scheduleRef(args[0])
			nf, err := c.NextFires(cmd.Context(), wf, name, n)
			if err != nil {
				return err
			}
			if g.jsonOutput() {
				return printJSON(cmd.OutOrStdout(), nf)
			}
			loc, err := time.LoadLocation(nf.Schedule.Timezone)
			if err != nil {
				loc = time.UTC
			}
			if loc == time.UTC {
				t := newTable(cmd.OutOrStdout(), "DUE (UTC)")
				for _, d := range nf.Due {
					t.row(d.UTC().Format(time.RFC3339))
				}
				return t.flush()
			}
			t := newTable(cmd.OutOrStdout(), "DUE (UTC)", "DUE ("+loc.String()+")")
			for _, d := range nf.Due {
				t.row(d.UTC().Format(time.RFC3339), d.In(loc).Format("2006-01-02 15:04:05 MST"))
			}
			return t.flush()
		},
	}
	next.Flags().IntVarP(&n, "count", "n", 10, "how many due times (1 to 1000)")
	cmd.AddCommand(next, schedulePauseCmd(g, "pause", "Stop a schedule firing"),
		schedulePauseCmd(g, "resume", "Let a paused schedule fire again, from its next due time after now"),
		scheduleTriggerCmd(g))
	return cmd
}

func schedulePauseCmd(g *globals, action, short string) *cobra.Command {
	var note string
	c := &cobra.Command{
		Use:     action + " SCHEDULE",
		Short:   short,
		Example: "  baton schedule " + action + " nightly-etl --note \"upstream outage\"",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			wf, name := scheduleRef(args[0])
			s, err := c.PauseSchedule(cmd.Context(), wf, name, action, note)
			if err != nil {
				return err
			}
			if g.jsonOutput() {
				return printJSON(cmd.OutOrStdout(), s)
			}
			state := "active, next due " + timestamp(s.NextDue)
			if s.Paused {
				state = vocab.SchedulePaused
			}
			cmd.Printf("schedule %s/%s: %s\n", s.Workflow, s.Name, state)
			return nil
		},
	}
	c.Flags().StringVar(&note, "note", "", "why, for the audit trail")
	return c
}

func scheduleTriggerCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "trigger SCHEDULE",
		Short:   "Start a run of a schedule now, with its params",
		Example: "  baton schedule trigger nightly-etl",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			wf, name := scheduleRef(args[0])
			r, err := c.TriggerSchedule(cmd.Context(), wf, name)
			if err != nil {
				return err
			}
			if g.jsonOutput() {
				return printJSON(cmd.OutOrStdout(), r)
			}
			cmd.Printf("run %d of %s started (due %s)\n", r.ID, r.Workflow, timestamp(r.ScheduledAt))
			return nil
		},
	}
}

func newBackfillCmd(g *globals) *cobra.Command {
	var from, to, schedule string
	cmd := &cobra.Command{
		Use:   "backfill WORKFLOW --from TIME --to TIME",
		Short: "Create a schedule's runs for every due time in a past range",
		Long: "Creates one run per due time of the schedule in [--from, --to] (--to no later than now),\n" +
			"each the very run its tick would have created: backfilling twice, or over ticks that\n" +
			"fired, creates nothing new. Times are RFC 3339 or YYYY-MM-DD (midnight UTC).",
		Example: "  baton backfill nightly-etl --from 2026-11-01 --to 2026-11-07\n" +
			"  baton backfill reports --schedule hourly --from 2026-11-20T00:00:00Z --to 2026-11-20T12:00:00Z",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := parseWhen("--from", from)
			if err != nil {
				return err
			}
			t, err := parseWhen("--to", to)
			if err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			b, err := c.Backfill(cmd.Context(), args[0], schedule, client.BackfillRequest{From: f, To: t})
			if err != nil {
				return err
			}
			if g.jsonOutput() {
				return printJSON(cmd.OutOrStdout(), b)
			}
			cmd.Printf("backfill of %s/%s: %d run(s) created, %d existed\n", args[0], schedule, b.Created, b.Existing)
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "first due time of the range (required)")
	cmd.Flags().StringVar(&to, "to", "", "last due time of the range (required)")
	cmd.Flags().StringVar(&schedule, "schedule", "default", "the workflow's schedule to backfill")
	_ = cmd.MarkFlagRequired("from")
	_ = cmd.MarkFlagRequired("to")
	return cmd
}

// parseWhen reads an RFC 3339 time or a date (midnight UTC).
func parseWhen(flag, v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%s: %q is neither RFC 3339 (2026-11-20T02:00:00Z) nor a date (2026-11-20)", flag, v)
}
