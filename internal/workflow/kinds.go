package workflow

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/baton-sched/baton/client/vocab"
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

// taskHead and taskTail are the fields of a task's JSON form before and
// after its kind's keys, in the order they have always been written (a
// stored version's digest depends on it).
type taskHead struct {
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Needs       []string `json:"needs,omitempty"`
	Run         string   `json:"run,omitempty"`
}

type taskTail struct {
	Env         map[string]string `json:"env,omitempty"`
	Timeout     Duration          `json:"timeout,omitzero"`
	CU          float64           `json:"cu,omitempty"`
	Group       string            `json:"group,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Zones       *Zones            `json:"zones,omitempty"`
	Priority    int               `json:"priority,omitempty"`
	TriggerRule string            `json:"trigger_rule,omitempty"`
	Rerunnable  *bool             `json:"rerunnable,omitempty"`
	Retry       *Retry            `json:"retry,omitempty"`
	Slot        string            `json:"slot,omitempty"`
}

// MarshalJSON writes the task as it is written in a definition: its
// kind's block under the kind's keys (Spec.Keys).
func (t Task) MarshalJSON() ([]byte, error) {
	head, err := json.Marshal(taskHead{t.Name, t.Description, t.Needs, t.Run})
	if err != nil {
		return nil, err
	}
	tail, err := json.Marshal(taskTail{t.Env, t.Timeout, t.CU, t.Group, t.Labels, t.Zones, t.Priority,
		t.TriggerRule, t.Rerunnable, t.Retry, t.Slot})
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.Write(head[:len(head)-1])
	if t.Spec != nil {
		for _, kv := range t.Spec.Keys() {
			key, _ := json.Marshal(kv.Key)
			val, err := json.Marshal(kv.Value)
			if err != nil {
				return nil, fmt.Errorf("task %s: %s: %w", t.Name, kv.Key, err)
			}
			b.WriteByte(',')
			b.Write(key)
			b.WriteByte(':')
			b.Write(val)
		}
	}
	if len(tail) > 2 {
		b.WriteByte(',')
		b.Write(tail[1:])
	} else {
		b.WriteByte('}')
	}
	return b.Bytes(), nil
}

// UnmarshalJSON reads a task's JSON form (MarshalJSON), finding its kind
// by the block it gives.
func (t *Task) UnmarshalJSON(b []byte) error {
	type plain Task
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err != nil {
		return err
	}
	*t = Task(p)
	for _, k := range taskkind.All() {
		if _, given := keys[k.Block]; !given || k.Decode == nil {
			continue
		}
		s, err := k.LoadSpec(keys)
		if err != nil {
			return fmt.Errorf("task %s: %w", t.Name, err)
		}
		if s == nil { // the block says the kind is off (noop: false)
			continue
		}
		t.Kind, t.Spec = k.Name, s
		return nil
	}
	return nil
}

// legacyNode holds the per-kind fields nodes had before task kinds were
// one extension point, to read graphs encoded then.
type legacyNode struct {
	Noop     bool
	HTTP     json.RawMessage
	SQL      json.RawMessage
	Workflow string
	Params   map[string]string
}

// UnmarshalJSON reads a node's JSON form, or the one it had before task
// kinds were one extension point (per-kind fields Noop, HTTP, SQL,
// Workflow and Params).
func (n *Node) UnmarshalJSON(b []byte) error {
	type plain Node
	var p struct {
		plain
		Spec json.RawMessage
		legacyNode
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*n = Node(p.plain)
	n.Spec = nil
	if n.Kind == "" { // the old form
		n.Kind = vocab.KindShell
		keys := map[string]json.RawMessage{}
		switch l := p.legacyNode; {
		case l.Noop:
			n.Kind, keys["noop"] = vocab.KindNoop, json.RawMessage("true")
		case isSet(l.HTTP):
			n.Kind, keys["http"] = vocab.KindHTTP, l.HTTP
		case isSet(l.SQL):
			n.Kind, keys["sql"] = vocab.KindSQL, l.SQL
		case l.Workflow != "":
			n.Kind, keys["workflow"] = vocab.KindWorkflow, mustJSON(l.Workflow)
			if l.Params != nil {
				keys["params"] = mustJSON(l.Params)
			}
		}
		if n.Kind == vocab.KindShell {
			return nil
		}
		k, _ := taskkind.Lookup(n.Kind)
		s, err := k.LoadSpec(keys)
		n.Spec = s
		return err
	}
	k, ok := taskkind.Lookup(n.Kind)
	if !ok {
		return fmt.Errorf("node %s: unknown task kind %q", n.Name, n.Kind)
	}
	if k.New == nil || !isSet(p.Spec) {
		return nil
	}
	n.Spec = k.New()
	return json.Unmarshal(p.Spec, n.Spec)
}

func isSet(raw json.RawMessage) bool { return len(raw) > 0 && !bytes.Equal(raw, []byte("null")) }

func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v) // strings and maps of strings always encode
	return b
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
