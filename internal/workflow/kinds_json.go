package workflow

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/baton-sched/baton/client/vocab"
	"github.com/baton-sched/baton/internal/taskkind"
)

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
	Resources   []ResourceRef     `json:"resources,omitempty"`
}

// MarshalJSON writes the task as it is written in a definition: its
// kind's block under the kind's keys (Spec.Keys).
func (t Task) MarshalJSON() ([]byte, error) {
	head, err := json.Marshal(taskHead{t.Name, t.Description, t.Needs, t.Run})
	if err != nil {
		return nil, err
	}
	tail, err := json.Marshal(taskTail{t.Env, t.Timeout, t.CU, t.Group, t.Labels, t.Zones, t.Priority,
		t.TriggerRule, t.Rerunnable, t.Retry, t.Slot, t.Resources})
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
