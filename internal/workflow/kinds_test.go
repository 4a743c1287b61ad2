package workflow

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"testing"

	"github.com/baton-sched/baton/client/vocab"
	"github.com/baton-sched/baton/internal/taskkind"
	"github.com/google/go-cmp/cmp"
)

// Every kind of client/vocab is registered, and a task of each kind
// compiles to a node of that kind, in the kind's group when the servers
// run it.
func TestKinds(t *testing.T) {
	for _, name := range vocab.Kinds {
		if _, ok := KindOf(name); !ok {
			t.Errorf("kind %s: not registered", name)
		}
	}
	if n := len(taskkind.All()); n != len(vocab.Kinds) {
		t.Errorf("%d kinds registered for %d kinds", n, len(vocab.Kinds))
	}
	d, err := Parse("k.yaml", []byte(`name: k
tasks:
  - {name: s, run: "true"}
  - {name: n, noop: true}
  - {name: h, http: {url: "https://example.com/"}}
  - {name: w, workflow: child}
`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"s": vocab.KindShell, "n": vocab.KindNoop, "h": vocab.KindHTTP, "w": vocab.KindWorkflow}
	for _, n := range d.Graph().Nodes {
		if n.Kind != want[n.Name] {
			t.Errorf("task %s: kind %s, want %s", n.Name, n.Kind, want[n.Name])
		}
		k, _ := KindOf(n.Kind)
		if k.Server() && n.Group != k.Group || !k.Server() && n.Group != DefaultGroup {
			t.Errorf("task %s: group %s for kind %+v", n.Name, n.Group, k)
		}
	}
}

// A definition stored before task kinds were one extension point (the
// JSON of testdata/kinds_compat.definition.json, written by that code)
// parses to the same tasks, encodes to the same bytes (a version's digest
// depends on them), and its graph, encoded then
// (kinds_compat.graph.json), decodes to the graph compiled now.
func TestKindsCompatibility(t *testing.T) {
	stored, err := os.ReadFile("testdata/kinds_compat.definition.json")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("testdata/kinds_compat.yaml")
	if err != nil {
		t.Fatal(err)
	}
	fromYAML, err := Parse("kinds_compat.yaml", src)
	if err != nil {
		t.Fatal(err)
	}
	fromJSON, err := Parse("version-1.json", stored)
	if err != nil {
		t.Fatal(err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, stored); err != nil {
		t.Fatal(err)
	}
	for name, d := range map[string]*Definition{"yaml": fromYAML, "json": fromJSON} {
		got, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, compact.Bytes()) {
			t.Errorf("%s: encodes as\n%s\nwant\n%s", name, got, compact.Bytes())
		}
	}
	var unmarshalled Definition
	if err := json.Unmarshal(stored, &unmarshalled); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fromYAML.Tasks, unmarshalled.Tasks); diff != "" {
		t.Errorf("json.Unmarshal of the stored definition (-parsed +unmarshalled):\n%s", diff)
	}
	oldGraph, err := os.ReadFile("testdata/kinds_compat.graph.json")
	if err != nil {
		t.Fatal(err)
	}
	var g Graph
	if err := json.Unmarshal(oldGraph, &g); err != nil {
		t.Fatal(err)
	}
	now := fromJSON.Graph()
	if diff := cmp.Diff(now, &g); diff != "" {
		t.Errorf("graph encoded by the old code (-compiled now +decoded):\n%s", diff)
	}
	wantKinds := []string{vocab.KindShell, vocab.KindNoop, vocab.KindHTTP, vocab.KindSQL, vocab.KindWorkflow}
	for i, n := range now.Nodes {
		if n.Kind != wantKinds[i] {
			t.Errorf("node %s: kind %s, want %s", n.Name, n.Kind, wantKinds[i])
		}
	}
	// The new form of a graph round-trips too.
	b, err := json.Marshal(now)
	if err != nil {
		t.Fatal(err)
	}
	var again Graph
	if err := json.Unmarshal(b, &again); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(now, &again); diff != "" {
		t.Errorf("graph round trip (-want +got):\n%s", diff)
	}
}

// Every JSON field of Task is written by Task.MarshalJSON (taskHead or
// taskTail): a field added to Task and not there would be dropped from
// stored versions.
func TestTaskJSONFields(t *testing.T) {
	written := map[string]bool{}
	for _, typ := range []reflect.Type{reflect.TypeFor[taskHead](), reflect.TypeFor[taskTail]()} {
		for f := range typ.Fields() {
			written[f.Name] = true
		}
	}
	for f := range reflect.TypeFor[Task]().Fields() {
		if tag := f.Tag.Get("json"); tag != "-" && !written[f.Name] {
			t.Errorf("Task.%s is not written by Task.MarshalJSON", f.Name)
		}
	}
}
