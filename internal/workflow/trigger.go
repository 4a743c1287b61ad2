package workflow

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// On lists the events that start runs of a workflow besides its schedules
// and people (the `on:` key):
//
//	on:
//	  workflow_succeeded: load-orders         # or a list of names
//	  webhook: true
//
// or, to give the runs parameters from the upstream run,
//
//	on:
//	  workflow_succeeded:
//	    - workflow: load-orders
//	      params: {day: "${{ trigger.params.day }}"}
type On struct {
	// WorkflowSucceeded: each run of one of these workflows that ends
	// succeeded starts one run of this workflow, exactly once per upstream
	// run.
	WorkflowSucceeded []Upstream `json:"workflow_succeeded,omitempty"`
	// Webhook accepts POST /api/v1/hooks/NAME with the workflow's webhook
	// token: the JSON body gives the run's parameters.
	Webhook bool `json:"webhook,omitempty"`
}

// Upstream is a workflow whose succeeded runs start runs of this one.
type Upstream struct {
	Workflow string `json:"workflow"`
	// Params are the parameters of the runs it starts: templates that may
	// refer to trigger.* only (see TriggerScope). Parse checks, as for
	// schedules, that they give every required parameter and no other.
	Params map[string]string `json:"params,omitempty"`
}

// Trigger kinds: what started a run (TriggerScope.Kind).
const (
	TriggerWorkflowSucceeded = "workflow_succeeded"
	TriggerWebhook           = "webhook"
)

// TriggerScope is what the templates of a run an event started read as
// trigger.*:
//
//	trigger.kind                     workflow_succeeded or webhook
//	trigger.run, trigger.workflow    the upstream run's id and workflow
//	trigger.params.NAME              the upstream run's parameter, or the
//	                                 webhook body's field
//	trigger.outputs.TASK.KEY         an output of a task of the upstream run
type TriggerScope struct {
	Kind     string                       `json:"kind"`
	RunID    int64                        `json:"run,omitempty"`
	Workflow string                       `json:"workflow,omitempty"`
	Params   map[string]string            `json:"params,omitempty"`
	Outputs  map[string]map[string]string `json:"outputs,omitempty"`
}

// UpstreamNames returns the workflows the definition listens to, sorted.
func (d *Definition) UpstreamNames() []string {
	if d.On == nil {
		return nil
	}
	names := make([]string, 0, len(d.On.WorkflowSucceeded))
	for _, u := range d.On.WorkflowSucceeded {
		names = append(names, u.Workflow)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// Upstream returns how the definition listens to the named workflow.
func (d *Definition) Upstream(name string) (Upstream, bool) {
	if d.On != nil {
		for _, u := range d.On.WorkflowSucceeded {
			if u.Workflow == name {
				return u, true
			}
		}
	}
	return Upstream{}, false
}

// TriggerParams renders the parameters of a run the upstream's success
// starts.
func (u Upstream) TriggerParams(ts *TriggerScope) (map[string]string, error) {
	out := make(map[string]string, len(u.Params))
	for _, k := range slices.Sorted(maps.Keys(u.Params)) {
		v, err := Render(u.Params[k], Scope{Trigger: ts})
		if err != nil {
			return nil, fmt.Errorf("on.workflow_succeeded %s: params.%s: %w", u.Workflow, k, err)
		}
		out[k] = v
	}
	return out, nil
}

var (
	pathOn         = path{}.key("on")
	pathOnUpstream = pathOn.key("workflow_succeeded")
)

// decodeOn reads the `on:` key; the schema checked its shape.
// upstreamPath is where an upstream was written: the item, and its name.
type upstreamPath struct{ item, name path }

func (v *validator) decodeOn(val any) *On {
	m, ok := val.(map[string]any)
	if !ok {
		return nil
	}
	on := &On{}
	on.Webhook, _ = m["webhook"].(bool)
	if _, given := m["workflow_succeeded"]; !given && !on.Webhook && len(m) > 0 {
		v.ps.add(pathOn, "no event given: set workflow_succeeded, webhook: true, or remove on")
	}
	add := func(item any, p path) {
		switch item := item.(type) {
		case string:
			on.WorkflowSucceeded = append(on.WorkflowSucceeded, Upstream{Workflow: item})
			v.upstreams = append(v.upstreams, upstreamPath{p, p})
		case map[string]any:
			u := Upstream{}
			u.Workflow, _ = item["workflow"].(string)
			if params, ok := item["params"].(map[string]any); ok && len(params) > 0 {
				u.Params = make(map[string]string, len(params))
				for name, pv := range params {
					u.Params[name], _ = scalarString(pv)
				}
			}
			on.WorkflowSucceeded = append(on.WorkflowSucceeded, u)
			v.upstreams = append(v.upstreams, upstreamPath{p, p.key("workflow")})
		}
	}
	switch ws := m["workflow_succeeded"].(type) {
	case []any:
		for i, item := range ws {
			add(item, pathOnUpstream.index(i))
		}
	default:
		add(ws, pathOnUpstream)
	}
	return on
}

// checkOn reports upstream workflows given twice or naming the workflow
// itself, and upstream params that are not declared, leave out a required
// parameter or refer to anything but trigger.*.
func (v *validator) checkOn(d *Definition) {
	if d.On == nil {
		return
	}
	seen := map[string]path{}
	declared := slices.Sorted(maps.Keys(d.Params))
	for i, u := range d.On.WorkflowSucceeded {
		p, at := v.upstreams[i].item, v.upstreams[i].name
		switch first, dup := seen[u.Workflow]; {
		case u.Workflow == "":
		case dup:
			v.ps.add(at, "workflow %q is listed twice (first at %s)", u.Workflow, first)
		case u.Workflow == d.Name:
			v.ps.add(at, "a workflow cannot trigger itself (runs would start each other forever)")
		default:
			seen[u.Workflow] = p
		}
		for _, name := range slices.Sorted(maps.Keys(u.Params)) {
			pp := p.key("params").key(name)
			if _, ok := d.Params[name]; !ok {
				msg := fmt.Sprintf("unknown parameter %s: not declared in params", shorten(name))
				if sug := suggest(name, declared); sug != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", sug)
				}
				v.ps.add(pp, "%s", msg)
			}
			v.checkTriggerOnly(u.Params[name], pp)
		}
		for _, name := range declared {
			if _, given := u.Params[name]; !given && d.Params[name].Default == nil {
				v.ps.add(p, "missing required parameter %q (it has no default): give it in params, e.g. \"${{ trigger.params.%s }}\"", name, name)
			}
		}
	}
}

// checkTriggerOnly reports references in an upstream's params to anything
// but trigger.*: nothing else exists before the run does.
func (v *validator) checkTriggerOnly(tmpl string, p path) {
	parts, errs := parseTemplate(tmpl)
	for _, e := range errs {
		v.ps.add(p, "%s", e.msg)
	}
	for _, part := range parts {
		if part.ref != nil && part.ref.kind != refTrigger {
			v.ps.add(p, "%s: only trigger.* can be used here (the run does not exist yet)", part.ref.expr)
		}
	}
}

// checkTriggerRef reports a trigger.* reference in a task of a workflow
// that has no event to fill it.
func (v *validator) checkTriggerRef(d *Definition, r *ref, p path, line int) {
	switch {
	case d.On == nil:
		v.ps.addLine(p, line, "%s: the workflow declares no trigger (add on: workflow_succeeded or on: webhook)", r.expr)
	case r.name != "kind" && r.name != "params" && len(d.On.WorkflowSucceeded) == 0:
		v.ps.addLine(p, line, "%s: only runs started by on: workflow_succeeded have an upstream run", r.expr)
	}
}

var triggerFields = []string{"kind", "run", "workflow", "params.NAME", "outputs.TASK.KEY"}

// parseTriggerRef parses trigger.* (segs[0] is "trigger").
func parseTriggerRef(expr string, segs []string) (*ref, error) {
	r := &ref{expr: expr, kind: refTrigger}
	switch {
	case len(segs) == 2 && (segs[1] == "kind" || segs[1] == "run" || segs[1] == "workflow"):
		r.name = segs[1]
	case len(segs) == 3 && segs[1] == "params":
		r.name, r.key = "params", segs[2]
	case len(segs) == 4 && segs[1] == "outputs":
		r.name, r.key, r.sub = "outputs", segs[2], segs[3]
	default:
		return nil, fmt.Errorf("%s: unknown reference (trigger has %s)", expr, joinAnd(triggerFields))
	}
	return r, nil
}

// triggerValue looks a trigger.* reference up.
func (r *ref) triggerValue(ts *TriggerScope) (string, error) {
	if ts == nil {
		return "", fmt.Errorf("%s: the run was not started by a trigger", r.expr)
	}
	upstream := ts.Kind == TriggerWorkflowSucceeded
	switch r.name {
	case "kind":
		return ts.Kind, nil
	case "run":
		if upstream {
			return strconv.FormatInt(ts.RunID, 10), nil
		}
	case "workflow":
		if upstream {
			return ts.Workflow, nil
		}
	case "params":
		if v, ok := ts.Params[r.key]; ok {
			return v, nil
		}
		return "", fmt.Errorf("%s: the trigger has no parameter %q", r.expr, r.key)
	case "outputs":
		if v, ok := ts.Outputs[r.key][r.sub]; ok {
			return v, nil
		}
		if upstream {
			return "", fmt.Errorf("%s: task %s of the upstream run has no output %q", r.expr, r.key, r.sub)
		}
	}
	return "", fmt.Errorf("%s: the run was started by %s, which has no upstream run", r.expr, strings.ReplaceAll(ts.Kind, "_", " "))
}
