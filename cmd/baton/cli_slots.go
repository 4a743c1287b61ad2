package main

import (
	"strconv"

	"github.com/spf13/cobra"

	"github.com/baton-sched/baton/client"
)

func newSlotsCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "slots",
		Short:   "List concurrency slots with their running and queued tasks",
		Example: "  baton slots\n  baton slots -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			slots, err := c.Slots(cmd.Context())
			if err != nil {
				return err
			}
			if g.jsonOutput() {
				return printJSON(cmd.OutOrStdout(), slots)
			}
			t := newTable(cmd.OutOrStdout(), "SLOT", "SIZE", "RUNNING", "QUEUED", "DESCRIPTION")
			for _, s := range slots {
				t.row(s.Name, strconv.FormatInt(s.Size, 10), strconv.FormatInt(s.Running, 10),
					strconv.FormatInt(s.Queued, 10), s.Description)
			}
			return t.flush()
		},
	}
}

func newSlotCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "slot",
		Short: "Create, resize or delete a concurrency slot (like an Airflow pool)",
		Long: "Tasks that name a slot (slot: NAME in a workflow, or defaults.slot) run only while fewer\n" +
			"than the slot's size of them run, across all workflows. Tasks of a slot that does not\n" +
			"exist wait until it is created.",
		Example: "  baton slot set warehouse --size 4 --description \"warehouse connections\"\n  baton slot delete warehouse",
	}
	var s client.Slot
	set := &cobra.Command{
		Use:     "set NAME --size N",
		Short:   "Create a slot or change its size (running tasks are never stopped)",
		Example: "  baton slot set warehouse --size 4",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s.Name = args[0]
			c, err := g.client()
			if err != nil {
				return err
			}
			out, err := c.SetSlot(cmd.Context(), s)
			if err != nil {
				return err
			}
			if g.jsonOutput() {
				return printJSON(cmd.OutOrStdout(), out)
			}
			cmd.Printf("slot %s: size %d\n", out.Name, out.Size)
			return nil
		},
	}
	set.Flags().Int64Var(&s.Size, "size", 0, "how many tasks of the slot may run at once (required)")
	set.Flags().StringVar(&s.Description, "description", "", "what the slot protects")
	_ = set.MarkFlagRequired("size")
	del := &cobra.Command{
		Use:     "delete NAME",
		Short:   "Delete a slot (its queued tasks wait until it exists again)",
		Example: "  baton slot delete warehouse",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if err := c.DeleteSlot(cmd.Context(), args[0]); err != nil {
				return err
			}
			cmd.Printf("slot %s deleted\n", args[0])
			return nil
		},
	}
	cmd.AddCommand(set, del)
	return cmd
}
