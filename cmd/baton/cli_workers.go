package main

import (
	"strconv"
	"time"

	"github.com/spf13/cobra"
)

func newWorkersCmd(g *globals) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:     "workers",
		Short:   "List workers with their zone, group, state and capacity",
		Long:    "Lists the active and draining workers; --all adds the lost and stopped ones.",
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
			t := newTable(cmd.OutOrStdout(), "ID", "NAME", "ZONE", "GROUP", "STATE", "CU", "LAST SEEN")
			for _, w := range workers {
				t.row(w.ID, w.Name, w.Zone, w.Group, w.State, strconv.FormatFloat(w.Capacity, 'g', -1, 64), ago(w.LastSeenAt, now))
			}
			return t.flush()
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "include lost and stopped workers")
	return cmd
}
