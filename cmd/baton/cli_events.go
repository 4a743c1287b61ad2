package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/baton-sched/baton/client"
)

func newEventsCmd(g *globals) *cobra.Command {
	var (
		f        client.EventFilter
		follow   bool
		from, to string
	)
	cmd := &cobra.Command{
		Use:   "events",
		Short: "List the audit trail: every state change with its actor and reason",
		Long: "Lists events oldest first: state changes of runs, tasks, attempts and workers, and alerts.\n\n" +
			"With -f, keeps printing new events as they happen; with --run too, it ends once the run\n" +
			"has finished. With -o json, prints a JSON array, or with -f one event per line.",
		Example: "  baton events --run 42\n" +
			"  baton events --kind alert.task_lost --limit 20\n" +
			"  baton events --actor user:alice --from 2026-01-02T00:00:00Z\n" +
			"  baton events -f",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.Limit < 1 {
				return fmt.Errorf("--limit %d: want at least 1", f.Limit)
			}
			for _, b := range []struct {
				flag, v string
				t       *time.Time
			}{{"--from", from, &f.From}, {"--to", to, &f.To}} {
				if b.v == "" {
					continue
				}
				t, err := time.Parse(time.RFC3339, b.v)
				if err != nil {
					return fmt.Errorf("%s %q: want an RFC 3339 time, e.g. 2026-01-02T15:04:05Z", b.flag, b.v)
				}
				*b.t = t
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			ev := &eventPrinter{out: cmd.OutOrStdout(), json: g.jsonOutput(), stream: follow}
			last, err := listEvents(cmd.Context(), c, f, ev)
			if err != nil {
				return err
			}
			if !follow {
				return ev.finish()
			}
			f.After = last
			return followEvents(cmd.Context(), c, f, ev)
		},
	}
	fl := cmd.Flags()
	fl.Int64Var(&f.RunID, "run", 0, "only events of this run")
	fl.StringVar(&f.Kind, "kind", "", "only events of this kind, e.g. run.failed or task.succeeded")
	fl.StringVar(&f.Actor, "actor", "", "only events of this actor, e.g. user:alice or worker:w-1")
	fl.StringVar(&from, "from", "", "only events at or after this time (RFC 3339)")
	fl.StringVar(&to, "to", "", "only events before this time (RFC 3339)")
	fl.IntVar(&f.Limit, "limit", 1000, "list at most this many events (before following)")
	fl.BoolVarP(&follow, "follow", "f", false, "keep printing new events")
	return cmd
}

// listEvents prints up to f.Limit events, a page at a time, and returns
// the ID of the last one (or f.After).
func listEvents(ctx context.Context, c *client.Client, f client.EventFilter, ev *eventPrinter) (int64, error) {
	limit, n := f.Limit, 0
	for n < limit {
		f.Limit = min(limit-n, maxPage)
		page, err := c.Events(ctx, f)
		if err != nil {
			return 0, err
		}
		if err := ev.print(page.Items); err != nil {
			return 0, err
		}
		n += len(page.Items)
		if len(page.Items) == 0 {
			break
		}
		f.After = page.Items[len(page.Items)-1].ID
		if page.Next == "" {
			break
		}
	}
	return f.After, nil
}

// followEvents prints events after f.After as they come, until ctx ends or,
// with f.RunID, the run has finished and its events were printed.
func followEvents(ctx context.Context, c *client.Client, f client.EventFilter, ev *eventPrinter) error {
	f.Limit = maxPage
	for {
		var finished bool
		if f.RunID > 0 {
			// Asked before reading, so the run's last events are read below.
			r, err := c.Run(ctx, f.RunID)
			if err != nil {
				return err
			}
			finished = r.Terminal()
		}
		for {
			page, err := c.Events(ctx, f)
			if err != nil {
				return err
			}
			if err := ev.print(page.Items); err != nil {
				return err
			}
			if len(page.Items) == 0 {
				break
			}
			f.After = page.Items[len(page.Items)-1].ID
		}
		if finished {
			return nil
		}
		if err := client.Wait(ctx, pollInterval); err != nil {
			return fmt.Errorf("follow events: %w", err)
		}
	}
}

// eventPrinter prints events: a table or a JSON array once all are read,
// or batch by batch when following (-f), the JSON then one event a line.
type eventPrinter struct {
	out    io.Writer
	json   bool
	stream bool

	header bool           // the table header was printed
	all    []client.Event // collected until finish unless streaming
}

// print prints a batch of events, or keeps it for finish.
func (p *eventPrinter) print(evs []client.Event) error {
	switch {
	case !p.stream:
		p.all = append(p.all, evs...)
		return nil
	case p.json:
		for _, e := range evs {
			if err := printJSONLine(p.out, e); err != nil {
				return err
			}
		}
		return nil
	}
	return p.table(evs)
}

// finish prints the events kept by print.
func (p *eventPrinter) finish() error {
	switch {
	case p.stream:
		return nil
	case p.json:
		return printJSON(p.out, append([]client.Event{}, p.all...))
	}
	return p.table(p.all)
}

// table prints events as a table, its columns aligned within the batch;
// the header comes once, first.
func (p *eventPrinter) table(evs []client.Event) error {
	if len(evs) == 0 && p.header {
		return nil
	}
	t := newTable(p.out)
	if !p.header {
		t.row("TIME", "KIND", "ACTOR", "RUN", "TASK", "ATTEMPT", "STATE", "REASON")
		p.header = true
	}
	for _, e := range evs {
		var run, attempt string
		if e.RunID > 0 {
			run = fmt.Sprint(e.RunID)
		}
		if e.AttemptID > 0 {
			attempt = fmt.Sprint(e.AttemptID)
		}
		state := e.NewState
		if e.OldState != "" {
			state = e.OldState + "→" + e.NewState
		}
		t.row(timestamp(e.At), e.Kind, e.Actor, run, e.Task, attempt, state, e.Reason)
	}
	return t.flush()
}
