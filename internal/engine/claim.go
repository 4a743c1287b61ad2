package engine

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/workflow"
)

// ClaimRequest asks for work for one worker.
type ClaimRequest struct {
	WorkerID string
	Max      int     // at most this many attempts
	FreeCU   float64 // capacity the worker has free
}

// Assignment is an attempt dispatched to a worker: everything it needs to
// run the task. AttemptID is the fencing token of every later report.
type Assignment struct {
	AttemptID int64
	Number    int64
	RunID     int64
	TaskID    int64
	Task      string
	Workflow  string
	Command   string
	Env       map[string]string
	Timeout   time.Duration
	CU        float64
}

// claimOverfetch: candidates fetched per slot, so tasks too large for the
// free capacity do not starve the claim.
const claimOverfetch = 2

// Claim dispatches queued tasks to a worker, in placement order (run
// priority, task priority, age), within its free capacity: tasks of its
// group whose zone and label constraints it meets, unless the worker is
// draining or its zone cordoned. A task requeued after its attempt was
// lost avoids that attempt's worker and zone for AvoidWindow while a live
// worker elsewhere may serve it. Each task dispatched gets a new attempt;
// the task turns running and its run too.
func (e *Engine) Claim(ctx context.Context, req ClaimRequest) ([]Assignment, error) {
	if req.Max <= 0 || req.FreeCU <= 0 {
		return nil, nil
	}
	var out []Assignment
	err := e.inTx(ctx, "worker:"+req.WorkerID, func(o *op) error {
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
	w, err := o.Workers().Get(o.ctx, req.WorkerID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !live(w.State)) {
		return nil, ErrWorkerGone
	}
	if err != nil {
		return nil, err
	}
	if w.State != store.WorkerActive {
		return nil, nil // draining: no new work
	}
	switch z, err := o.Zones().Get(o.ctx, w.Zone); {
	case err == nil && z.Cordoned:
		return nil, nil
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return nil, err
	}
	cands, err := o.Tasks().Candidates(o.ctx, store.CandidateFilter{Group: w.Group, Zone: w.Zone,
		WorkerLabels: cmp.Or(w.Labels, "{}"), Limit: int64(req.Max * claimOverfetch)})
	if err != nil {
		return nil, err
	}
	var out []Assignment
	free := req.FreeCU
	runs := map[int64]*runScope{}
	elsewhere := map[string]bool{} // per avoided zone: can a live worker elsewhere serve?
	for _, c := range cands {
		if len(out) == req.Max {
			break
		}
		if c.CU > free+1e-9 {
			continue
		}
		if avoid, err := o.avoids(c, w, elsewhere); err != nil || avoid {
			if err != nil {
				return nil, err
			}
			continue
		}
		rs, err := o.runScope(runs, c.RunID)
		if err != nil {
			return nil, err
		}
		a, err := o.dispatch(rs, c, w)
		if err != nil {
			return nil, err
		}
		if a == nil {
			continue // failed before dispatch
		}
		free -= c.CU
		out = append(out, *a)
	}
	return out, nil
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

// runScope is what rendering a run's tasks needs, loaded once per claim.
type runScope struct {
	run     store.Run
	plan    *plan
	params  map[string]string
	outputs map[string]map[string]string // loaded on first need
}

func (o *op) runScope(cache map[int64]*runScope, runID int64) (*runScope, error) {
	if rs := cache[runID]; rs != nil {
		return rs, nil
	}
	run, err := o.Runs().Get(o.ctx, runID)
	if err != nil {
		return nil, notFound(err, "run %d", runID)
	}
	p, err := o.plan(run.VersionID)
	if err != nil {
		return nil, err
	}
	rs := &runScope{run: run, plan: p}
	if err := json.Unmarshal([]byte(run.Params), &rs.params); err != nil {
		return nil, fmt.Errorf("run %d params: %w", runID, err)
	}
	cache[runID] = rs
	return rs, nil
}

func (o *op) loadOutputs(rs *runScope) error {
	if rs.outputs != nil {
		return nil
	}
	rows, err := o.Tasks().Outputs(o.ctx, rs.run.ID)
	if err != nil {
		return err
	}
	rs.outputs = map[string]map[string]string{}
	for _, r := range rows {
		var kv map[string]string
		if err := json.Unmarshal([]byte(r.Outputs), &kv); err != nil {
			return fmt.Errorf("outputs of task %s: %w", r.Name, err)
		}
		rs.outputs[r.Name] = kv
	}
	return nil
}

// render expands the node's command and environment for attempt number.
func (o *op) render(rs *runScope, n workflow.Node, number int64) (string, map[string]string, error) {
	if len(n.OutputRefs()) > 0 {
		if err := o.loadOutputs(rs); err != nil {
			return "", nil, err
		}
	}
	sched := rs.run.ScheduledAt
	if sched == 0 {
		sched = rs.run.CreatedAt
	}
	scope := workflow.Scope{
		Params: rs.params, RunID: rs.run.ID, Workflow: rs.run.Workflow,
		ScheduledTime: time.UnixMilli(sched).UTC(), Task: n.Name, Attempt: int(number),
		Outputs: rs.outputs,
	}
	cmd, err := workflow.Render(n.Run, scope)
	if err != nil {
		return "", nil, &renderError{fmt.Errorf("run: %w", err)}
	}
	env := maps.Clone(n.Env)
	for k, v := range env {
		if env[k], err = workflow.Render(v, scope); err != nil {
			return "", nil, &renderError{fmt.Errorf("env %s: %w", k, err)}
		}
	}
	return cmd, env, nil
}

// renderError is a template that cannot be expanded: the task fails without
// an attempt, since every retry would fail the same way.
type renderError struct{ err error }

func (e *renderError) Error() string { return e.err.Error() }

// dispatch creates the attempt of one candidate, or fails the task when its
// command cannot be rendered (returning nil).
func (o *op) dispatch(rs *runScope, c store.Candidate, w store.Worker) (*Assignment, error) {
	n := rs.plan.graph.Nodes[c.Idx]
	number := c.Attempts + 1
	cmd, env, err := o.render(rs, n, number)
	var re *renderError
	if errors.As(err, &re) {
		task, err := o.Tasks().Get(o.ctx, c.ID)
		if err != nil {
			return nil, err
		}
		return nil, o.failQueued(rs, task, "template: "+re.Error())
	}
	if err != nil {
		return nil, err
	}
	aid, err := o.Attempts().Insert(o.ctx, store.NewAttempt{
		TaskID: c.ID, RunID: c.RunID, Task: c.Name, Number: number, WorkerID: w.ID, Zone: w.Zone,
	})
	if err != nil {
		return nil, err
	}
	if ok, err := o.Tasks().MarkRunning(o.ctx, c.ID, aid); err != nil || !ok {
		return nil, errors.Join(err, fmt.Errorf("task %d left the queue during its claim", c.ID))
	}
	if rs.run.State == store.RunQueued {
		ok, err := o.Runs().MarkRunning(o.ctx, rs.run.ID)
		if err != nil {
			return nil, err
		}
		if ok {
			o.record(store.NewEvent{Kind: "run.running", RunID: rs.run.ID,
				OldState: store.RunQueued, NewState: store.RunRunning})
		}
		rs.run.State = store.RunRunning
	}
	o.record(store.NewEvent{Kind: "task.running", RunID: c.RunID, TaskID: c.ID, Task: c.Name,
		AttemptID: aid, WorkerID: w.ID, OldState: store.TaskQueued, NewState: store.TaskRunning,
		Reason: fmt.Sprintf("attempt %d dispatched to %s in zone %s", number, w.Name, w.Zone)})
	return &Assignment{
		AttemptID: aid, Number: number, RunID: c.RunID, TaskID: c.ID, Task: c.Name,
		Workflow: rs.run.Workflow, Command: cmd, Env: env, Timeout: n.Timeout, CU: c.CU,
	}, nil
}
