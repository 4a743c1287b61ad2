package engine

import (
	"context"
	"fmt"

	"github.com/baton-sched/baton/client/vocab"
	_ "github.com/baton-sched/baton/internal/kinds/all" // every task kind
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/taskkind"
	"github.com/baton-sched/baton/internal/workflow"
)

// A serverKind is a task kind the servers run instead of workers: its
// tasks queue in the kind's group (taskkind.Kind.Group), which no
// worker serves, so they hold no worker capacity. Every server calls
// StartServerTasks for each kind in a loop; start takes up to limit ready
// tasks of the kind (store.CandidateFilter on the group, locked with SKIP
// LOCKED by offer) and starts their attempts, in the caller's transaction.
type serverKind struct {
	spec  *taskkind.Kind
	actor string // the events' actor
	start func(o *op, limit int) (int, error)
}

// serverKinds lists the kinds the servers run, with the start function
// of each: a server kind's package (internal/kinds) holds its block, and
// the engine the transitions it makes. A new one adds its entry here and
// its file beside subworkflow.go.
var serverKinds = []serverKind{
	{spec: mustKind(vocab.KindWorkflow), actor: subWorkflowActor, start: (*op).startSubWorkflows},
	{spec: mustKind(vocab.KindApproval), actor: approvalActor, start: (*op).startApprovals},
	{spec: mustKind(vocab.KindWait), actor: waitActor, start: (*op).startWaits},
}

func mustKind(name string) *taskkind.Kind {
	k, ok := taskkind.Lookup(name)
	if !ok || !k.Server() {
		panic("engine: " + name + " is not a server-run kind")
	}
	return k
}

// ServerKinds returns the names of the kinds the servers run.
func ServerKinds() []string {
	names := make([]string, len(serverKinds))
	for i, k := range serverKinds {
		names[i] = k.spec.Name
	}
	return names
}

// StartServerTasks starts up to limit ready tasks of the server-run kind
// named kind and returns how many it took. It reads before it writes, so
// that an idle kind costs one cheap query.
func (e *Engine) StartServerTasks(ctx context.Context, kind string, limit int) (int, error) {
	i := -1
	for j, k := range serverKinds {
		if k.spec.Name == kind {
			i = j
		}
	}
	if i < 0 {
		return 0, fmt.Errorf("start %s tasks: not a server-run kind", kind)
	}
	k := serverKinds[i]
	var ready bool
	err := e.store.Read(ctx, func(tx store.Tx) (err error) {
		ready, err = tx.Tasks().AnyQueued(ctx, k.spec.Group)
		return err
	})
	if err != nil || !ready {
		return 0, err
	}
	n := 0
	err = e.inTx(ctx, k.actor, func(o *op) (err error) {
		n, err = k.start(o, limit)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("start %s tasks: %w", kind, err)
	}
	return n, nil
}

// ownedStart is an attempt a server-run kind started, with its candidate
// and what the kind rendered for it.
type ownedStart[T any] struct {
	asg  Assignment
	cand store.Candidate
	val  T
}

// startOwned offers up to limit ready tasks of a server-run kind's group,
// renders each (a task whose templates fail is failed instead, as on a
// worker), and starts their attempts at once, owned by the servers. It
// returns them in order, with the scopes of their runs.
func startOwned[T any](o *op, group string, limit int,
	render func(rs *runScope, n workflow.Node, number int64) (T, error)) ([]ownedStart[T], map[int64]*runScope, error) {
	open, err := o.openSlots()
	if err != nil {
		return nil, nil, err
	}
	scopes := make(map[int64]*runScope)
	cands, room, err := o.offer(store.CandidateFilter{Group: group, WorkerLabels: "{}", OpenSlots: open,
		Limit: int64(limit)}, nil, scopes)
	if err != nil {
		return nil, nil, err
	}
	var picks []pick
	var vals []T
	for _, c := range cands {
		if c.Slot != "" && room[c.Slot] <= 0 {
			continue
		}
		rs := scopes[c.RunID]
		v, err := render(rs, rs.plan.graph.Nodes[c.Idx], c.Attempts+1)
		if ok, err := o.failUnrenderable(rs, c, err); !ok || err != nil {
			if err != nil {
				return nil, nil, err
			}
			continue
		}
		if c.Slot != "" {
			room[c.Slot]--
		}
		picks = append(picks, pick{cand: c, asg: Assignment{Number: c.Attempts + 1, RunID: c.RunID,
			TaskID: c.ID, Task: c.Name, Workflow: rs.run.Workflow}})
		vals = append(vals, v)
	}
	asgs, err := o.dispatch(picks, scopes, store.Worker{})
	if err != nil {
		return nil, nil, err
	}
	ids := make([]int64, len(asgs))
	for i, a := range asgs {
		ids[i] = a.AttemptID
	}
	if _, err := o.Attempts().StartMany(o.ctx, ids, ""); err != nil {
		return nil, nil, err
	}
	out := make([]ownedStart[T], len(asgs))
	for i, a := range asgs {
		out[i] = ownedStart[T]{asg: a, cand: picks[i].cand, val: vals[i]}
	}
	return out, scopes, nil
}
