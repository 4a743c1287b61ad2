package worker

import (
	"bytes"
	"context"
	"log/slog"
	"testing"

	"github.com/baton-sched/baton/client"
)

// TestAttemptLogAsWith: the attempt's logger writes what base.With of its
// fields writes, and formats nothing for records below the level.
func TestAttemptLogAsWith(t *testing.T) {
	asg := client.Assignment{AttemptID: 7, RunID: 3, Workflow: "wf", Task: "t", Number: 2}
	text := func(buf *bytes.Buffer) *slog.Logger {
		return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{
			ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
				if a.Key == slog.TimeKey {
					return slog.Attr{}
				}
				return a
			}}))
	}
	for _, idOnly := range []bool{false, true} {
		var want, got bytes.Buffer
		w := text(&want).With("attempt_id", asg.AttemptID)
		if !idOnly {
			w = text(&want).With("attempt_id", asg.AttemptID, "run_id", asg.RunID, "workflow", asg.Workflow,
				"task", asg.Task, "number", asg.Number)
		}
		g := attemptLog(text(&got), &asg, idOnly)
		for _, l := range []*slog.Logger{w, g} {
			l.Info("attempt finished", "state", "succeeded")
			l.With("k", 1).WithGroup("g").Warn("grouped", "v", 2)
			l.Debug("below the level")
		}
		if got.String() != want.String() {
			t.Errorf("idOnly %v: wrote\n%s\nwant\n%s", idOnly, got.String(), want.String())
		}
	}

	counter := &countingHandler{}
	attemptLog(slog.New(counter), &asg, false).Debug("below the level", "x", 1)
	if counter.withAttrs != 0 || counter.handled != 0 {
		t.Errorf("a record below the level formatted the fields %d times, handled %d", counter.withAttrs, counter.handled)
	}
}

// countingHandler enables Info and above and counts its calls.
type countingHandler struct{ withAttrs, handled int }

func (h *countingHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }
func (h *countingHandler) Handle(context.Context, slog.Record) error    { h.handled++; return nil }
func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler           { h.withAttrs++; return h }
func (h *countingHandler) WithGroup(string) slog.Handler                { return h }
