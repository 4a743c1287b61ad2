package worker

import (
	"context"
	"log/slog"
	"sync"

	"github.com/baton-sched/baton/client"
)

// attemptLog is base with the fields of an attempt (attempt_id, run_id,
// workflow, task, number; only attempt_id with idOnly), as base.With
// would give it, except that the fields are formatted (the handler's
// WithAttrs) when a record is first written: an attempt that logs
// nothing at the handler's level, as on a worker logging warnings only,
// costs no boxing and no formatting.
func attemptLog(base *slog.Logger, asg *client.Assignment, idOnly bool) *slog.Logger {
	return slog.New(&attemptHandler{next: base.Handler(), asg: asg, idOnly: idOnly})
}

type attemptHandler struct {
	next   slog.Handler
	asg    *client.Assignment
	idOnly bool
	once   sync.Once
	with   slog.Handler // next with the fields, once needed
}

func (h *attemptHandler) handler() slog.Handler {
	h.once.Do(func() {
		attrs := []slog.Attr{slog.Any("attempt_id", h.asg.AttemptID)}
		if !h.idOnly {
			attrs = append(attrs, slog.Any("run_id", h.asg.RunID), slog.Any("workflow", h.asg.Workflow),
				slog.Any("task", h.asg.Task), slog.Any("number", h.asg.Number))
		}
		h.with = h.next.WithAttrs(attrs)
	})
	return h.with
}

func (h *attemptHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h *attemptHandler) Handle(ctx context.Context, r slog.Record) error {
	return h.handler().Handle(ctx, r)
}

func (h *attemptHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return h.handler().WithAttrs(attrs)
}
func (h *attemptHandler) WithGroup(name string) slog.Handler { return h.handler().WithGroup(name) }
