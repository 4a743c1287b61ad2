package engine

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/baton-sched/baton/client/vocab"
	"github.com/baton-sched/baton/internal/kinds/subworkflow"
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/workflow"
)

// Sub-workflows. A task with `workflow: NAME` is queued in a group no
// worker serves (workflow.SubWorkflowGroup); a server claims it like a
// worker would, and in the same transaction its attempt starts running
// and the child run starts, linked to the task (runs.parent_task_id).
// The transaction that ends the child run ends that attempt too:
// succeeded if the child succeeded, else failed, and the task's retry
// policy applies as to any attempt. A later attempt of the task, or a
// person's rerun of the parent, reruns the failed child from its failed
// tasks instead of starting it over: what the child finished stays
// finished. Cancelling or pausing the parent cancels or pauses its active
// children (cancel.go, pause.go).

// MaxSubWorkflowDepth bounds how deeply sub-workflows nest, so that a
// workflow that runs itself fails instead of starting runs forever.
const MaxSubWorkflowDepth = 10

// subWorkflowActor starts and ends sub-workflow attempts.
const subWorkflowActor = "server:subworkflows"

// StartSubWorkflows starts the child runs of up to limit ready
// sub-workflow tasks and returns how many it took.
func (e *Engine) StartSubWorkflows(ctx context.Context, limit int) (int, error) {
	return e.StartServerTasks(ctx, vocab.KindWorkflow, limit)
}

func (o *op) startSubWorkflows(limit int) (int, error) {
	started, scopes, err := startOwned(o, workflow.SubWorkflowGroup, limit, o.renderParams)
	if err != nil {
		return 0, err
	}
	for _, st := range started {
		if err := o.startChild(scopes[st.asg.RunID], st.cand, st.asg.AttemptID, st.val); err != nil {
			return 0, err
		}
	}
	return len(started), nil
}

// renderParams expands a sub-workflow task's params for attempt number
// (the kind's Prepare).
func (o *op) renderParams(rs *runScope, n workflow.Node, number int64) (map[string]string, error) {
	p, _, err := o.renderKind(rs, n, number)
	if err != nil {
		return nil, err
	}
	params, _ := p.Payload.(map[string]string)
	return params, nil
}

// startChild starts the child run of a sub-workflow task's attempt, or
// reruns from its failed tasks the child an earlier attempt left failed.
// A child that cannot start fails the attempt.
func (o *op) startChild(rs *runScope, c store.Candidate, attemptID int64, params map[string]string) error {
	n := rs.plan.graph.Nodes[c.Idx]
	sub, ok := n.Spec.(*subworkflow.Block)
	if !ok {
		return fmt.Errorf("task %s of run %d: not a sub-workflow", n.Name, rs.run.ID)
	}
	depth, err := o.depth(rs.run)
	if err != nil {
		return err
	}
	if depth >= MaxSubWorkflowDepth {
		return o.endSubAttempt(attemptID, store.AttemptFailed,
			fmt.Sprintf("sub-workflows nest deeper than %d: does %s run itself?", MaxSubWorkflowDepth, sub.Workflow), 0)
	}
	prev, err := o.lastChild(rs.run.ID, c.ID)
	if err != nil {
		return err
	}
	if prev.State == store.RunSucceeded {
		// A person may have rerun the failed child by itself: if it
		// succeeded since the task's last attempt ended, it is adopted.
		if later, err := o.endedSince(prev, c); err != nil || later {
			if err != nil {
				return err
			}
			return o.endSubAttempt(attemptID, store.AttemptSucceeded, "", prev.ID)
		}
	}
	if prev.ID != 0 && prev.State != store.RunSucceeded {
		if !store.RunTerminal(prev.State) {
			return nil // still active: its end ends this attempt
		}
		if _, err := o.recoverRun(prev.ID, Recovery{Failed: true, Actor: o.actor}); err != nil {
			return err
		}
		o.record(store.NewEvent{Kind: "task.subworkflow", RunID: rs.run.ID, TaskID: c.ID, Task: c.Name,
			AttemptID: attemptID, Reason: fmt.Sprintf("run %d of %s runs again from its failed tasks", prev.ID, sub.Workflow)})
		return nil
	}
	started, err := o.startRuns([]StartRequest{{Workflow: sub.Workflow, Params: params, Priority: rs.run.Priority,
		IdempotencyKey: "subworkflow/" + strconv.FormatInt(attemptID, 10),
		Actor:          fmt.Sprintf("run:%d/%s", rs.run.ID, c.Name)}}, false)
	var inv *InvalidError
	if errors.As(err, &inv) || errors.Is(err, ErrNotFound) || errors.Is(err, ErrDisabled) {
		return o.endSubAttempt(attemptID, store.AttemptFailed, "sub-workflow: "+err.Error(), 0)
	}
	if err != nil {
		return err
	}
	child := started[0].Run
	if err := o.Runs().SetParent(o.ctx, child.ID, rs.run.ID, c.ID); err != nil {
		return err
	}
	if err := o.limitChild(child, n.Timeout); err != nil {
		return err
	}
	o.record(store.NewEvent{Kind: "task.subworkflow", RunID: rs.run.ID, TaskID: c.ID, Task: c.Name,
		AttemptID: attemptID, Reason: fmt.Sprintf("started run %d of %s", child.ID, sub.Workflow)})
	return nil
}

// endedSince says whether a child run ended after the previous attempt
// of task c.
func (o *op) endedSince(child store.Run, c store.Candidate) (bool, error) {
	as, err := o.Attempts().ListRun(o.ctx, c.RunID)
	if err != nil {
		return false, err
	}
	for _, a := range as {
		if a.TaskID == c.ID && a.Number == c.Attempts {
			return child.FinishedAt > a.FinishedAt, nil
		}
	}
	return false, nil
}

// limitChild gives a child run its task's timeout as deadline, unless
// the child's own timeout is sooner.
func (o *op) limitChild(child store.Run, timeout time.Duration) error {
	if timeout <= 0 {
		return nil
	}
	p, err := o.plan(child.VersionID)
	if err != nil {
		return err
	}
	if own := time.Duration(p.def.Timeout); own > 0 && own <= timeout {
		return nil
	}
	return o.Runs().SetDeadline(o.ctx, child.ID, timeout.Milliseconds())
}

// depth counts the sub-workflow tasks above run.
func (o *op) depth(run store.Run) (int, error) {
	d := 0
	for run.ParentRunID != 0 && d < MaxSubWorkflowDepth {
		var err error
		if run, err = o.Runs().Get(o.ctx, run.ParentRunID); err != nil {
			return 0, err
		}
		d++
	}
	return d, nil
}

// lastChild returns the latest child run a task started; ID 0 if none.
func (o *op) lastChild(runID, taskID int64) (store.Run, error) {
	children, err := o.Runs().Children(o.ctx, runID)
	if err != nil {
		return store.Run{}, err
	}
	var last store.Run
	for _, r := range children {
		if r.ParentTaskID == taskID {
			last = r
		}
	}
	return last, nil
}

// childEnded ends the attempt of the sub-workflow task that started a
// run that just ended in state (nothing if the task moved on meanwhile:
// cancelled, say).
func (o *op) childEnded(parentTaskID, runID int64, state, reason string) error {
	if parentTaskID == 0 {
		return nil
	}
	task, err := o.Tasks().Get(o.ctx, parentTaskID)
	if err != nil {
		return err
	}
	if task.State != store.TaskRunning || task.AttemptID == 0 {
		return nil
	}
	if state == store.RunSucceeded {
		return o.endSubAttempt(task.AttemptID, store.AttemptSucceeded, "", runID)
	}
	return o.endSubAttempt(task.AttemptID, store.AttemptFailed,
		fmt.Sprintf("sub-workflow run %d %s: %s", runID, state, reason), runID)
}

// endSubAttempt ends a sub-workflow attempt and settles its task; the
// child run's ID, when there is one, is the task's output run_id.
func (o *op) endSubAttempt(attemptID int64, state, reason string, childID int64) error {
	ended, err := o.Attempts().FinishMany(o.ctx, "", []store.AttemptFinish{{ID: attemptID, State: state, Reason: reason}})
	if err != nil || len(ended) == 0 {
		return err
	}
	a := ended[0]
	o.record(store.NewEvent{Kind: "attempt." + a.State, RunID: a.RunID, TaskID: a.TaskID, Task: a.Task,
		AttemptID: a.ID, OldState: store.AttemptRunning, NewState: a.State, Reason: reason})
	outputs := map[int64]map[string]string{}
	if childID != 0 {
		outputs[a.ID] = map[string]string{"run_id": strconv.FormatInt(childID, 10)}
	}
	return o.settle(ended, outputs)
}
