package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/workflow"
)

// StartRequest asks for a run of a workflow.
type StartRequest struct {
	Workflow string
	Version  int64 // 0: the latest
	Params   map[string]string
	// IdempotencyKey makes the start safe to retry: a second start with the
	// same key returns the first run.
	IdempotencyKey string
	Priority       int64
	ScheduledAt    time.Time // zero for runs not started by a schedule
	ScheduleID     int64     // the schedule that fired the run, 0 for none
	Actor          string
}

// Started is the run a start created or, for a repeated idempotency key,
// found.
type Started struct {
	Run     store.Run
	Created bool
}

// StartRun creates a run with all its tasks: the run is running at once,
// its tasks without upstream are queued, the others wait pending.
func (e *Engine) StartRun(ctx context.Context, req StartRequest) (Started, error) {
	out, err := e.StartRuns(ctx, []StartRequest{req})
	if err != nil {
		return Started{}, err
	}
	return out[0], nil
}

// MaxStartBatch bounds the runs one StartRuns call creates.
const MaxStartBatch = 1000

// StartRuns creates runs. Every request is validated before anything is
// stored; invalid requests are reported by index. Runs are created in one
// transaction (all or none) unless they write more than
// Limits.MaxRowsPerTx rows together: then they are created in several
// transactions of whole runs, in order, each under the bound, so that no
// start holds the database long (a retry after a failure part-way starts
// the rest; idempotency keys make it safe). A request over
// MaxRunsPerBatch is refused with a *LimitError.
func (e *Engine) StartRuns(ctx context.Context, reqs []StartRequest) ([]Started, error) {
	return e.startRuns(ctx, reqs, nil)
}

// startRuns is StartRuns, at most once per request key when rk is set
// (see StartRunsOnce).
func (e *Engine) startRuns(ctx context.Context, reqs []StartRequest, rk *requestKey) ([]Started, error) {
	if len(reqs) == 0 {
		return nil, invalid("runs: want 1 to %d runs, got 0", e.cfg.Limits.MaxRunsPerBatch)
	}
	if len(reqs) > e.cfg.Limits.MaxRunsPerBatch {
		return nil, &LimitError{Limit: "max_runs_per_batch", Max: int64(e.cfg.Limits.MaxRunsPerBatch),
			Got: int64(len(reqs)), What: "runs in one request"}
	}
	out, err := e.startInTx(ctx, reqs, true, rk)
	var split *errSplit
	if !errors.As(err, &split) {
		return out, err
	}
	reqs = rk.perRunKeys(reqs)
	out = make([]Started, 0, len(reqs))
	for _, c := range chunks(split.tasks, e.cfg.Limits.MaxRowsPerTx) {
		part, err := e.startInTx(ctx, reqs[c[0]:c[1]], false, nil)
		if err != nil {
			return nil, fmt.Errorf("runs %d to %d of %d (the runs before were started): %w", c[0], c[1]-1, len(reqs), err)
		}
		out = append(out, part...)
	}
	if err := e.recordSplit(ctx, reqs, rk, out); err != nil {
		return nil, err
	}
	return out, nil
}

// startInTx starts reqs in one transaction. With limited (a whole
// request), one that would write more than MaxRowsPerTx rows writes
// nothing and returns *errSplit. With rk, a request recorded under its
// key returns the recorded runs, and a new one is recorded.
func (e *Engine) startInTx(ctx context.Context, reqs []StartRequest, limited bool, rk *requestKey) ([]Started, error) {
	var out []Started
	var err error
	// A concurrent start with the same idempotency key (of a run or of
	// the request) may win the race to insert; the second try finds its
	// runs.
	for try := 0; try < 2; try++ {
		err = e.inGatedTx(ctx, GateStart, reqs[0].Actor, func(o *op) error {
			wfs, err := o.workflowsOf(reqs)
			if err != nil {
				return err
			}
			if rk != nil {
				if out, err = o.repeated(wfs[reqs[0].Workflow].ID, rk); out != nil || err != nil {
					return err
				}
			}
			if out, err = o.startRunsOf(reqs, wfs, limited); err != nil || rk == nil {
				return err
			}
			return o.recordStart(wfs[reqs[0].Workflow].ID, rk, out)
		})
		if !errors.Is(err, store.ErrConflict) {
			break
		}
	}
	var split *errSplit
	if err != nil && !errors.As(err, &split) {
		if len(reqs) == 1 {
			return nil, fmt.Errorf("start run of %s: %w", reqs[0].Workflow, err)
		}
		return nil, fmt.Errorf("start %d runs: %w", len(reqs), err)
	}
	return out, err
}

// newRun is a run about to be inserted, with its plan.
type newRun struct {
	i    int // its request
	plan *plan
	wf   store.Workflow
	row  store.NewRun
	pins []store.ResourcePin // the latest versions of the resources it names
}

// startRuns starts reqs in o's transaction (see startRunsOf).
func (o *op) startRuns(reqs []StartRequest, limited bool) ([]Started, error) {
	wfs, err := o.workflowsOf(reqs)
	if err != nil {
		return nil, err
	}
	return o.startRunsOf(reqs, wfs, limited)
}

// startRunsOf starts reqs, runs of the workflows wfs.
func (o *op) startRunsOf(reqs []StartRequest, wfs map[string]store.Workflow, limited bool) ([]Started, error) {
	out := make([]Started, len(reqs))
	existing, err := o.runsByKey(reqs, wfs)
	if err != nil {
		return nil, err
	}
	type wfKey struct{ wf, key string }
	keys := map[wfKey]int{} // the request that creates the run of a key
	dups := map[int]int{}   // a request repeating a key -> the first with it
	news := make([]newRun, 0, len(reqs))
	var errs []error
	for i, req := range reqs {
		wf := wfs[req.Workflow]
		if req.IdempotencyKey != "" {
			k := wfKey{wf.Name, req.IdempotencyKey}
			if first, seen := keys[k]; seen {
				dups[i] = first
				continue
			}
			keys[k] = i
			if r, ok := existing[k.wf+"\x00"+k.key]; ok {
				out[i] = Started{Run: r}
				continue
			}
		}
		n, err := o.newRun(wf, req)
		var inv *InvalidError
		if errors.As(err, &inv) && len(reqs) > 1 {
			errs = append(errs, inBatch(i, inv.Err))
			continue
		}
		if err != nil {
			return nil, err
		}
		n.i = i
		news = append(news, n)
	}
	if len(errs) > 0 {
		return nil, &InvalidError{Err: errors.Join(errs...)}
	}
	tasks, rows := make([]int, len(reqs)), 0
	for _, n := range news {
		tasks[n.i] = len(n.plan.graph.Nodes)
		rows += rowsOf(tasks[n.i])
	}
	if limited && rows > o.e.cfg.Limits.MaxRowsPerTx && len(news) > 1 {
		return nil, &errSplit{tasks: tasks}
	}
	if err := o.insertRuns(news, out); err != nil {
		return nil, err
	}
	for i, first := range dups {
		out[i] = Started{Run: out[first].Run}
	}
	return out, nil
}

// inBatch places the problems of request i of a batch under runs[i].
func inBatch(i int, err error) error {
	var ve *workflow.ValidationError
	if !errors.As(err, &ve) {
		return fmt.Errorf("runs[%d]: %w", i, err)
	}
	out := &workflow.ValidationError{Filename: ve.Filename, Problems: slices.Clone(ve.Problems)}
	for j, p := range out.Problems {
		out.Problems[j].Path = strings.TrimSuffix(fmt.Sprintf("runs[%d].%s", i, p.Path), ".")
	}
	return out
}

// workflowsOf reads the workflows the requests name.
func (o *op) workflowsOf(reqs []StartRequest) (map[string]store.Workflow, error) {
	wfs := map[string]store.Workflow{}
	for _, req := range reqs {
		if _, ok := wfs[req.Workflow]; ok {
			continue
		}
		wf, err := o.Workflows().Get(o.ctx, req.Workflow)
		if err != nil {
			return nil, notFound(err, "workflow %q", req.Workflow)
		}
		if wf.Disabled {
			return nil, disabledError(wf.Name)
		}
		wfs[req.Workflow] = wf
	}
	return wfs, nil
}

// runsByKey finds the runs the requests' idempotency keys already
// started, by workflow name and key joined with a NUL.
func (o *op) runsByKey(reqs []StartRequest, wfs map[string]store.Workflow) (map[string]store.Run, error) {
	keys := map[string][]string{}
	for _, req := range reqs {
		if req.IdempotencyKey != "" {
			keys[req.Workflow] = append(keys[req.Workflow], req.IdempotencyKey)
		}
	}
	out := map[string]store.Run{}
	for name, ks := range keys {
		runs, err := o.Runs().ByKeys(o.ctx, wfs[name].ID, ks)
		if err != nil {
			return nil, err
		}
		for _, r := range runs {
			out[name+"\x00"+r.IdempotencyKey] = r
		}
	}
	return out, nil
}

// newRun resolves a request into the run to insert.
func (o *op) newRun(wf store.Workflow, req StartRequest) (newRun, error) {
	versionID, version := wf.LatestVersionID, wf.LatestVersion
	if req.Version != 0 && req.Version != version {
		v, err := o.Workflows().VersionByNumber(o.ctx, wf.ID, req.Version)
		if err != nil {
			return newRun{}, notFound(err, "workflow %s version %d", wf.Name, req.Version)
		}
		versionID, version = v.ID, v.Version
	}
	p, err := o.plan(versionID)
	if err != nil {
		return newRun{}, err
	}
	params, err := workflow.ResolveParams(p.def, req.Params)
	if err != nil {
		return newRun{}, &InvalidError{Err: err}
	}
	paramsJSON, err := json.Marshal(params)
	if err != nil {
		return newRun{}, err
	}
	pins, err := o.pinResources(p)
	if err != nil {
		return newRun{}, err
	}
	var scheduledAt int64
	if !req.ScheduledAt.IsZero() {
		scheduledAt = req.ScheduledAt.UnixMilli()
	}
	return newRun{plan: p, wf: wf, row: store.NewRun{
		WorkflowID: wf.ID, Workflow: wf.Name, VersionID: versionID, Version: version,
		State: store.RunRunning, Params: string(paramsJSON), IdempotencyKey: req.IdempotencyKey,
		Priority: req.Priority, ScheduledAt: scheduledAt, CreatedBy: req.Actor,
		TasksTotal: int64(len(p.graph.Nodes)), ScheduleID: req.ScheduleID,
	}, pins: pins}, nil
}

// setDeadline gives a run of a workflow with a timeout its deadline.
func (o *op) setDeadline(runID int64, p *plan) error {
	if p.def.Timeout <= 0 {
		return nil
	}
	return o.Runs().SetDeadline(o.ctx, runID, time.Duration(p.def.Timeout).Milliseconds())
}

// insertRuns inserts the runs, then all their tasks: those without
// upstream queued, the others pending.
func (o *op) insertRuns(news []newRun, out []Started) error {
	if len(news) == 0 {
		return nil
	}
	rows := make([]store.NewRun, len(news))
	for i, n := range news {
		rows[i] = n.row
	}
	runs, err := o.Runs().InsertMany(o.ctx, rows)
	if err != nil {
		return err
	}
	var tasks []store.NewTask
	for i, n := range news {
		run := runs[i]
		out[n.i] = Started{Run: run, Created: true}
		for idx, node := range n.plan.graph.Nodes {
			state := store.TaskPending
			if len(node.Upstream) == 0 {
				state = store.TaskQueued
			}
			pl := n.plan.placement[idx]
			tasks = append(tasks, store.NewTask{
				RunID: run.ID, Idx: int64(idx), Name: node.Name, State: state, Group: node.Group, CU: node.CU,
				Priority: int64(node.Priority), RunPriority: run.Priority, NeedsTotal: int64(len(node.Upstream)),
				Labels: pl.labels, ZonesAllow: pl.zonesAllow, ZonesDeny: pl.zonesDeny, Slot: node.Slot,
			})
		}
		o.record(store.NewEvent{Kind: "run.running", Actor: run.CreatedBy, RunID: run.ID, NewState: store.RunRunning,
			Reason: fmt.Sprintf("%s v%d started by %s", n.wf.Name, run.Version, run.CreatedBy)})
		if err := o.setDeadline(run.ID, n.plan); err != nil {
			return err
		}
		if err := o.Resources().Pin(o.ctx, run.ID, n.pins); err != nil {
			return err
		}
	}
	if err := o.Tasks().Insert(o.ctx, tasks); err != nil {
		return err
	}
	for i, n := range news {
		waits, err := o.limitRun(runs[i], n.plan)
		if err != nil {
			return err
		}
		if waits {
			out[n.i].Run.State = store.RunQueued
		}
	}
	o.NotifyWork()
	return nil
}
