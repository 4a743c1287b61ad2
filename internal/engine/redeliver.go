package engine

import (
	"errors"
	"strconv"

	"github.com/baton-sched/baton/client/vocab"
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/taskkind"
)

// Re-delivery. A claim commits its attempts (dispatched to the worker)
// before its answer leaves the server: a server killed in between, a
// connection cut, or a worker that gave up on a slow server loses the
// answer, and the worker never runs those attempts. Left alone they are
// lost at the worker's first heartbeat after the dispatch timeout and
// run again. Instead, a worker that saw a claim fail lists in its next
// claims every attempt it holds (ClaimRequest.Held), and the claim hands
// it first its attempts still dispatched (never started) that it does not
// hold: the same attempts, under the same IDs (the same fencing tokens),
// rendered again as a fresh claim renders them.

// EventRedelivered is the event of an attempt sent again to its worker.
const EventRedelivered = "attempt.redelivered"

// redeliver returns the assignments of worker w's attempts that are
// dispatched, not started and not in req.Held, oldest first, within
// req.Max and req.FreeCU, which it lowers by what it returns. Nothing
// when req.Held is nil (a worker that does not say what it holds).
func (o *op) redeliver(req *ClaimRequest, w store.Worker) ([]Assignment, error) {
	if req.Held == nil || req.Max <= 0 {
		return nil, nil
	}
	as, err := o.Attempts().Unstarted(o.ctx, w.ID)
	if err != nil || len(as) == 0 {
		return nil, err
	}
	held := make(map[int64]bool, len(req.Held))
	for _, id := range req.Held {
		held[id] = true
	}
	var out []Assignment
	scopes := map[int64]*runScope{}
	for _, a := range as {
		if req.Max <= 0 {
			break
		}
		if held[a.ID] {
			continue
		}
		asg, ok, err := o.reassign(scopes, a)
		if err != nil {
			return nil, err
		}
		if !ok || asg.CU > req.FreeCU+1e-9 {
			continue // left to the heartbeat, which loses it after the dispatch timeout
		}
		o.record(store.NewEvent{Kind: EventRedelivered, RunID: a.RunID, TaskID: a.TaskID, Task: a.Task,
			AttemptID: a.ID, WorkerID: w.ID, Zone: w.Zone,
			Reason: "attempt " + strconv.FormatInt(a.Number, 10) + " sent again to " + w.Name +
				": the answer of the claim that dispatched it did not reach the worker"})
		o.e.log.InfoContext(o.ctx, "attempt re-delivered: its claim's answer did not reach the worker",
			"worker_id", w.ID, "attempt_id", a.ID, "run_id", a.RunID, "task", a.Task)
		out = append(out, asg)
		req.Max--
		req.FreeCU -= asg.CU
	}
	return out, nil
}

// reassign renders again the assignment of attempt a, dispatched and not
// started; ok is false when it cannot be sent again (its task moved on,
// or its templates or resources no longer resolve).
func (o *op) reassign(scopes map[int64]*runScope, a store.Attempt) (Assignment, bool, error) {
	task, err := o.Tasks().Get(o.ctx, a.TaskID)
	if err != nil {
		return Assignment{}, false, err
	}
	if task.AttemptID != a.ID || task.State != store.TaskRunning {
		return Assignment{}, false, nil
	}
	rs := scopes[a.RunID]
	if rs == nil {
		run, err := o.Runs().Get(o.ctx, a.RunID)
		if err != nil {
			return Assignment{}, false, err
		}
		if err := o.addScopes(scopes, run); err != nil {
			return Assignment{}, false, err
		}
		rs = scopes[a.RunID]
	}
	n := rs.plan.graph.Nodes[task.Idx]
	asg := Assignment{AttemptID: a.ID, Number: a.Number, RunID: a.RunID, TaskID: a.TaskID, Task: a.Task,
		Workflow: rs.run.Workflow, Timeout: n.Timeout, CU: task.CU, Kind: n.Kind}
	if n.Kind == vocab.KindShell {
		c := store.Candidate{ID: task.ID, RunID: task.RunID, Idx: task.Idx, Name: task.Name, CU: task.CU,
			Attempts: a.Number - 1, Slot: task.Slot, Run: rs.run}
		err = o.prepareShell(rs, c, n, &asg)
	} else {
		k, known := taskkind.Lookup(n.Kind)
		if !known || k.Server() {
			return Assignment{}, false, nil
		}
		err = o.prepareKind(rs, n, &asg)
	}
	var re *renderError
	if errors.As(err, &re) {
		o.e.log.WarnContext(o.ctx, "attempt not re-delivered: its templates no longer render",
			"attempt_id", a.ID, "task", a.Task, "err", err)
		return Assignment{}, false, nil
	}
	if err != nil {
		return Assignment{}, false, err
	}
	if len(n.Resources) > 0 && rs.resources == nil {
		if rs.resources, err = o.pinnedOf(rs.run.ID); err != nil {
			return Assignment{}, false, err
		}
	}
	for _, ref := range n.Resources {
		r, err := o.resolvePinned(ref, rs.resources)
		if errors.Is(err, store.ErrNotFound) {
			return Assignment{}, false, nil
		}
		if err != nil {
			return Assignment{}, false, err
		}
		asg.Resources = append(asg.Resources, AssignedResource{Name: r.Name, Version: r.Version, Sha256: r.Sha256,
			Size: r.Size, Kind: r.Kind})
	}
	return asg, true, nil
}
