package workflow

import (
	"cmp"
	"container/heap"
	"maps"
	"slices"
	"time"

	"github.com/baton-sched/baton/client/vocab"
	"github.com/baton-sched/baton/internal/taskkind"
)

// Graph is the compiled form of a definition that the engine stores and
// runs: tasks in topological order with every default applied.
type Graph struct {
	// Nodes are in topological order: every node comes after all its
	// upstream nodes; ties are broken by the order of definition.
	Nodes []Node
}

// Node is a task with its defaults applied and its dependencies resolved to
// indexes into Graph.Nodes.
type Node struct {
	// Index is the node's position in Graph.Nodes.
	Index int
	// Name is the task name.
	Name string
	// Upstream are the nodes this one needs, ascending.
	Upstream []int
	// Downstream are the nodes that need this one, ascending.
	Downstream []int
	// Kind names the task's kind (client/vocab); never empty.
	Kind string
	// Spec is the kind's block (see Task.Spec); nil for shell.
	Spec taskkind.Spec
	// Run is the raw command template of a shell task; see Render.
	Run string
	// Env is defaults.env merged with the task's env (the task wins); values
	// are templates. Nil when empty.
	Env map[string]string
	// Timeout limits one attempt: the task's, else the default, else 0
	// (none).
	Timeout time.Duration
	// CU is the capacity the task takes on a worker: the task's, else the
	// default, else 1.
	CU float64
	// Group is the worker group to run on: the task's, else the default,
	// else "default".
	Group string
	// Labels are the worker labels a worker must carry, each with exactly
	// this value, to run the task: defaults.labels merged with the task's
	// labels (the task wins). Nil when empty.
	Labels map[string]string
	// ZonesAllow lists the only zones the task may run in, sorted and
	// without repeats; nil means any zone. It comes from the task's zones
	// if set, else from defaults.zones, as does ZonesDeny.
	ZonesAllow []string
	// ZonesDeny lists zones the task never runs in, sorted and without
	// repeats; nil when none.
	ZonesDeny []string
	// Priority orders ready tasks; higher runs first.
	Priority int
	// TriggerRule is the task's rule, RuleAllSuccess when it set none.
	TriggerRule string
	// Rerunnable is false if the task must not be restarted automatically
	// after its worker was lost. It defaults to true.
	Rerunnable bool
	// Retry is the task's policy, else the default one, else no retries.
	Retry Retry
	// Slot is the task's concurrency slot, else the default one, else ''.
	Slot string
	// Resources are the resources the worker materialises for the task
	// (run tasks only); nil when none.
	Resources []ResourceRef
}

// DefaultGroup is the worker group of tasks that name none.
const DefaultGroup = "default"

// Graph compiles d, which must have come from Parse (or passed it), into
// the form the engine runs. On a definition Parse would reject it does not
// panic, but the result is unspecified (unknown needs are dropped, tasks in
// a cycle are appended in definition order).
func (d *Definition) Graph() *Graph {
	n := len(d.Tasks)
	index := make(map[string]int, n)
	for i, t := range d.Tasks {
		if _, dup := index[t.Name]; !dup {
			index[t.Name] = i
		}
	}
	// Edges in definition indexes.
	up := make([][]int, n)
	down := make([][]int, n)
	for i, t := range d.Tasks {
		for _, need := range t.Needs {
			u, ok := index[need]
			if !ok || u == i || slices.Contains(up[i], u) {
				continue
			}
			up[i] = append(up[i], u)
			down[u] = append(down[u], i)
		}
	}
	order := topoOrder(up, down)
	pos := make([]int, n) // definition index -> graph index
	for gi, di := range order {
		pos[di] = gi
	}
	g := &Graph{Nodes: make([]Node, n)}
	for gi, di := range order {
		node := d.compileNode(d.Tasks[di])
		node.Index = gi
		node.Upstream = remap(up[di], pos)
		node.Downstream = remap(down[di], pos)
		g.Nodes[gi] = node
	}
	return g
}

// compileNode applies the defaults to one task.
func (d *Definition) compileNode(t Task) Node {
	n := Node{
		Name:        t.Name,
		Kind:        cmp.Or(t.Kind, vocab.KindShell),
		Spec:        t.Spec,
		Run:         t.Run,
		Timeout:     time.Duration(t.Timeout),
		CU:          t.CU,
		Group:       t.Group,
		Priority:    t.Priority,
		Rerunnable:  t.Rerunnable == nil || *t.Rerunnable,
		TriggerRule: cmp.Or(t.TriggerRule, RuleAllSuccess),
		Retry:       NoRetry(),
		Slot:        cmp.Or(t.Slot, d.Defaults.Slot),
		Resources:   t.Resources,
	}
	if n.Timeout == 0 {
		n.Timeout = time.Duration(d.Defaults.Timeout)
	}
	if n.CU == 0 {
		n.CU = d.Defaults.CU
	}
	if n.CU == 0 {
		n.CU = 1
	}
	if n.Group == "" {
		n.Group = d.Defaults.Group
	}
	if n.Group == "" {
		n.Group = DefaultGroup
	}
	kind, _ := KindOf(n.Kind)
	server := kind != nil && kind.Server()
	if server {
		n.Group = kind.Group
	}
	switch {
	case t.Retry != nil:
		n.Retry = *t.Retry
	case d.Defaults.Retry != nil:
		n.Retry = *d.Defaults.Retry
	}
	if len(d.Defaults.Env)+len(t.Env) > 0 {
		n.Env = maps.Clone(d.Defaults.Env)
		if n.Env == nil {
			n.Env = make(map[string]string, len(t.Env))
		}
		maps.Copy(n.Env, t.Env)
	}
	if len(d.Defaults.Labels)+len(t.Labels) > 0 {
		n.Labels = make(map[string]string, len(d.Defaults.Labels)+len(t.Labels))
		maps.Copy(n.Labels, d.Defaults.Labels)
		maps.Copy(n.Labels, t.Labels)
	}
	zones := t.Zones
	if zones == nil {
		zones = d.Defaults.Zones
	}
	if zones != nil {
		n.ZonesAllow = sortedSet(zones.Allow)
		n.ZonesDeny = sortedSet(zones.Deny)
	}
	if server { // the servers start it: no worker places it
		n.Labels, n.ZonesAllow, n.ZonesDeny, n.Env = nil, nil, nil, nil
	}
	return n
}

// topoOrder orders nodes so that each comes after its upstream nodes,
// taking the lowest ready index first (Kahn's algorithm). Nodes left over
// by a cycle follow in index order.
func topoOrder(up, down [][]int) []int {
	n := len(up)
	waiting := make([]int, n)
	ready := &intHeap{}
	for i := range n {
		waiting[i] = len(up[i])
		if waiting[i] == 0 {
			heap.Push(ready, i)
		}
	}
	order := make([]int, 0, n)
	placed := make([]bool, n)
	for ready.Len() > 0 {
		x := heap.Pop(ready).(int)
		order = append(order, x)
		placed[x] = true
		for _, y := range down[x] {
			waiting[y]--
			if waiting[y] == 0 {
				heap.Push(ready, y)
			}
		}
	}
	for i := range n {
		if !placed[i] {
			order = append(order, i)
		}
	}
	return order
}

func remap(idx []int, pos []int) []int {
	if len(idx) == 0 {
		return nil
	}
	out := make([]int, len(idx))
	for i, x := range idx {
		out[i] = pos[x]
	}
	slices.Sort(out)
	return out
}

// intHeap is a min-heap of ints for container/heap.
type intHeap []int

func (h intHeap) Len() int           { return len(h) }
func (h intHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h intHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *intHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *intHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
