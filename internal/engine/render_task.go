package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/baton-sched/baton/client/vocab"
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/taskkind"
)

// RenderedTask is a task's templates expanded as an attempt would get
// them, for showing: parameters, run fields and upstream outputs filled
// in, and every secret left as "${{ secrets.NAME }}" (its value is never
// read). A shell task has Command and Env, another kind its Payload (its
// Prepare's, as an attempt gets it); Problem says why the templates do
// not expand now (an upstream output not written yet), and then nothing
// else is.
type RenderedTask struct {
	Kind    string
	Attempt int64 // the attempt number the templates were expanded for
	// Command is a shell task's command; the values of its expressions
	// are the BATON_TPL_ variables of Env (workflow.RenderCommand).
	Command string
	Env     map[string]string
	// Payload is the kind's rendered block: *client.HTTPRequest for
	// http, *client.SQLRequest for sql (its DSN is the placeholder of
	// its secret), the child run's map[string]string params for a
	// sub-workflow, nil for noop.
	Payload any
	Problem string
}

// secretPlaceholders stands "${{ secrets.NAME }}" for each secret named.
func secretPlaceholders(names []string) map[string]string {
	out := make(map[string]string, len(names))
	for _, n := range names {
		out[n] = "${{ secrets." + n + " }}"
	}
	return out
}

// RenderTask expands the templates of a run's task for attempt number
// (below 1: the first), never reading a secret's value. It answers
// ErrNotFound for an unknown run or task.
func (e *Engine) RenderTask(ctx context.Context, runID int64, task string, number int64) (RenderedTask, error) {
	number = max(number, 1)
	var out RenderedTask
	err := e.store.Read(ctx, func(tx store.Tx) error {
		o := &op{Tx: tx, ctx: ctx, e: e, placeholders: true}
		rss, err := o.runScopes([]int64{runID})
		if err != nil {
			return err
		}
		rs := rss[runID]
		n, ok := rs.plan.node(task)
		if !ok {
			return notFound(store.ErrNotFound, "task %q of run %d", task, runID)
		}
		out = RenderedTask{Kind: n.Kind, Attempt: number}
		if n.Kind == vocab.KindShell {
			out.Command, out.Env, _, err = o.render(rs, n, number)
		} else {
			var p taskkind.Prepared
			p, _, err = o.renderKind(rs, n, number)
			out.Payload = p.Payload
		}
		var re *renderError
		if errors.As(err, &re) {
			out = RenderedTask{Kind: out.Kind, Attempt: number, Problem: re.Error()}
			return nil
		}
		return err
	})
	if err != nil {
		return RenderedTask{}, fmt.Errorf("render task %q of run %d: %w", task, runID, err)
	}
	return out, nil
}
