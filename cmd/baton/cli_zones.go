package main

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/baton-sched/baton/client"
)

func newZonesCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "zones",
		Short: "Show zone health and the resource availability ratio",
		Long: "Lists every zone: its health (healthy; degraded when some of its workers were lost and\n" +
			"did not come back; down when all were), whether it is cordoned, its workers and capacity,\n" +
			"then every resource group over all zones. AVAILABLE is the resource availability ratio:\n" +
			"live CU over registered CU (live plus lost and not replaced).",
		Example: "  baton zones\n  baton zones -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			p, err := c.Zones(cmd.Context())
			if err != nil {
				return err
			}
			if g.jsonOutput() {
				return printJSON(cmd.OutOrStdout(), p)
			}
			out := cmd.OutOrStdout()
			t := newTable(out, "ZONE", "STATE", "CORDONED", "WORKERS", "LOST", "LIVE CU", "REGISTERED CU", "USED CU", "AVAILABLE")
			for _, z := range p.Zones {
				t.row(z.Name, z.State, yesNo(z.Cordoned), strconv.Itoa(z.Workers), strconv.Itoa(z.Lost),
					cu(z.LiveCU), cu(z.RegisteredCU), cu(z.UsedCU), percent(z.Availability))
			}
			if err := t.flush(); err != nil {
				return err
			}
			fmt.Fprintln(out)
			t = newTable(out, "GROUP", "LIVE CU", "REGISTERED CU", "USED CU", "AVAILABLE")
			for _, gr := range p.Groups {
				t.row(gr.Group, cu(gr.LiveCU), cu(gr.RegisteredCU), cu(gr.UsedCU), percent(gr.Availability))
			}
			return t.flush()
		},
	}
}

func newZoneCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "zone",
		Short:   "Cordon, uncordon or drain a zone",
		Example: "  baton zone cordon b --reason \"switch upgrade\"\n  baton zone drain b --reschedule",
	}
	action := func(name, short, long string) *cobra.Command {
		var req client.DrainRequest
		c := &cobra.Command{
			Use:     name + " ZONE",
			Short:   short,
			Long:    long,
			Example: "  baton zone " + name + " b --reason \"rack maintenance\"",
			Args:    cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				c, err := g.client()
				if err != nil {
					return err
				}
				z, err := c.ZoneAction(cmd.Context(), args[0], name, req)
				if err != nil {
					return err
				}
				if g.jsonOutput() {
					return printJSON(cmd.OutOrStdout(), z)
				}
				cordon := "open to new work"
				if z.Cordoned {
					cordon = "cordoned"
				}
				cmd.Printf("zone %s: %s, %s, %d live workers\n", z.Name, z.State, cordon, z.Workers)
				return nil
			},
		}
		if name == "drain" {
			drainFlags(c, &req)
		} else {
			c.Flags().StringVar(&req.Reason, "reason", "", "why, for the audit trail")
		}
		return c
	}
	cmd.AddCommand(
		action("cordon", "Place no new work in a zone (running tasks go on)",
			"New attempts are not placed on the zone's workers; running tasks are not touched."),
		action("uncordon", "Place work in a zone again", "Ends a cordon: the zone's live workers take work again."),
		action("drain", "Cordon a zone and drain its workers",
			"Cordons the zone and drains every live worker in it: they take no new work and exit once\n"+
				"their running tasks end. With --reschedule, running rerunnable tasks are stopped at once\n"+
				"and run again in other zones; tasks marked rerunnable: false finish where they run."),
	)
	return cmd
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func percent(ratio float64) string { return strconv.FormatFloat(100*ratio, 'f', 0, 64) + "%" }
