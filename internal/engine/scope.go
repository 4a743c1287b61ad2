package engine

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/taskkind"
	"github.com/baton-sched/baton/internal/workflow"
)

// runScope is a run with what working on its tasks needs: its compiled
// plan, its parameters and, loaded on first need, its tasks' outputs.
type runScope struct {
	run    store.Run
	plan   *plan
	params map[string]string // see loadParams
	// paramsLoaded says params holds the run's decoded parameters.
	paramsLoaded bool
	outputs      map[string]map[string]string
	// trigger is the event that started the run (loadTrigger), nil for
	// none.
	trigger       *workflow.TriggerScope
	triggerLoaded bool
	// resources are the versions the run pinned, by name, once read.
	resources map[string]store.Resource
}

// runScopes loads the runs ids (in one query) with their plans.
func (o *op) runScopes(ids []int64) (map[int64]*runScope, error) {
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	runs, err := o.Runs().GetMany(o.ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]*runScope, len(runs))
	if err := o.addScopes(out, runs...); err != nil {
		return nil, err
	}
	for _, id := range ids {
		if out[id] == nil {
			return nil, notFound(store.ErrNotFound, "run %d", id)
		}
	}
	return out, nil
}

// addScopes adds to scopes those of runs not in it yet, with their plans.
func (o *op) addScopes(scopes map[int64]*runScope, runs ...store.Run) error {
	for _, run := range runs {
		if scopes[run.ID] != nil {
			continue
		}
		p, err := o.plan(run.VersionID)
		if err != nil {
			return err
		}
		scopes[run.ID] = &runScope{run: run, plan: p} // params decoded when a template needs them
	}
	return nil
}

// loadParams decodes the run's parameters, once.
func (rs *runScope) loadParams() error {
	if rs.paramsLoaded {
		return nil
	}
	if err := json.Unmarshal([]byte(rs.run.Params), &rs.params); err != nil {
		return fmt.Errorf("run %d params: %w", rs.run.ID, err)
	}
	rs.paramsLoaded = true
	return nil
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

// render expands the node's command and environment for attempt number:
// the values of the command's expressions travel as environment
// variables the command refers to (workflow.RenderCommand), never as
// shell text.
func (o *op) render(rs *runScope, n workflow.Node, number int64) (string, map[string]string, workflow.Scope, error) {
	scope, err := o.scope(rs, n, number)
	if err != nil {
		return "", nil, scope, err
	}
	cmd, vars, err := workflow.RenderCommand(n.Run, scope)
	if err != nil {
		return "", nil, scope, &renderError{fmt.Errorf("run: %w", err)}
	}
	env := maps.Clone(n.Env)
	for k, v := range env {
		if env[k], err = workflow.Render(v, scope); err != nil {
			return "", nil, scope, &renderError{fmt.Errorf("env %s: %w", k, err)}
		}
	}
	if len(vars) > 0 && env == nil {
		env = make(map[string]string, len(vars))
	}
	maps.Copy(env, vars)
	return cmd, env, scope, nil
}

// renderKind renders the node's block with its kind's Prepare for
// attempt number; a template that does not expand is a renderError.
func (o *op) renderKind(rs *runScope, n workflow.Node, number int64) (taskkind.Prepared, workflow.Scope, error) {
	k, ok := taskkind.Lookup(n.Kind)
	if !ok {
		return taskkind.Prepared{}, workflow.Scope{}, fmt.Errorf("task %s: unknown kind %q", n.Name, n.Kind)
	}
	if k.Prepare == nil { // nothing to render (noop): no scope to read
		return taskkind.Prepared{}, workflow.Scope{}, nil
	}
	scope, err := o.scope(rs, n, number)
	if err != nil {
		return taskkind.Prepared{}, scope, err
	}
	p, err := k.Prepare(renderer{scope: scope, timeout: n.Timeout}, n.Spec)
	if err != nil {
		return taskkind.Prepared{}, scope, &renderError{err}
	}
	return p, scope, nil
}

// renderer is the taskkind.Renderer of one attempt's scope.
type renderer struct {
	scope   workflow.Scope
	timeout time.Duration
}

func (r renderer) Render(p taskkind.Path, tmpl string) (string, error) {
	out, err := workflow.Render(tmpl, r.scope)
	if err != nil {
		return "", fmt.Errorf("%s: %w", p, err)
	}
	return out, nil
}

func (r renderer) Secret(name string) (string, bool) {
	v, ok := r.scope.Secrets[name]
	return v, ok
}

func (r renderer) Timeout() time.Duration { return r.timeout }

// scope is what the node's templates may refer to, for attempt number.
func (o *op) scope(rs *runScope, n workflow.Node, number int64) (workflow.Scope, error) {
	if len(n.OutputRefs()) > 0 {
		if err := o.loadOutputs(rs); err != nil {
			return workflow.Scope{}, err
		}
	}
	if err := o.loadTrigger(rs); err != nil {
		return workflow.Scope{}, err
	}
	if err := rs.loadParams(); err != nil {
		return workflow.Scope{}, err
	}
	sched := rs.run.ScheduledAt
	if sched == 0 {
		sched = rs.run.CreatedAt
	}
	secrets, err := secretPlaceholders(n.SecretRefs()), error(nil)
	if !o.placeholders {
		secrets, err = o.secretValues(n.SecretRefs())
	}
	if err != nil {
		return workflow.Scope{}, err
	}
	return workflow.Scope{
		Params: rs.params, RunID: rs.run.ID, Workflow: rs.run.Workflow,
		ScheduledTime: time.UnixMilli(sched).UTC(), Task: n.Name, Attempt: int(number),
		Outputs: rs.outputs, Secrets: secrets, Trigger: rs.trigger,
	}, nil
}

// masks are the values a worker must hide in an attempt's output: the
// secrets its templates use.
func masks(s workflow.Scope) []string {
	if len(s.Secrets) == 0 {
		return nil
	}
	return slices.Sorted(maps.Values(s.Secrets))
}

// renderError is a template that cannot be expanded: the task fails without
// an attempt, since every retry would fail the same way.
type renderError struct{ err error }

func (e *renderError) Error() string { return e.err.Error() }
