package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/spf13/cobra"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/client/vocab"
)

// finishedAttempt and finishedTask are the terminal states: no more output
// comes once they are reached.
var (
	finishedAttempt = []string{vocab.AttemptSucceeded, vocab.AttemptFailed, vocab.AttemptTimedOut, vocab.AttemptLost, vocab.AttemptCancelled, vocab.AttemptFenced}
	finishedTask    = []string{vocab.TaskSucceeded, vocab.TaskFailed, vocab.TaskSkipped, vocab.TaskCancelled, vocab.TaskUpstreamFailed}
)

func newLogsCmd(g *globals) *cobra.Command {
	var (
		attempt int64
		follow  bool
		raw     bool
	)
	cmd := &cobra.Command{
		Use:   "logs RUN_ID TASK",
		Short: "Print a task's output (stdout and stderr), optionally following it",
		Long: "Prints the output of the task's latest attempt (or of --attempt N) as the task wrote it.\n\n" +
			"With -f, waits for the task to start if it has not, prints output as it arrives, and ends\n" +
			"when the task has finished and all its output was printed; without --attempt it moves on to\n" +
			"a retry's new attempt. With -o json, prints each output chunk as a JSON line.\n\n" +
			"Control characters (escape sequences and the like) are shown escaped, e.g. \\x1b, so that a\n" +
			"task's output cannot drive your terminal; --raw writes the output byte for byte.",
		Example: "  baton logs 42 extract\n  baton logs 42 extract -f\n  baton logs 42 load --attempt 1",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseRunID(args[0])
			if err != nil {
				return err
			}
			if attempt < 0 {
				return fmt.Errorf("--attempt %d: want a positive number", attempt)
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if raw && g.rawOut != nil {
				out = g.rawOut
			}
			lr := &logReader{c: c, run: id, task: args[1], attempt: attempt, pinned: attempt > 0,
				out: out, stderr: cmd.ErrOrStderr(), json: g.jsonOutput()}
			if follow {
				return lr.follow(cmd.Context())
			}
			return lr.readAll(cmd.Context())
		},
	}
	cmd.Flags().Int64Var(&attempt, "attempt", 0, "attempt number (default: the latest)")
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing output until the task has finished")
	cmd.Flags().BoolVar(&raw, "raw", false, "write the output byte for byte, control characters included")
	return cmd
}

// logReader prints one task's output, page by page.
type logReader struct {
	c       *client.Client
	run     int64
	task    string
	attempt int64 // 0: the latest; set to the attempt once one is read
	pinned  bool  // the user chose the attempt
	out     io.Writer
	stderr  io.Writer
	json    bool

	after int64 // sequence number of the last chunk printed
}

// readAll prints the output stored so far.
func (lr *logReader) readAll(ctx context.Context) error {
	for {
		l, err := lr.page(ctx)
		if err != nil {
			return err
		}
		if l.AttemptID == 0 {
			fmt.Fprintf(lr.stderr, "task %s of run %d has not started yet: no output\n", lr.task, lr.run)
			return nil
		}
		if len(l.Chunks) == 0 {
			return nil
		}
	}
}

// follow prints output as it arrives until the attempt (a chosen one) or
// the task (else) has finished and all its output was printed.
func (lr *logReader) follow(ctx context.Context) error {
	for {
		var done bool
		if !lr.pinned {
			// Asked before reading: a task that had finished then has no
			// attempt or output to come that the reads below would miss.
			var err error
			if done, err = lr.taskFinished(ctx); err != nil {
				return err
			}
		}
		state, err := lr.drain(ctx)
		if err != nil {
			return err
		}
		if done || lr.pinned && slices.Contains(finishedAttempt, state) {
			return nil
		}
		if err := client.Wait(ctx, pollInterval); err != nil {
			return fmt.Errorf("follow logs: %w", err)
		}
	}
}

// drain prints the output there is now and returns the attempt's state.
// Unless an attempt was chosen, it moves on from a finished attempt to a
// newer one (a retry).
func (lr *logReader) drain(ctx context.Context) (string, error) {
	for {
		l, err := lr.page(ctx)
		if err != nil {
			return "", err
		}
		if len(l.Chunks) > 0 {
			continue
		}
		if lr.pinned || l.AttemptID == 0 || !slices.Contains(finishedAttempt, l.State) {
			return l.State, nil
		}
		latest, err := lr.c.Logs(ctx, lr.run, lr.task, 0, math.MaxInt64) // no chunks, just the number
		if err != nil {
			return "", err
		}
		if latest.Attempt <= l.Attempt {
			return l.State, nil
		}
		fmt.Fprintf(lr.stderr, "--- attempt %d ---\n", latest.Attempt)
		lr.attempt, lr.after = latest.Attempt, 0
	}
}

// page reads and prints the next page of output. Once an attempt was
// read, reading stays on it.
func (lr *logReader) page(ctx context.Context) (client.Logs, error) {
	l, err := lr.c.Logs(ctx, lr.run, lr.task, lr.attempt, lr.after)
	if err != nil {
		return l, err
	}
	if lr.attempt == 0 && l.Attempt > 0 {
		lr.attempt = l.Attempt
	}
	for _, ch := range l.Chunks {
		if lr.json {
			if err := printJSONLine(lr.out, ch); err != nil {
				return l, err
			}
		} else if _, err := io.WriteString(lr.out, ch.Data); err != nil {
			return l, fmt.Errorf("write output: %w", err)
		}
	}
	lr.after = l.NextSeq
	return l, nil
}

// taskFinished reports whether the task has reached a terminal state.
func (lr *logReader) taskFinished(ctx context.Context) (bool, error) {
	r, err := lr.c.Run(ctx, lr.run)
	if err != nil {
		return false, err
	}
	for _, t := range r.Tasks {
		if t.Name == lr.task {
			return slices.Contains(finishedTask, t.State), nil
		}
	}
	return false, fmt.Errorf("run %d has no task %q", lr.run, lr.task)
}
