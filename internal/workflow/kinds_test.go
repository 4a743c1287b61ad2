package workflow

import (
	"testing"

	"github.com/baton-sched/baton/client/vocab"
)

// Every kind of client/vocab has a spec, and a task of each kind compiles
// to a node of that kind, in the kind's group when the servers run it.
func TestKinds(t *testing.T) {
	for _, name := range vocab.Kinds {
		if _, ok := KindOf(name); !ok {
			t.Errorf("kind %s: no spec", name)
		}
	}
	if len(Kinds) != len(vocab.Kinds) {
		t.Errorf("%d specs for %d kinds", len(Kinds), len(vocab.Kinds))
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
		if n.Kind() != want[n.Name] {
			t.Errorf("task %s: kind %s, want %s", n.Name, n.Kind(), want[n.Name])
		}
		k, _ := KindOf(n.Kind())
		if k.Server() && n.Group != k.Group || !k.Server() && n.Group != DefaultGroup {
			t.Errorf("task %s: group %s for kind %+v", n.Name, n.Group, k)
		}
	}
}
