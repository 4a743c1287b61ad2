package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/baton-sched/baton/client/vocab"
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/taskkind"
	"github.com/baton-sched/baton/internal/workflow"
)

// ClaimRequest asks for work for one worker.
type ClaimRequest struct {
	WorkerID string
	Max      int     // at most this many attempts
	FreeCU   float64 // capacity the worker has free
	// Kinds are the task kinds the worker runs; nil for vocab.BaseKinds
	// (a worker older than this field). Tasks of other kinds are left for
	// other workers.
	Kinds []string
	// Held lists every attempt the worker holds: its attempts dispatched
	// and not started that it does not hold are sent again first (see
	// redeliver.go). nil for a worker that does not say.
	Held []int64
}

// Task kinds: what a worker does with an assignment.
const (
	KindShell = vocab.KindShell // run Command with /bin/sh
	KindNoop  = vocab.KindNoop  // run nothing; report the attempt succeeded
	KindHTTP  = vocab.KindHTTP  // send HTTP; succeed on an expected status
)

// Assignment is an attempt dispatched to a worker: everything it needs to
// run the task. AttemptID is the fencing token of every later report.
type Assignment struct {
	AttemptID int64
	Kind      string
	Number    int64
	RunID     int64
	TaskID    int64
	Task      string
	Workflow  string
	Command   string
	Env       map[string]string
	Timeout   time.Duration
	CU        float64
	// Checkpoint is the task's last checkpoint (base64), '' for none.
	Checkpoint string
	// Payload is what the kind's Prepare rendered (taskkind.Prepared):
	// a *client.HTTPRequest for http, a *client.SQLRequest for sql, nil
	// for shell and noop. The wire form is client.Assignment.SetPayload.
	Payload any
	// Mask lists the secret values the attempt's env or request holds:
	// the worker replaces each with *** in the attempt's output, outputs
	// and reasons. Assignments are never stored.
	Mask []string
	// Resources are materialised in the attempt's directory first.
	Resources []AssignedResource
}

// claimSlack: candidates a claim's second pass reads beyond the number
// asked for (see choose). Every candidate is locked until the claim
// commits, so no more than that.
func claimSlack(n int) int { return max(16, n/8) }

// Claim dispatches queued tasks to a worker, in placement order (run
// priority, task priority, age), within its free capacity: tasks of its
// group whose zone and label constraints it meets, unless the worker is
// draining or its zone cordoned, and of slots with room (see slots.go).
// A task requeued after its attempt was
// lost avoids that attempt's worker and zone for AvoidWindow while a live
// worker elsewhere may serve it. Each task dispatched gets a new attempt
// and turns running.
func (e *Engine) Claim(ctx context.Context, req ClaimRequest) ([]Assignment, error) {
	if req.Max <= 0 || req.FreeCU <= 0 {
		return nil, nil
	}
	var out []Assignment
	err := e.inGatedTx(ctx, GateClaim, "worker:"+req.WorkerID, func(o *op) error {
		var err error
		out, err = o.claim(req)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim for worker %s: %w", req.WorkerID, err)
	}
	return out, nil
}

func (o *op) claim(req ClaimRequest) ([]Assignment, error) {
	w, cordoned, err := o.Workers().Lock(o.ctx, req.WorkerID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !live(w.State)) {
		return nil, ErrWorkerGone
	}
	if err != nil {
		return nil, err
	}
	again, err := o.redeliver(&req, w)
	if err != nil {
		return nil, err
	}
	if w.State != store.WorkerActive || cordoned || req.Max <= 0 || req.FreeCU <= 1e-9 {
		return again, nil // draining, its zone cordoned, or no room left: no new work
	}
	picks, scopes, err := o.choose(req, w)
	if err != nil {
		return nil, err
	}
	if o.e.claimLocked != nil {
		o.e.claimLocked()
	}
	out, err := o.dispatch(picks, scopes, w)
	if err != nil {
		return nil, err
	}
	if len(again) == 0 {
		return out, nil
	}
	return append(again, out...), nil
}

// choose picks the queued tasks a claim by worker w dispatches, in
// placement order, and returns them with the scopes of their runs.
//
// Every candidate read is locked until the claim commits, and a claim
// running beside this one skips what it locked. So the first pass reads
// no more candidates than asked for: two claims at once then take the
// first tasks in placement order between them. Only when that pass comes
// up short (a task too large for the free capacity, a full slot, a kind
// the worker does not run) and there may be more does a second pass read
// claimSlack more, so that such tasks do not starve the claim.
func (o *op) choose(req ClaimRequest, w store.Worker) ([]pick, map[int64]*runScope, error) {
	open, err := o.openSlots()
	if err != nil {
		return nil, nil, err
	}
	kinds := req.Kinds
	if kinds == nil {
		kinds = vocab.BaseKinds
	}
	var (
		picks     []pick
		room      map[string]int64
		scopes    = make(map[int64]*runScope)
		seen      map[int64]bool // candidates the first pass considered
		free      = req.FreeCU
		elsewhere = map[string]bool{} // per avoided zone: can a live worker elsewhere serve?
	)
	limit := req.Max
	for pass := 1; ; pass++ {
		var cands []store.Candidate
		cands, room, err = o.offer(store.CandidateFilter{Group: w.Group, Zone: w.Zone, OpenSlots: open,
			WorkerLabels: cmp.Or(w.Labels, "{}"), Limit: int64(limit)}, room, scopes)
		if err != nil {
			return nil, nil, err
		}
		if picks == nil {
			picks = make([]pick, 0, min(len(cands), req.Max))
		}
		for _, c := range cands {
			if len(picks) == req.Max || free <= 1e-9 {
				break
			}
			if seen[c.ID] || c.CU > free+1e-9 || (c.Slot != "" && room[c.Slot] <= 0) {
				continue
			}
			if !slices.Contains(kinds, scopes[c.RunID].plan.graph.Nodes[c.Idx].Kind) {
				continue // a kind this worker does not run (an older worker, mid-upgrade)
			}
			if avoid, err := o.avoids(c, w, elsewhere); err != nil || avoid {
				if err != nil {
					return nil, nil, err
				}
				continue
			}
			p, ok, err := o.prepare(scopes[c.RunID], c)
			if err != nil {
				return nil, nil, err
			}
			if ok {
				picks = append(picks, p)
				free -= c.CU
				if c.Slot != "" {
					room[c.Slot]--
				}
			}
		}
		if pass == 2 || len(picks) == req.Max || free <= 1e-9 || len(cands) < limit {
			return picks, scopes, nil
		}
		seen = make(map[int64]bool, len(cands))
		for _, c := range cands {
			seen[c.ID] = true
		}
		limit = req.Max + claimSlack(req.Max)
	}
}

// offer returns the queued tasks of filter f (whose OpenSlots is set, see
// openSlots), locked for the claim. It adds the room left in each slot
// they name to room, and the scopes of their runs to scopes.
func (o *op) offer(f store.CandidateFilter, room map[string]int64,
	scopes map[int64]*runScope) ([]store.Candidate, map[string]int64, error) {
	cands, err := o.Tasks().Candidates(o.ctx, f)
	if err != nil || len(cands) == 0 {
		return nil, room, err
	}
	room, err = o.slotRoom(cands, room)
	if err != nil {
		return nil, nil, err
	}
	for _, c := range cands {
		if err := o.addScopes(scopes, c.Run); err != nil {
			return nil, nil, err
		}
	}
	return cands, room, nil
}

// avoids says whether worker w should leave candidate c to others: c's last
// attempt was lost on w or in w's zone, c became ready less than
// AvoidWindow ago, and an active worker of the group in another uncordoned
// zone is live. elsewhere caches that last answer per avoided zone.
func (o *op) avoids(c store.Candidate, w store.Worker, elsewhere map[string]bool) (bool, error) {
	if (c.AvoidWorker != w.ID && (c.AvoidZone == "" || c.AvoidZone != w.Zone)) ||
		c.WaitedMs >= o.e.cfg.AvoidWindow.Milliseconds() {
		return false, nil
	}
	other, seen := elsewhere[c.AvoidZone]
	if !seen {
		ws, err := o.Workers().List(o.ctx, false)
		if err != nil {
			return false, err
		}
		zones, err := o.Zones().List(o.ctx)
		if err != nil {
			return false, err
		}
		cordoned := map[string]bool{}
		for _, z := range zones {
			cordoned[z.Name] = z.Cordoned
		}
		other = slices.ContainsFunc(ws, func(x store.Worker) bool {
			return x.State == store.WorkerActive && x.Group == w.Group && x.ID != w.ID &&
				x.Zone != c.AvoidZone && !cordoned[x.Zone]
		})
		elsewhere[c.AvoidZone] = other
	}
	return other, nil
}

func live(workerState string) bool {
	return workerState == store.WorkerActive || workerState == store.WorkerDraining
}

// dispatch creates the attempts of the tasks picked for worker w and turns
// the tasks running (one statement on PostgreSQL).
func (o *op) dispatch(picks []pick, scopes map[int64]*runScope, w store.Worker) ([]Assignment, error) {
	if len(picks) == 0 {
		return nil, nil
	}
	news := make([]store.NewAttempt, len(picks))
	for i, p := range picks {
		c := p.cand
		news[i] = store.NewAttempt{TaskID: c.ID, RunID: c.RunID, Task: c.Name, Number: c.Attempts + 1,
			WorkerID: w.ID, Zone: w.Zone, TimeoutMs: p.asg.Timeout.Milliseconds()}
	}
	ids, err := o.Attempts().Dispatch(o.ctx, news)
	if err != nil {
		return nil, err
	}
	where := " dispatched to " + w.Name + " in zone " + w.Zone
	if w.ID == "" {
		where = " dispatched to the servers" // a server-run kind
	}
	o.events = slices.Grow(o.events, len(picks))
	out := make([]Assignment, len(picks))
	for i, p := range picks {
		c := p.cand
		// "attempt 1 dispatched to w1 in zone a", without fmt: one a task.
		o.record(store.NewEvent{Kind: "task.running", RunID: c.RunID, TaskID: c.ID, Task: c.Name,
			AttemptID: ids[i], WorkerID: w.ID, Zone: w.Zone, OldState: store.TaskQueued, NewState: store.TaskRunning,
			Reason: "attempt " + strconv.FormatInt(news[i].Number, 10) + where})
		p.asg.AttemptID = ids[i]
		out[i] = p.asg
	}
	return out, nil
}

// failUnrenderable fails candidate c when rendering its templates failed
// with a renderError (false, nil); other errors are returned.
func (o *op) failUnrenderable(rs *runScope, c store.Candidate, err error) (bool, error) {
	if err == nil {
		return true, nil // the common case: no errors.As target to allocate
	}
	var re *renderError
	if errors.As(err, &re) {
		task, err := o.Tasks().Get(o.ctx, c.ID)
		if err != nil {
			return false, err
		}
		return false, o.failQueued(rs, task, "template: "+re.Error())
	}
	return err == nil, err
}

// pick is a candidate chosen for a claim, with its assignment but for the
// attempt ID.
type pick struct {
	cand store.Candidate
	asg  Assignment
}

// prepare renders what the worker needs to run candidate c; ok is false
// when the task failed instead (its templates cannot be rendered).
func (o *op) prepare(rs *runScope, c store.Candidate) (pick, bool, error) {
	n := rs.plan.graph.Nodes[c.Idx]
	number := c.Attempts + 1
	asg := Assignment{Number: number, RunID: c.RunID, TaskID: c.ID, Task: c.Name, Workflow: rs.run.Workflow,
		Timeout: n.Timeout, CU: c.CU, Kind: n.Kind}
	var err error
	if n.Kind == vocab.KindShell { // built in: the command and its checkpoint
		err = o.prepareShell(rs, c, n, &asg)
	} else {
		k, known := taskkind.Lookup(n.Kind)
		if !known || k.Server() { // a server kind: its group has no workers, so it is not offered here
			return pick{}, false, nil
		}
		err = o.prepareKind(rs, n, &asg)
	}
	if ok, err := o.failUnrenderable(rs, c, err); !ok || err != nil {
		return pick{}, false, err
	}
	if ok, err := o.assignResources(rs, c, n, &asg); !ok || err != nil {
		return pick{}, false, err
	}
	return pick{cand: c, asg: asg}, true, nil
}

// prepareKind renders a registered kind's block into the assignment
// (taskkind.Kind.Prepare); the secret values its templates use go in
// Mask.
func (o *op) prepareKind(rs *runScope, n workflow.Node, asg *Assignment) error {
	p, scope, err := o.renderKind(rs, n, asg.Number)
	if err != nil {
		return err
	}
	asg.Payload, asg.Mask = p.Payload, masks(scope)
	if p.Timeout > 0 {
		asg.Timeout = p.Timeout
	}
	return nil
}

// prepareShell renders the command and env, and hands on the last
// checkpoint.
func (o *op) prepareShell(rs *runScope, c store.Candidate, n workflow.Node, asg *Assignment) error {
	cmd, env, scope, err := o.render(rs, n, asg.Number)
	if err != nil {
		return err
	}
	asg.Command, asg.Env, asg.Mask = cmd, env, masks(scope)
	if c.Attempts > 0 { // an earlier attempt may have left a checkpoint
		task, err := o.Tasks().Get(o.ctx, c.ID)
		if err != nil {
			return err
		}
		asg.Checkpoint = task.Checkpoint
	}
	return nil
}
