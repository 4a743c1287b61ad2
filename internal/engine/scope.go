package engine

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/workflow"
)

// runScope is a run with what working on its tasks needs: its compiled
// plan, its parameters and, loaded on first need, its tasks' outputs.
type runScope struct {
	run     store.Run
	plan    *plan
	params  map[string]string
	outputs map[string]map[string]string
}

// runScopes loads the runs ids (in one query) with their plans.
func (o *op) runScopes(ids []int64) (map[int64]*runScope, error) {
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	runs, err := o.Runs().GetMany(o.ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]*runScope, len(runs))
	for _, run := range runs {
		p, err := o.plan(run.VersionID)
		if err != nil {
			return nil, err
		}
		rs := &runScope{run: run, plan: p}
		if err := json.Unmarshal([]byte(run.Params), &rs.params); err != nil {
			return nil, fmt.Errorf("run %d params: %w", run.ID, err)
		}
		out[run.ID] = rs
	}
	for _, id := range ids {
		if out[id] == nil {
			return nil, notFound(store.ErrNotFound, "run %d", id)
		}
	}
	return out, nil
}

func (o *op) loadOutputs(rs *runScope) error {
	if rs.outputs != nil {
		return nil
	}
	rows, err := o.Tasks().Outputs(o.ctx, rs.run.ID)
	if err != nil {
		return err
	}
	rs.outputs = map[string]map[string]string{}
	for _, r := range rows {
		var kv map[string]string
		if err := json.Unmarshal([]byte(r.Outputs), &kv); err != nil {
			return fmt.Errorf("outputs of task %s: %w", r.Name, err)
		}
		rs.outputs[r.Name] = kv
	}
	return nil
}

// render expands the node's command and environment for attempt number.
func (o *op) render(rs *runScope, n workflow.Node, number int64) (string, map[string]string, error) {
	if len(n.OutputRefs()) > 0 {
		if err := o.loadOutputs(rs); err != nil {
			return "", nil, err
		}
	}
	sched := rs.run.ScheduledAt
	if sched == 0 {
		sched = rs.run.CreatedAt
	}
	scope := workflow.Scope{
		Params: rs.params, RunID: rs.run.ID, Workflow: rs.run.Workflow,
		ScheduledTime: time.UnixMilli(sched).UTC(), Task: n.Name, Attempt: int(number),
		Outputs: rs.outputs,
	}
	cmd, err := workflow.Render(n.Run, scope)
	if err != nil {
		return "", nil, &renderError{fmt.Errorf("run: %w", err)}
	}
	env := maps.Clone(n.Env)
	for k, v := range env {
		if env[k], err = workflow.Render(v, scope); err != nil {
			return "", nil, &renderError{fmt.Errorf("env %s: %w", k, err)}
		}
	}
	return cmd, env, nil
}

// renderError is a template that cannot be expanded: the task fails without
// an attempt, since every retry would fail the same way.
type renderError struct{ err error }

func (e *renderError) Error() string { return e.err.Error() }
