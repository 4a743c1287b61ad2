package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/baton-sched/baton/client"
)

func newAlertsCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "alerts",
		Short:   "List alert channels and the alerts not delivered yet",
		Example: "  baton alerts\n  baton alerts -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			a, err := c.Alerts(cmd.Context())
			if err != nil {
				return err
			}
			if g.jsonOutput() {
				return printJSON(cmd.OutOrStdout(), a)
			}
			out := cmd.OutOrStdout()
			t := newTable(out, "CHANNEL", "URL", "EVENTS", "SIGNED")
			for _, ch := range a.Channels {
				t.row(ch.Name, ch.URL, strings.Join(ch.Events, ","), yesNo(ch.HasSecret))
			}
			if err := t.flush(); err != nil {
				return err
			}
			fmt.Fprintf(out, "\n%d alert(s) not delivered\n", len(a.Pending))
			if len(a.Pending) == 0 {
				return nil
			}
			t = newTable(out, "ALERT", "CHANNEL", "EVENT", "STATE", "ATTEMPTS", "NEXT", "LAST ERROR")
			for _, p := range a.Pending {
				t.row(p.AlertID, p.Channel, p.Kind, p.State, strconv.FormatInt(p.Attempts, 10), timestamp(p.NextAt), p.LastError)
			}
			return t.flush()
		},
	}
}

func newAlertCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "alert",
		Short:   "Create, replace or delete an alert channel (a webhook)",
		Example: "  baton alert set ops --url https://hooks.example.com/baton --events run.failed,zone.* --secret-env HOOK_SECRET",
	}
	var ch client.AlertChannel
	var events, secretEnv string
	set := &cobra.Command{
		Use:   "set NAME --url URL --events KINDS",
		Short: "Create or replace a channel",
		Long: "The channel receives a POST with a JSON body for every event of the kinds it subscribes to\n" +
			"(run.failed, attempt.lost, zone.down, schedule.missed, worker.lost, ...; or a prefix: zone.*),\n" +
			"at least once, with a stable X-Baton-Alert-Id header to deduplicate. With a secret, each\n" +
			"delivery carries X-Baton-Signature: sha256=<hex HMAC-SHA256 of the body>.",
		Example: "  baton alert set ops --url https://hooks.example.com/baton --events run.failed,zone.*",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ch.Name, ch.Events = args[0], strings.Split(events, ",")
			if secretEnv != "" {
				ch.Secret = os.Getenv(secretEnv)
				if ch.Secret == "" {
					return fmt.Errorf("--secret-env: %s is empty or unset", secretEnv)
				}
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			out, err := c.SetAlertChannel(cmd.Context(), ch)
			if err != nil {
				return err
			}
			if g.jsonOutput() {
				return printJSON(cmd.OutOrStdout(), out)
			}
			cmd.Printf("alert channel %s: %s for %s\n", out.Name, out.URL, strings.Join(out.Events, ","))
			return nil
		},
	}
	set.Flags().StringVar(&ch.URL, "url", "", "the webhook's http:// or https:// URL (required)")
	set.Flags().StringVar(&events, "events", "", "comma-separated event kinds or prefixes (required)")
	set.Flags().StringVar(&secretEnv, "secret-env", "", "environment variable holding the signing secret")
	_ = set.MarkFlagRequired("url")
	_ = set.MarkFlagRequired("events")
	del := &cobra.Command{
		Use:     "delete NAME",
		Short:   "Delete a channel (its undelivered alerts are dropped)",
		Example: "  baton alert delete ops",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if err := c.DeleteAlertChannel(cmd.Context(), args[0]); err != nil {
				return err
			}
			cmd.Printf("alert channel %s deleted\n", args[0])
			return nil
		},
	}
	cmd.AddCommand(set, del)
	return cmd
}
