package workflow

import (
	"bytes"
	"fmt"
	"maps"
	"slices"

	_ "github.com/baton-sched/baton/internal/kinds/all" // every task kind
	"github.com/baton-sched/baton/internal/kinds/subworkflow"
	"github.com/baton-sched/baton/internal/taskkind"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Task kinds are the extension point of package taskkind: a task's kind
// is the kind whose block it gives (Task.Kind), and its block is the
// kind's Spec (Task.Spec), decoded, checked and rendered by the kind's
// package. A task that gives none runs its command: the shell kind, built
// in (Task.Run).

// SubWorkflowGroup is the group of sub-workflow tasks: no worker serves
// it (worker groups may not start with "@"); the servers start their runs.
const SubWorkflowGroup = subworkflow.Group

// KindOf returns the kind named name; ok is false for an unknown name.
func KindOf(name string) (*taskkind.Kind, bool) { return taskkind.Lookup(name) }

// taskDecoder is the taskkind.Decoder of one task: paths are inside it.
type taskDecoder struct {
	v  *validator
	at path
}

func (d taskDecoder) Problem(p taskkind.Path, format string, args ...any) {
	d.v.ps.add(d.path(p), format, args...)
}

func (d taskDecoder) Duration(s string, p taskkind.Path) taskkind.Duration {
	return d.v.duration(s, d.path(p))
}

func (d taskDecoder) SecretExists(name string) bool {
	return d.v.secretExists == nil || d.v.secretExists(name)
}

func (d taskDecoder) path(p taskkind.Path) path { return joinPath(d.at, p) }

// joinPath extends p by a taskkind path.
func joinPath(p path, rel taskkind.Path) path {
	for _, e := range rel {
		switch e := e.(type) {
		case int:
			p = p.index(e)
		default:
			p = p.key(fmt.Sprint(e))
		}
	}
	return p
}

// decodeKind finds the kind of task m, decoding its block: the kind of
// lowest rank whose block the task gives; a second block, or run beside
// one, is a problem (the kind's Conflict). It returns ” and nil when the
// task gives no block.
func (v *validator) decodeKind(m map[string]any, p path, setRun bool) (string, taskkind.Spec) {
	d := taskDecoder{v: v, at: p}
	kind, spec, conflict := "", taskkind.Spec(nil), false
	for _, k := range taskkind.All() {
		if k.Decode == nil {
			continue
		}
		s := k.Decode(d, m)
		if s == nil {
			continue
		}
		if (setRun || spec != nil) && !conflict {
			conflict = true
			at := k.ConflictAt
			if at == "" {
				at = k.Block
			}
			v.ps.add(p.key(at), "%s", k.Conflict)
		}
		if spec == nil {
			kind, spec = k.Name, s
		}
	}
	return kind, spec
}

// kindSchemas adds to the task schema the keys of kinds that bring their
// own (taskkind.Kind.Schema) and are not in schema.json.
func kindSchemas(raw any) (bool, error) {
	root, _ := raw.(map[string]any)
	defs, _ := root["$defs"].(map[string]any)
	task, _ := defs["task"].(map[string]any)
	props, _ := task["properties"].(map[string]any)
	extended := false
	if props == nil {
		return false, fmt.Errorf("no task properties")
	}
	for _, k := range taskkind.All() {
		for _, key := range slices.Sorted(maps.Keys(k.Schema)) {
			if _, ok := props[key]; ok {
				continue
			}
			v, err := jsonschema.UnmarshalJSON(bytes.NewReader(k.Schema[key]))
			if err != nil {
				return false, fmt.Errorf("kind %s: schema of %s: %w", k.Name, key, err)
			}
			props[key] = v
			extended = true
		}
	}
	return extended, nil
}
