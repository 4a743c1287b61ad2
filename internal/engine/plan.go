package engine

import (
	"encoding/json"
	"fmt"
	"sync"

	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/workflow"
)

// plan is a workflow version compiled for execution. Versions are
// immutable, so plans are cached by version ID on every server.
type plan struct {
	def   *workflow.Definition
	graph *workflow.Graph
	// downstream and descendants per node index, as int64 for the store.
	downstream  [][]int64
	descendants [][]int64
	// placement per node index: the constraints as the tasks table keeps
	// them.
	placement []placement
	// rules is true when a node has a trigger rule other than
	// all_success: failures then travel downstream one level at a time.
	rules bool
}

// placement is a node's constraints in the store's encoding.
type placement struct {
	labels, zonesAllow, zonesDeny string
}

func compile(def *workflow.Definition) *plan {
	g := def.Graph()
	p := &plan{def: def, graph: g,
		downstream:  make([][]int64, len(g.Nodes)),
		descendants: make([][]int64, len(g.Nodes)),
		placement:   make([]placement, len(g.Nodes)),
	}
	for i, n := range g.Nodes {
		for _, d := range n.Downstream {
			p.downstream[i] = append(p.downstream[i], int64(d))
		}
		p.placement[i] = placement{zonesAllow: store.EncodeZones(n.ZonesAllow), zonesDeny: store.EncodeZones(n.ZonesDeny)}
		p.rules = p.rules || !successRule(n.TriggerRule)
		if len(n.Labels) > 0 {
			b, _ := json.Marshal(n.Labels) // a map of strings always encodes
			p.placement[i].labels = string(b)
		}
	}
	// Nodes are in topological order: descendants of i are its downstream
	// plus theirs, computed from the last node back.
	for i := len(g.Nodes) - 1; i >= 0; i-- {
		seen := map[int64]bool{}
		for _, d := range g.Nodes[i].Downstream {
			for _, x := range append([]int64{int64(d)}, p.descendants[d]...) {
				if !seen[x] {
					seen[x] = true
					p.descendants[i] = append(p.descendants[i], x)
				}
			}
		}
	}
	return p
}

type planCache struct {
	mu    sync.Mutex
	max   int
	plans map[int64]*plan
}

func newPlanCache(max int) *planCache {
	return &planCache{max: max, plans: map[int64]*plan{}}
}

// plan returns the compiled plan of a workflow version.
func (o *op) plan(versionID int64) (*plan, error) {
	c := o.e.plans
	c.mu.Lock()
	p := c.plans[versionID]
	c.mu.Unlock()
	if p != nil {
		return p, nil
	}
	v, err := o.Workflows().Version(o.ctx, versionID)
	if err != nil {
		return nil, notFound(err, "workflow version %d", versionID)
	}
	p, err = planOf(v)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.plans) >= c.max {
		clear(c.plans)
	}
	c.plans[versionID] = p
	c.mu.Unlock()
	return p, nil
}

func planOf(v store.Version) (*plan, error) {
	def, err := workflow.Parse(fmt.Sprintf("version-%d.json", v.ID), []byte(v.Spec))
	if err != nil {
		return nil, fmt.Errorf("stored workflow version %d does not parse: %w", v.ID, err)
	}
	return compile(def), nil
}

// node returns the node of a task name (a scan: for plans with rules).
func (p *plan) node(name string) (workflow.Node, bool) {
	for _, n := range p.graph.Nodes {
		if n.Name == name {
			return n, true
		}
	}
	return workflow.Node{}, false
}
