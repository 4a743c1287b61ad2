package workflow

import (
	"testing"
	"time"

	"github.com/baton-sched/baton/client/vocab"
	"github.com/google/go-cmp/cmp"
)

func TestGraph(t *testing.T) {
	none := Retry{Strategy: "none"}
	tests := []struct {
		name string
		src  string
		want *Graph
	}{
		{
			name: "defaults when nothing is set",
			src:  "name: x\ntasks:\n  - name: a\n    run: a\n",
			want: &Graph{Nodes: []Node{{Index: 0, Name: "a", Kind: vocab.KindShell, Run: "a", CU: 1, Group: "default", Rerunnable: true, TriggerRule: RuleAllSuccess, Retry: none}}},
		},
		{
			name: "ties broken by definition order",
			// Among ready tasks the first defined goes first: b before a, and d
			// (ready once c is done) before e.
			src: `name: x
tasks:
  - {name: d, run: d, needs: [c]}
  - {name: b, run: b}
  - {name: c, run: c, needs: [a, b]}
  - {name: a, run: a}
  - {name: e, run: e, needs: [b]}
`,
			want: &Graph{Nodes: []Node{
				{Index: 0, Name: "b", Kind: vocab.KindShell, Run: "b", Downstream: []int{2, 4}, CU: 1, Group: "default", Rerunnable: true, TriggerRule: RuleAllSuccess, Retry: none},
				{Index: 1, Name: "a", Kind: vocab.KindShell, Run: "a", Downstream: []int{2}, CU: 1, Group: "default", Rerunnable: true, TriggerRule: RuleAllSuccess, Retry: none},
				{Index: 2, Name: "c", Kind: vocab.KindShell, Run: "c", Upstream: []int{0, 1}, Downstream: []int{3}, CU: 1, Group: "default", Rerunnable: true, TriggerRule: RuleAllSuccess, Retry: none},
				{Index: 3, Name: "d", Kind: vocab.KindShell, Run: "d", Upstream: []int{2}, CU: 1, Group: "default", Rerunnable: true, TriggerRule: RuleAllSuccess, Retry: none},
				{Index: 4, Name: "e", Kind: vocab.KindShell, Run: "e", Upstream: []int{0}, CU: 1, Group: "default", Rerunnable: true, TriggerRule: RuleAllSuccess, Retry: none},
			}},
		},
		{
			name: "defaults applied, tasks win",
			src: `name: x
defaults:
  timeout: 1h
  retry: {strategy: fixed, max_attempts: 3, delay: 10s}
  group: etl
  cu: 2
  env: {A: a, B: b}
tasks:
  - name: inherit
    run: i
  - name: override
    run: o
    timeout: 2d
    retry: none
    group: db
    cu: 0.5
    priority: 7
    rerunnable: false
    env: {B: task, C: c}
`,
			want: &Graph{Nodes: []Node{
				{
					Index: 0, Name: "inherit", Kind: vocab.KindShell, Run: "i", Env: map[string]string{"A": "a", "B": "b"},
					Timeout: time.Hour, CU: 2, Group: "etl", Rerunnable: true, TriggerRule: RuleAllSuccess,
					Retry: Retry{Strategy: "fixed", MaxAttempts: 3, Delay: Duration(10 * time.Second)},
				},
				{
					Index: 1, Name: "override", Kind: vocab.KindShell, Run: "o", Env: map[string]string{"A": "a", "B": "task", "C": "c"},
					Timeout: 48 * time.Hour, CU: 0.5, Group: "db", Priority: 7, Rerunnable: false, TriggerRule: RuleAllSuccess, Retry: none,
				},
			}},
		},
		{
			name: "labels merged, zones replaced",
			src: `name: x
defaults:
  labels: {os: linux, disk: hdd}
  zones: {allow: [b, a, b], deny: [c]}
tasks:
  - name: inherit
    run: i
  - name: override
    run: o
    labels: {disk: ssd, gpus: 2, spot: true, ratio: 0.50}
    zones:
      deny: [z, y, z]
  - name: own-allow
    run: a
    labels: {}
    zones: {allow: [c]}
`,
			want: &Graph{Nodes: []Node{
				{
					Index: 0, Name: "inherit", Kind: vocab.KindShell, Run: "i", CU: 1, Group: "default", Rerunnable: true, TriggerRule: RuleAllSuccess, Retry: none,
					Labels:     map[string]string{"os": "linux", "disk": "hdd"},
					ZonesAllow: []string{"a", "b"}, ZonesDeny: []string{"c"},
				},
				{
					Index: 1, Name: "override", Kind: vocab.KindShell, Run: "o", CU: 1, Group: "default", Rerunnable: true, TriggerRule: RuleAllSuccess, Retry: none,
					Labels:    map[string]string{"os": "linux", "disk": "ssd", "gpus": "2", "spot": "true", "ratio": "0.50"},
					ZonesDeny: []string{"y", "z"},
				},
				{
					Index: 2, Name: "own-allow", Kind: vocab.KindShell, Run: "a", CU: 1, Group: "default", Rerunnable: true, TriggerRule: RuleAllSuccess, Retry: none,
					Labels:     map[string]string{"os": "linux", "disk": "hdd"},
					ZonesAllow: []string{"c"},
				},
			}},
		},
		{
			name: "task labels without defaults",
			src:  "name: x\ntasks:\n  - name: a\n    run: a\n    labels: {gpu: \"\"}\n  - name: b\n    run: b\n    labels: {}\n",
			want: &Graph{Nodes: []Node{
				{Index: 0, Name: "a", Kind: vocab.KindShell, Run: "a", CU: 1, Group: "default", Rerunnable: true, TriggerRule: RuleAllSuccess, Retry: none, Labels: map[string]string{"gpu": ""}},
				{Index: 1, Name: "b", Kind: vocab.KindShell, Run: "b", CU: 1, Group: "default", Rerunnable: true, TriggerRule: RuleAllSuccess, Retry: none},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustParse(t, tt.src).Graph()
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Graph mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestGraphOrder checks the topological invariant on the ETL example.
func TestGraphOrder(t *testing.T) {
	g := mustParse(t, etlYAML).Graph()
	var names []string
	for i, n := range g.Nodes {
		names = append(names, n.Name)
		if n.Index != i {
			t.Errorf("node %s has Index %d at position %d", n.Name, n.Index, i)
		}
		for _, u := range n.Upstream {
			if u >= i {
				t.Errorf("node %s (%d) comes before its upstream %d", n.Name, i, u)
			}
		}
	}
	if diff := cmp.Diff([]string{"extract", "transform-a", "transform-b", "load"}, names); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	load := g.Nodes[3]
	if diff := cmp.Diff([]string{"extract", "transform-a"}, load.OutputRefs()); diff != "" {
		t.Errorf("load output refs (-want +got):\n%s", diff)
	}
	if load.Rerunnable {
		t.Error("load is rerunnable, want not")
	}
}

// TestGraphInvalid checks that Graph does not panic on definitions Parse
// would reject.
func TestGraphInvalid(t *testing.T) {
	d := &Definition{Name: "x", Tasks: []Task{
		{Name: "a", Needs: []string{"b", "nope", "a"}},
		{Name: "b", Needs: []string{"a"}},
		{Name: "a"},
	}}
	g := d.Graph()
	if len(g.Nodes) != 3 {
		t.Errorf("got %d nodes, want 3", len(g.Nodes))
	}
}
