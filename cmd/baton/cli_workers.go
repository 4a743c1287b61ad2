package main

import (
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/baton-sched/baton/client"
)

func newWorkersCmd(g *globals) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "workers",
		Short: "List workers with their zone, group, state, capacity and load",
		Long: "Lists the active and draining workers; --all adds the lost and stopped ones.\n" +
			"USED is the capacity (CU) their running attempts take; RUNNING counts those attempts.",
		Example: "  baton workers\n  baton workers --all -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			workers, err := c.Workers(cmd.Context(), all)
			if err != nil {
				return err
			}
			if g.jsonOutput() {
				return printJSON(cmd.OutOrStdout(), workers)
			}
			now := time.Now()
			t := newTable(cmd.OutOrStdout(), "ID", "NAME", "ZONE", "GROUP", "STATE", "CU", "USED", "RUNNING", "LABELS", "LAST SEEN")
			for _, w := range workers {
				t.row(w.ID, w.Name, w.Zone, w.Group, w.State, cu(w.Capacity), cu(w.UsedCU), strconv.Itoa(w.Running),
					keyValues(w.Labels), ago(w.LastSeenAt, now))
			}
			return t.flush()
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "include lost and stopped workers")
	return cmd
}

// newWorkerDrainCmd is `baton worker drain ID`: an operation on a worker,
// under the command that runs one.
func newWorkerDrainCmd(g *globals) *cobra.Command {
	var req client.DrainRequest
	cmd := &cobra.Command{
		Use:   "drain WORKER_ID",
		Short: "Stop placing work on a worker; it exits once its running tasks end",
		Long: "The worker takes no new work, lets its running tasks finish, then exits.\n" +
			"With --reschedule its running rerunnable tasks are stopped at once and run again elsewhere;\n" +
			"tasks marked rerunnable: false still finish where they run.",
		Example: "  baton worker drain w-3f2a9c1d0b4e5f60 --reason \"kernel upgrade\"",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			w, err := c.DrainWorker(cmd.Context(), args[0], req)
			if err != nil {
				return err
			}
			if g.jsonOutput() {
				return printJSON(cmd.OutOrStdout(), w)
			}
			cmd.Printf("worker %s (%s, zone %s) is draining\n", w.ID, w.Name, w.Zone)
			return nil
		},
	}
	drainFlags(cmd, &req)
	explainErrors(g, cmd)
	return cmd
}

func drainFlags(cmd *cobra.Command, req *client.DrainRequest) {
	cmd.Flags().BoolVar(&req.Reschedule, "reschedule", false, "stop running rerunnable tasks now so they run elsewhere")
	cmd.Flags().StringVar(&req.Reason, "reason", "", "why, for the audit trail")
}

// cu formats a capacity in CU.
func cu(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
