package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/client/vocab"
)

// paramsFlag collects repeated -p key=value flags.
type paramsFlag map[string]string

func (p paramsFlag) String() string { return keyValues(p) }
func (p paramsFlag) Type() string   { return "key=value" }

// Set adds one parameter; pflag names the flag in the error it returns.
func (p paramsFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	k = strings.TrimSpace(k)
	switch {
	case !ok || k == "":
		return errors.New("want key=value")
	}
	if _, dup := p[k]; dup {
		return fmt.Errorf("parameter %q given twice", k)
	}
	p[k] = v
	return nil
}

func newRunCmd(g *globals) *cobra.Command {
	params := paramsFlag{}
	var (
		req     client.StartRunRequest
		wait    bool
		timeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "run WORKFLOW [-p key=value ...]",
		Short: "Start a run of a workflow, and optionally wait for it to finish",
		Long: "Starts a run of the workflow's latest version and prints its ID.\n\n" +
			"With --wait, prints each task's state changes until the run finishes, then a summary. The\n" +
			"exit code is then 0 only if the run succeeded, 1 if it failed or was cancelled, and 3 if\n" +
			"--timeout passed first (the run goes on). `baton run show ID` shows a run.",
		Example: "  baton run hello\n" +
			"  baton run hello -p who=you --wait\n" +
			"  baton run nightly-etl -p day=2024-05-01 --priority 10 --idempotency-key etl-2024-05-01\n" +
			"  baton run fanout --wait --timeout 10m",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if timeout < 0 {
				return fmt.Errorf("--timeout %s: must not be negative", timeout)
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			req.Params = params
			run, err := c.StartRun(cmd.Context(), args[0], req)
			if err != nil {
				return err
			}
			if !wait && timeout == 0 {
				if g.jsonOutput() {
					return printJSON(cmd.OutOrStdout(), run)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "run %d of %s started (%s)\n", run.ID, run.Workflow, run.State)
				return nil
			}
			return waitRun(cmd, g, c, run, timeout)
		},
	}
	f := cmd.Flags()
	f.VarP(params, "param", "p", "run parameter key=value (repeatable)")
	f.Int64Var(&req.Priority, "priority", 0, "priority: higher runs first when capacity is short")
	f.StringVar(&req.IdempotencyKey, "idempotency-key", "", "a repeated start with the same key returns the first run instead")
	f.BoolVarP(&wait, "wait", "w", false, "wait for the run to finish, printing task state changes")
	f.DurationVar(&timeout, "timeout", 0, "give up waiting after this long (exit code 3; the run goes on); implies --wait")
	cmd.AddCommand(newRunShowCmd(g))
	return cmd
}

// waitRun polls a run until it finishes, printing task state changes, then
// a summary; the error carries the exit code for a run that did not
// succeed. With -o json, the changes go to stderr and the finished run to
// stdout.
func waitRun(cmd *cobra.Command, g *globals, c *client.Client, run client.Run, timeout time.Duration) error {
	ctx := cmd.Context()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	out, progress := cmd.OutOrStdout(), cmd.OutOrStdout()
	if g.jsonOutput() {
		progress = cmd.ErrOrStderr()
	} else {
		fmt.Fprintf(out, "run %d of %s started; waiting for it to finish\n", run.ID, run.Workflow)
	}
	tr := &transitions{run: run.ID, attempts: map[string]int{}}
	var detail client.RunDetail
	warned := false
	for {
		var err error
		detail, err = c.Run(ctx, run.ID)
		if err == nil {
			// The run was read first: every transition up to its end is
			// among the events read after it.
			err = tr.print(ctx, c, progress, detail.Tasks)
		}
		switch {
		case err == nil:
		case client.Unreachable(err) && ctx.Err() == nil:
			if !warned { // ride through a server restart: keep waiting
				fmt.Fprintf(cmd.ErrOrStderr(), "no server answers (%v); still waiting\n", err)
				warned = true
			}
		default:
			return waitError(cmd.Context(), ctx, run.ID, timeout, err)
		}
		if err == nil && detail.Terminal() {
			break
		}
		if err := client.Wait(ctx, pollInterval); err != nil {
			return waitError(cmd.Context(), ctx, run.ID, timeout, err)
		}
	}
	if g.jsonOutput() {
		if err := printJSON(out, detail); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(out, runSummary(detail, time.Now()))
	}
	if detail.State != vocab.RunSucceeded {
		return &exitError{code: exitFailed}
	}
	return nil
}

// waitError explains why waiting for a run stopped: --timeout passed
// (exit code 3; the run goes on) or something else failed.
func waitError(parent, ctx context.Context, id int64, timeout time.Duration, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) && parent.Err() == nil {
		return &exitError{code: exitTimeout,
			msg: fmt.Sprintf("run %d not finished after %s; it goes on (see baton run show %d)", id, timeout, id)}
	}
	return fmt.Errorf("wait for run %d: %w", id, err)
}

// transitions prints every task transition of a run once, in order, from
// its events: a poll of the run's state alone would miss the states a task
// passed through between two polls (queued, a failed attempt, a retry).
type transitions struct {
	run      int64
	after    int64          // the last event printed
	attempts map[string]int // task name -> attempts started
}

func (tr *transitions) print(ctx context.Context, c *client.Client, w io.Writer, tasks []client.Task) error {
	width := 0
	for _, t := range tasks {
		width = max(width, len(t.Name))
	}
	for {
		page, err := c.Events(ctx, client.EventFilter{RunID: tr.run, After: tr.after, Limit: 1000})
		if err != nil {
			return err
		}
		for _, e := range page.Items {
			tr.after = e.ID
			if !strings.HasPrefix(e.Kind, "task.") || e.NewState == "" {
				continue
			}
			line := fmt.Sprintf("%s  %-*s  %s", timestamp(e.At), width, e.Task, e.NewState)
			if e.NewState == vocab.RunRunning {
				tr.attempts[e.Task]++
				if n := tr.attempts[e.Task]; n > 1 {
					line += fmt.Sprintf(" (attempt %d)", n)
				}
			}
			if e.Reason != "" && e.NewState != vocab.RunRunning && e.NewState != vocab.RunQueued {
				line += ": " + oneLine(e.Reason)
			}
			fmt.Fprintln(w, line)
		}
		if len(page.Items) < 1000 {
			return nil
		}
	}
}

// runSummary says how a finished run ended: "run 42 of hello succeeded in
// 1.2s: 2 succeeded".
func runSummary(r client.RunDetail, now time.Time) string {
	counts := map[string]int{}
	for _, t := range r.Tasks {
		counts[t.State]++
	}
	var parts []string
	for _, s := range slices.Sorted(maps.Keys(counts)) {
		parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
	}
	s := fmt.Sprintf("run %d of %s %s in %s", r.ID, r.Workflow, r.State,
		humanDuration(runEnd(r.Run, now).Sub(runStart(r.Run))))
	if r.Reason != "" {
		s += " (" + oneLine(r.Reason) + ")"
	}
	return s + ": tasks " + strings.Join(parts, ", ")
}

// runStart is when a run started, or was created if it never started.
func runStart(r client.Run) time.Time {
	if r.StartedAt.IsZero() {
		return r.CreatedAt
	}
	return r.StartedAt
}

// runEnd is when a run finished, or now if it has not.
func runEnd(r client.Run, now time.Time) time.Time {
	if r.FinishedAt.IsZero() {
		return now
	}
	return r.FinishedAt
}

func newRunShowCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "show RUN_ID",
		Short:   "Show a run and the state of each of its tasks",
		Example: "  baton run show 42\n  baton run show 42 -o json",
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
			detail, err := c.Run(cmd.Context(), id)
			if err != nil {
				return err
			}
			if g.jsonOutput() {
				return printJSON(cmd.OutOrStdout(), detail)
			}
			return printRunDetail(cmd.OutOrStdout(), detail, time.Now())
		},
	}
}

// printRunDetail prints a run's summary, then its tasks table.
func printRunDetail(w io.Writer, r client.RunDetail, now time.Time) error {
	head := newTable(w)
	field := func(k, v string) {
		if v != "" {
			head.row(k+":", v)
		}
	}
	field("Run", fmt.Sprint(r.ID))
	field("Workflow", fmt.Sprintf("%s (version %d)", r.Workflow, r.Version))
	field("State", r.State)
	field("Reason", r.Reason)
	field("Params", keyValues(r.Params))
	if r.Priority != 0 {
		field("Priority", fmt.Sprint(r.Priority))
	}
	field("Scheduled", timestamp(r.ScheduledAt))
	field("Created", strings.TrimSpace(timestamp(r.CreatedAt)+" by "+r.CreatedBy))
	field("Started", timestamp(r.StartedAt))
	field("Finished", timestamp(r.FinishedAt))
	field("Duration", span(r.StartedAt, r.FinishedAt, now))
	done := r.TasksTotal - r.TasksLeft
	field("Tasks", fmt.Sprintf("%d/%d done, %d failed", done, r.TasksTotal, r.TasksFailed))
	if err := head.flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	t := newTable(w, "TASK", "STATE", "ATTEMPTS", "WORKER", "ZONE", "DURATION", "REASON")
	for _, task := range r.Tasks {
		var worker, zone string
		if la := task.LastAttempt; la != nil {
			worker, zone = la.WorkerID, la.Zone
		}
		t.row(task.Name, task.State, fmt.Sprint(task.Attempts), worker, zone,
			span(task.StartedAt, task.FinishedAt, now), task.Reason)
	}
	if err := t.flush(); err != nil {
		return err
	}
	return printOutputs(w, r.Tasks)
}

// printOutputs lists the tasks' outputs, one per line, each value on one
// line and cut at 100 characters (-o json has them whole).
func printOutputs(w io.Writer, tasks []client.Task) error {
	var t *table
	for _, task := range tasks {
		for _, k := range slices.Sorted(maps.Keys(task.Outputs)) {
			if t == nil {
				fmt.Fprintln(w)
				t = newTable(w, "TASK", "OUTPUT", "VALUE")
			}
			v := oneLine(task.Outputs[k])
			if r := []rune(v); len(r) > 100 {
				v = string(r[:99]) + "…"
			}
			t.row(task.Name, k, v)
		}
	}
	if t == nil {
		return nil
	}
	return t.flush()
}
