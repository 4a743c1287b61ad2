package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/baton-sched/baton/client"
)

// completers offer the values of an argument from the server: the shell
// completion (`baton completion bash|zsh|fish`) asks for them.
type completer func(ctx context.Context, c *client.Client, args []string) ([]string, error)

// argCompleters by placeholder; NAME depends on the command group.
var argCompleters = map[string]completer{
	"WORKFLOW": completeWorkflows,
	"SCHEDULE": completeSchedules,
	"RUN_ID":   completeRuns,
	"TASK":     completeTasks,
	"ZONE":     completeZones,
	"WORKER_ID": func(ctx context.Context, c *client.Client, _ []string) ([]string, error) {
		ws, err := c.Workers(ctx, false)
		out := make([]string, 0, len(ws))
		for _, w := range ws {
			out = append(out, w.ID+"\t"+w.Name+" in zone "+w.Zone)
		}
		return out, err
	},
}

var nameCompleters = map[string]completer{
	"workflow": completeWorkflows,
	"slot": func(ctx context.Context, c *client.Client, _ []string) ([]string, error) {
		ss, err := c.Slots(ctx)
		out := make([]string, 0, len(ss))
		for _, s := range ss {
			out = append(out, s.Name)
		}
		return out, err
	},
	"secret": func(ctx context.Context, c *client.Client, _ []string) ([]string, error) {
		ss, err := c.Secrets(ctx)
		out := make([]string, 0, len(ss))
		for _, s := range ss {
			out = append(out, s.Name)
		}
		return out, err
	},
	"alert": func(ctx context.Context, c *client.Client, _ []string) ([]string, error) {
		a, err := c.Alerts(ctx)
		out := make([]string, 0, len(a.Channels))
		for _, ch := range a.Channels {
			out = append(out, ch.Name)
		}
		return out, err
	},
}

func completeWorkflows(ctx context.Context, c *client.Client, _ []string) ([]string, error) {
	wfs, err := c.Workflows(ctx)
	out := make([]string, 0, len(wfs))
	for _, w := range wfs {
		out = append(out, w.Name)
	}
	return out, err
}

func completeSchedules(ctx context.Context, c *client.Client, _ []string) ([]string, error) {
	ss, err := c.Schedules(ctx)
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		out = append(out, s.Workflow+"/"+s.Name)
	}
	return out, err
}

// completeRuns offers the latest 50 runs, with their workflow and state.
func completeRuns(ctx context.Context, c *client.Client, _ []string) ([]string, error) {
	page, err := c.Runs(ctx, client.RunFilter{Limit: 50})
	out := make([]string, 0, len(page.Items))
	for _, r := range page.Items {
		out = append(out, fmt.Sprintf("%d\t%s %s", r.ID, r.Workflow, r.State))
	}
	return out, err
}

// completeTasks offers the tasks of the run named before.
func completeTasks(ctx context.Context, c *client.Client, args []string) ([]string, error) {
	if len(args) == 0 {
		return nil, nil
	}
	id, err := strconv.ParseInt(args[0], 10, 64)
	if err != nil {
		return nil, nil
	}
	r, err := c.Run(ctx, id)
	out := make([]string, 0, len(r.Tasks))
	for _, t := range r.Tasks {
		out = append(out, t.Name+"\t"+t.State)
	}
	return out, err
}

func completeZones(ctx context.Context, c *client.Client, _ []string) ([]string, error) {
	p, err := c.Zones(ctx)
	out := make([]string, 0, len(p.Zones))
	for _, z := range p.Zones {
		out = append(out, z.Name)
	}
	return out, err
}

// addCompletions gives every command whose arguments name things on the
// server (the placeholders of its Use line) a dynamic completion.
func addCompletions(cmd *cobra.Command, g *globals) {
	for _, sub := range cmd.Commands() {
		addCompletions(sub, g)
	}
	if cmd.ValidArgsFunction != nil {
		return
	}
	var slots []completer
	for _, word := range strings.Fields(cmd.Use)[1:] {
		if strings.HasPrefix(word, "-") || strings.HasPrefix(word, "[") {
			break
		}
		comp := argCompleters[word]
		if word == "NAME" && cmd.HasParent() {
			comp = nameCompleters[cmd.Parent().Name()]
		}
		slots = append(slots, comp)
	}
	if len(slots) == 0 {
		return
	}
	cmd.ValidArgsFunction = func(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) >= len(slots) || slots[len(args)] == nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		c, err := g.client()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		// A completion must answer at once, server or not.
		ctx, cancel := context.WithTimeout(cmd.Context(), 2*time.Second)
		defer cancel()
		out, err := slots[len(args)](ctx, c, args)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveError
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}
