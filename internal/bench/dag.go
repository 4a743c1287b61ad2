package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/client/vocab"
)

// DAG is the end-to-end time of one run of a DAG workflow.
type DAG struct {
	Tasks int           `json:"tasks"`
	Total time.Duration `json:"total_ns"`
	// PerHop is Total over the longest path, for chains.
	PerHop time.Duration `json:"per_hop_ns,omitempty"`
}

// dags runs the 1 → 1000 → 1 fan-out and the 100-task chain once each.
func (e *env) dags(ctx context.Context) (fan, chain *DAG, err error) {
	ft, err := e.runOnce(ctx, "bench-fan")
	if err != nil {
		return nil, nil, err
	}
	ct, err := e.runOnce(ctx, "bench-chain")
	if err != nil {
		return nil, nil, err
	}
	return &DAG{Tasks: fanWidth + 2, Total: ft},
		&DAG{Tasks: chainLength, Total: ct, PerHop: ct / chainLength}, nil
}

// runOnce starts one run and returns its time from creation to finish, by
// the database clock.
func (e *env) runOnce(ctx context.Context, workflow string) (time.Duration, error) {
	run, err := e.api.StartRun(ctx, workflow, client.StartRunRequest{})
	if err != nil {
		return 0, err
	}
	r, err := e.wait(ctx, run.ID)
	if err != nil {
		return 0, err
	}
	if r.State != vocab.RunSucceeded {
		return 0, fmt.Errorf("run %d of %s ended %s: %s", r.ID, workflow, r.State, r.Reason)
	}
	return r.FinishedAt.Sub(r.CreatedAt), nil
}

// wait polls a run until it ends.
func (e *env) wait(ctx context.Context, id int64) (client.Run, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	for {
		r, err := e.api.Run(ctx, id)
		if err != nil {
			return client.Run{}, err
		}
		if r.Terminal() {
			return r.Run, nil
		}
		if err := client.Wait(ctx, 5*time.Millisecond); err != nil {
			return client.Run{}, fmt.Errorf("run %d did not end: %w", id, err)
		}
	}
}
