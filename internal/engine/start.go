package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
	Actor          string
}

// Started is the run a start created or, for a repeated idempotency key,
// found.
type Started struct {
	Run     store.Run
	Created bool
}

// StartRun creates a run with all its tasks: those without upstream are
// queued at once, the others wait pending.
func (e *Engine) StartRun(ctx context.Context, req StartRequest) (Started, error) {
	var out Started
	err := e.inTx(ctx, req.Actor, func(o *op) error {
		var err error
		out, err = o.startRun(req)
		return err
	})
	if errors.Is(err, store.ErrConflict) && req.IdempotencyKey != "" {
		// A concurrent start with the same key won.
		err = e.store.Read(ctx, func(tx store.Tx) error {
			wf, err := tx.Workflows().Get(ctx, req.Workflow)
			if err != nil {
				return err
			}
			out.Run, err = tx.Runs().ByKey(ctx, wf.ID, req.IdempotencyKey)
			out.Created = false
			return err
		})
	}
	if err != nil {
		return Started{}, fmt.Errorf("start run of %s: %w", req.Workflow, err)
	}
	return out, nil
}

func (o *op) startRun(req StartRequest) (Started, error) {
	wf, err := o.Workflows().Get(o.ctx, req.Workflow)
	if err != nil {
		return Started{}, notFound(err, "workflow %q", req.Workflow)
	}
	if req.IdempotencyKey != "" {
		r, err := o.Runs().ByKey(o.ctx, wf.ID, req.IdempotencyKey)
		if err == nil {
			return Started{Run: r}, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return Started{}, err
		}
	}
	versionID, version := wf.LatestVersionID, wf.LatestVersion
	if req.Version != 0 && req.Version != version {
		v, err := o.Workflows().VersionByNumber(o.ctx, wf.ID, req.Version)
		if err != nil {
			return Started{}, notFound(err, "workflow %s version %d", wf.Name, req.Version)
		}
		versionID, version = v.ID, v.Version
	}
	p, err := o.plan(versionID)
	if err != nil {
		return Started{}, err
	}
	params, err := workflow.ResolveParams(p.def, req.Params)
	if err != nil {
		return Started{}, &InvalidError{Err: err}
	}
	paramsJSON, err := json.Marshal(params)
	if err != nil {
		return Started{}, err
	}
	var scheduledAt int64
	if !req.ScheduledAt.IsZero() {
		scheduledAt = req.ScheduledAt.UnixMilli()
	}
	run, err := o.Runs().Insert(o.ctx, store.NewRun{
		WorkflowID: wf.ID, Workflow: wf.Name, VersionID: versionID, Version: version,
		State: store.RunQueued, Params: string(paramsJSON), IdempotencyKey: req.IdempotencyKey,
		Priority: req.Priority, ScheduledAt: scheduledAt, CreatedBy: o.actor,
		TasksTotal: int64(len(p.graph.Nodes)),
	})
	if err != nil {
		return Started{}, err
	}
	tasks := make([]store.NewTask, len(p.graph.Nodes))
	for i, n := range p.graph.Nodes {
		state := store.TaskPending
		if len(n.Upstream) == 0 {
			state = store.TaskQueued
		}
		pl := p.placement[i]
		tasks[i] = store.NewTask{
			RunID: run.ID, Idx: int64(i), Name: n.Name, State: state, Group: n.Group, CU: n.CU,
			Priority: int64(n.Priority), RunPriority: req.Priority, NeedsTotal: int64(len(n.Upstream)),
			Labels: pl.labels, ZonesAllow: pl.zonesAllow, ZonesDeny: pl.zonesDeny,
		}
	}
	if err := o.Tasks().Insert(o.ctx, tasks); err != nil {
		return Started{}, err
	}
	o.record(store.NewEvent{Kind: "run.queued", RunID: run.ID, NewState: store.RunQueued,
		Reason: fmt.Sprintf("%s v%d started by %s", wf.Name, version, o.actor)})
	o.NotifyWork()
	return Started{Run: run, Created: true}, nil
}
