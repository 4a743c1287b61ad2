package engine

import (
	"encoding/json"
	"fmt"

	"github.com/baton-sched/baton/internal/retry"
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/workflow"
)

// settle applies an attempt that just ended to its task: success records
// the outputs and releases the downstream tasks; failure retries or fails
// the task; loss requeues it elsewhere or, for a task that is not
// rerunnable, fails it with reason "lost"; an attempt its worker stopped
// on an operator's order (drain --reschedule) requeues the task at once,
// counted neither as a failure nor as a loss. A task that already moved on
// (cancelled, say) is left alone.
func (o *op) settle(a store.Attempt, outputs map[string]string) error {
	task, err := o.Tasks().Get(o.ctx, a.TaskID)
	if err != nil {
		return notFound(err, "task %d", a.TaskID)
	}
	if task.State != store.TaskRunning || task.AttemptID != a.ID {
		return nil
	}
	run, err := o.Runs().Get(o.ctx, a.RunID)
	if err != nil {
		return notFound(err, "run %d", a.RunID)
	}
	p, err := o.plan(run.VersionID)
	if err != nil {
		return err
	}
	node := p.graph.Nodes[task.Idx]
	switch a.State {
	case store.AttemptSucceeded:
		return o.succeed(run, p, task, a, outputs)
	case store.AttemptLost, store.AttemptFenced:
		if !node.Rerunnable {
			o.record(store.NewEvent{Kind: "alert.task_lost", RunID: run.ID, TaskID: task.ID, Task: task.Name,
				AttemptID: a.ID, WorkerID: a.WorkerID,
				Reason: "attempt lost and task is not rerunnable: it will not be started again automatically"})
			return o.failRunning(run, p, task, a, "lost")
		}
		if task.Lost+1 >= int64(o.e.cfg.MaxLost) {
			return o.failRunning(run, p, task, a,
				fmt.Sprintf("lost: %d attempts lost (max_lost %d)", task.Lost+1, o.e.cfg.MaxLost))
		}
		return o.requeue(task, a, retry.Decision{Retry: true}, requeueLost,
			fmt.Sprintf("attempt %d %s: %s", a.Number, a.State, a.Reason))
	case store.AttemptCancelled:
		if a.StopRequested {
			return o.requeue(task, a, retry.Decision{Retry: true}, requeuePreempted,
				fmt.Sprintf("attempt %d stopped on %s to move the task: %s", a.Number, a.WorkerID, a.Reason))
		}
		fallthrough // a worker that cancels on its own failed the attempt
	default: // failed, timed_out
		d := policy(node.Retry).Next(int(task.Attempts - task.Lost - task.Preempted))
		reason := fmt.Sprintf("attempt %d %s", a.Number, a.State)
		if a.Reason != "" {
			reason += ": " + a.Reason
		}
		if d.Retry {
			return o.requeue(task, a, d, requeueFailed, reason)
		}
		return o.failRunning(run, p, task, a, reason)
	}
}

func policy(r workflow.Retry) retry.Policy {
	return retry.Policy{Strategy: r.Strategy, MaxAttempts: r.MaxAttempts, Delay: r.Delay.Std()}
}

func (o *op) succeed(run store.Run, p *plan, task store.Task, a store.Attempt, outputs map[string]string) error {
	var outJSON string
	if len(outputs) > 0 {
		b, err := json.Marshal(outputs)
		if err != nil {
			return err
		}
		outJSON = string(b)
	}
	ok, err := o.Tasks().Finish(o.ctx, store.TaskFinish{State: store.TaskSucceeded, Outputs: outJSON,
		ID: task.ID, AttemptID: a.ID})
	if err != nil || !ok {
		return err
	}
	o.record(taskEvent(task, a, store.TaskSucceeded, ""))
	if down := p.downstream[task.Idx]; len(down) > 0 {
		refs, err := o.Tasks().Release(o.ctx, run.ID, down)
		if err != nil {
			return err
		}
		for _, r := range refs {
			if r.State == store.TaskQueued {
				o.record(store.NewEvent{Kind: "task.queued", RunID: run.ID, TaskID: r.ID, Task: r.Name,
					OldState: store.TaskPending, NewState: store.TaskQueued, Reason: "upstream succeeded"})
				o.NotifyWork()
			}
		}
	}
	return o.progress(run.ID, 1, 0)
}

// requeueCause is why an attempt ended without finishing its task.
type requeueCause int

const (
	requeueFailed    requeueCause = iota // failed or timed out: the retry policy allowed another
	requeueLost                          // lost with its worker, or fenced
	requeuePreempted                     // stopped on an operator's order
)

// requeue sends the task back to the queue for a new attempt, at once or
// after the policy's delay. The worker and zone of a lost or preempted
// attempt are avoided.
func (o *op) requeue(task store.Task, a store.Attempt, d retry.Decision, cause requeueCause, reason string) error {
	state := store.TaskQueued
	if d.Delay > 0 {
		state = store.TaskRetryWait
	}
	r := store.TaskRequeue{State: state, Reason: reason, DelayMs: d.Delay.Milliseconds(),
		ID: task.ID, AttemptID: a.ID}
	switch cause {
	case requeueLost:
		r.Lost = 1
	case requeuePreempted:
		r.Preempted = 1
	}
	if cause != requeueFailed {
		r.AvoidWorker, r.AvoidZone = a.WorkerID, a.Zone
	}
	ok, err := o.Tasks().Requeue(o.ctx, r)
	if err != nil || !ok {
		return err
	}
	o.record(taskEvent(task, a, state, reason))
	if state == store.TaskQueued {
		o.NotifyWork()
	}
	return nil
}

// failRunning fails a running task whose attempt a ended for good.
func (o *op) failRunning(run store.Run, p *plan, task store.Task, a store.Attempt, reason string) error {
	ok, err := o.Tasks().Finish(o.ctx, store.TaskFinish{State: store.TaskFailed, Reason: reason,
		ID: task.ID, AttemptID: a.ID})
	if err != nil || !ok {
		return err
	}
	o.record(taskEvent(task, a, store.TaskFailed, reason))
	return o.cascadeFailure(run.ID, p, task)
}

// failQueued fails a queued task that could not be dispatched.
func (o *op) failQueued(rs *runScope, task store.Task, reason string) error {
	ok, err := o.Tasks().Fail(o.ctx, task.ID, reason)
	if err != nil || !ok {
		return err
	}
	o.record(store.NewEvent{Kind: "task.failed", RunID: task.RunID, TaskID: task.ID, Task: task.Name,
		OldState: store.TaskQueued, NewState: store.TaskFailed, Reason: reason})
	return o.cascadeFailure(rs.run.ID, rs.plan, task)
}

// cascadeFailure marks everything downstream of a failed task
// upstream_failed and counts them all as done.
func (o *op) cascadeFailure(runID int64, p *plan, task store.Task) error {
	var n int64
	if desc := p.descendants[task.Idx]; len(desc) > 0 {
		refs, err := o.Tasks().MarkUpstreamFailed(o.ctx, runID, desc, "upstream task "+task.Name+" failed")
		if err != nil {
			return err
		}
		for _, r := range refs {
			o.record(store.NewEvent{Kind: "task.upstream_failed", RunID: runID, TaskID: r.ID, Task: r.Name,
				OldState: store.TaskPending, NewState: store.TaskUpstreamFailed,
				Reason: "upstream task " + task.Name + " failed"})
		}
		n = int64(len(refs))
	}
	return o.progress(runID, 1+n, 1)
}

// progress counts tasks that reached a terminal state and finishes the run
// when none is left: succeeded if no task failed, else failed.
func (o *op) progress(runID, done, failed int64) error {
	pr, err := o.Runs().AddProgress(o.ctx, runID, done, failed)
	if err != nil {
		return err
	}
	if pr.TasksLeft > 0 {
		return nil
	}
	state, reason := store.RunSucceeded, ""
	if pr.TasksFailed > 0 {
		state, reason = store.RunFailed, fmt.Sprintf("%d task(s) failed", pr.TasksFailed)
	}
	ok, err := o.Runs().Finish(o.ctx, runID, state, reason)
	if err != nil || !ok {
		return err
	}
	o.record(store.NewEvent{Kind: "run." + state, RunID: runID, OldState: pr.State, NewState: state, Reason: reason})
	return nil
}

func taskEvent(t store.Task, a store.Attempt, state, reason string) store.NewEvent {
	return store.NewEvent{Kind: "task." + state, RunID: t.RunID, TaskID: t.ID, Task: t.Name,
		AttemptID: a.ID, WorkerID: a.WorkerID, OldState: store.TaskRunning, NewState: state, Reason: reason}
}
