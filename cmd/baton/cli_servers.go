package main

import (
	"time"

	"github.com/spf13/cobra"
)

func newServersCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "servers",
		Short: "List the server replicas: alive, version, zone, last seen",
		Long: "Lists every server recorded in the database. Each server records itself at start and\n" +
			"refreshes its row every 5s; ALIVE means seen within 15s (by the database clock), READY that\n" +
			"it took commits within its bound when last seen. Servers not seen for 24h are forgotten.",
		Example: "  baton servers\n  baton servers -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			ss, err := c.Servers(cmd.Context())
			if err != nil {
				return err
			}
			if g.jsonOutput() {
				return printJSON(cmd.OutOrStdout(), ss)
			}
			now := time.Now()
			t := newTable(cmd.OutOrStdout(), "ADDRESS", "ZONE", "ALIVE", "READY", "VERSION", "STARTED", "LAST SEEN", "ID")
			for _, s := range ss {
				seen := ago(now.Add(-time.Duration(s.SeenAgo*float64(time.Second))), now)
				t.row(s.Address, s.Zone, yesNo(s.Alive), yesNo(s.Ready), s.Version, timestamp(s.StartedAt), seen, s.ID)
			}
			return t.flush()
		},
	}
}
