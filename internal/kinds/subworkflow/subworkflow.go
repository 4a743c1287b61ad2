// Package subworkflow is the block of the sub-workflow task kind: the
// task starts a run of the workflow it names, with its params, and ends
// as that run ends. The servers run it (its group is "@workflow"): the
// engine's start function for the kind takes ready tasks, renders their
// params with Prepare and starts the child runs.
package subworkflow

import (
	"encoding/json"

	"github.com/baton-sched/baton/client/vocab"
	"github.com/baton-sched/baton/internal/taskkind"
)

// Group is the group of sub-workflow tasks: no worker serves it (worker
// groups may not start with "@"); the servers start their runs.
const Group = "@workflow"

func init() {
	taskkind.Register(taskkind.Kind{
		Name: vocab.KindWorkflow, Block: "workflow", Rank: 30, Group: Group,
		Conflict: "a sub-workflow task runs no command: give one of run, noop, http and workflow",
		Decode:   decode,
		Load:     load,
		New:      func() taskkind.Spec { return &Block{} },
		Prepare:  prepare,
	})
}

// Block names the workflow a sub-workflow task runs and the parameters
// of its run (templates), by name: the task keys "workflow" and "params".
type Block struct {
	Workflow string            `json:"workflow"`
	Params   map[string]string `json:"params,omitempty"`
}

// decode reads the workflow and params keys; params without workflow are
// a mistake (a command reads the run's params otherwise).
func decode(d taskkind.Decoder, task map[string]any) taskkind.Spec {
	name, hasName := task["workflow"].(string)
	if hasName && !taskkind.ValidName(name) {
		d.Problem(taskkind.P("workflow"), "%s", taskkind.NameMessage(name))
	}
	params := decodeParams(d, task["params"])
	if name == "" {
		if params != nil {
			d.Problem(taskkind.P("params"), "params are a sub-workflow's parameters: give workflow too (a command reads the run's params as {{ params.NAME }})")
		}
		return nil
	}
	return &Block{Workflow: name, Params: params}
}

// decodeParams reads the params: scalars kept as written, nil when absent.
func decodeParams(d taskkind.Decoder, val any) map[string]string {
	m, ok := val.(map[string]any)
	if !ok {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, pv := range m {
		if !taskkind.ValidName(k) {
			d.Problem(taskkind.P("params", k), "%s", taskkind.NameMessage(k))
		}
		if s, ok := taskkind.Scalar(pv); ok {
			out[k] = s
		}
	}
	return out
}

// Templates are the params; secrets are not allowed (the child run's
// params are shown and stored).
func (b *Block) Templates() []taskkind.Template {
	out := make([]taskkind.Template, 0, len(b.Params))
	for k, v := range b.Params {
		out = append(out, taskkind.Template{Path: taskkind.P("params", k), Text: v})
	}
	return out
}

// Keys writes the task keys "workflow" and "params".
func (b *Block) Keys() []taskkind.KeyValue {
	out := []taskkind.KeyValue{{Key: "workflow", Value: b.Workflow}}
	if b.Params != nil {
		out = append(out, taskkind.KeyValue{Key: "params", Value: b.Params})
	}
	return out
}

func load(keys map[string]json.RawMessage) (taskkind.Spec, error) {
	b := &Block{}
	if err := json.Unmarshal(keys["workflow"], &b.Workflow); err != nil {
		return nil, err
	}
	if raw, ok := keys["params"]; ok {
		if err := json.Unmarshal(raw, &b.Params); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// prepare renders the params of the child run: the payload is a
// map[string]string.
func prepare(r taskkind.Renderer, s taskkind.Spec) (taskkind.Prepared, error) {
	b := s.(*Block)
	out := make(map[string]string, len(b.Params))
	for k, v := range b.Params {
		var err error
		if out[k], err = r.Render(taskkind.P("params", k), v); err != nil {
			return taskkind.Prepared{}, err
		}
	}
	return taskkind.Prepared{Payload: out}, nil
}
