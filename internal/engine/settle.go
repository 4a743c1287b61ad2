package engine

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/baton-sched/baton/internal/retry"
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/workflow"
)

// settle applies attempts that just ended to their tasks: success records
// the outputs and releases the downstream tasks; failure retries or fails
// the task; loss requeues it elsewhere or, for a task that is not
// rerunnable, fails it with reason "lost"; an attempt its worker stopped
// on an operator's order (drain --reschedule) requeues the task at once,
// counted neither as a failure nor as a loss. A task that already moved on
// (cancelled, say) is left alone. Successes, the common case, are applied
// together: one statement per table for the whole batch.
func (o *op) settle(as []store.Attempt, outputs map[int64]map[string]string) error {
	if len(as) == 0 {
		return nil
	}
	taskIDs := make([]int64, len(as))
	for i, a := range as {
		taskIDs[i] = a.TaskID
	}
	// Tasks and runs, the columns settling reads: one round trip.
	rows, err := o.Tasks().GetManyToSettle(o.ctx, taskIDs)
	if err != nil {
		return err
	}
	byID := make(map[int64]*store.Task, len(rows))
	scopes := make(map[int64]*runScope)
	for i := range rows {
		byID[rows[i].Task.ID] = &rows[i].Task
		if err := o.addScopes(scopes, rows[i].Run); err != nil {
			return err
		}
	}
	wins := make([]win, 0, len(as))
	for _, a := range as {
		tp, ok := byID[a.TaskID]
		if !ok {
			return notFound(store.ErrNotFound, "task %d", a.TaskID)
		}
		task := *tp
		if task.State != store.TaskRunning || task.AttemptID != a.ID {
			continue
		}
		if task.Slot != "" {
			o.NotifyWork() // its slot has room again
		}
		rs := scopes[a.RunID]
		if a.State == store.AttemptSucceeded {
			wins = append(wins, win{task: task, attempt: a, scope: rs, outputs: outputs[a.ID]})
			continue
		}
		if err := o.settleUnsuccessful(rs, task, a); err != nil {
			return err
		}
	}
	return o.succeed(wins)
}

// settleWon applies attempts that Attempts().Succeed ended with their
// tasks: what follows a task's success (see succeeded).
func (o *op) settleWon(won []store.AttemptWon, outputs map[int64]map[string]string) error {
	if len(won) == 0 {
		return nil
	}
	scopes := make(map[int64]*runScope)
	wins := make([]win, len(won))
	ended := make(map[int64]bool, len(won))
	for i, w := range won {
		if err := o.addScopes(scopes, w.Run); err != nil {
			return err
		}
		if w.Task.Slot != "" {
			o.NotifyWork() // its slot has room again
		}
		wins[i] = win{task: w.Task, attempt: w.Attempt, scope: scopes[w.Run.ID], outputs: outputs[w.Attempt.ID]}
		ended[w.Task.ID] = true
	}
	return o.succeeded(wins, ended)
}

// win is a task whose attempt succeeded (or, with state skipped, a wait
// that timed out with on_timeout skip: downstream it counts as succeeded).
type win struct {
	task    store.Task
	attempt store.Attempt
	scope   *runScope
	outputs map[string]string
	state   string // '' means succeeded
	reason  string
}

// settleUnsuccessful applies an attempt that ended without success.
func (o *op) settleUnsuccessful(rs *runScope, task store.Task, a store.Attempt) error {
	node := rs.plan.graph.Nodes[task.Idx]
	switch a.State {
	case store.AttemptLost, store.AttemptFenced:
		if !node.Rerunnable {
			o.record(store.NewEvent{Kind: "alert.task_lost", RunID: task.RunID, TaskID: task.ID, Task: task.Name,
				AttemptID: a.ID, WorkerID: a.WorkerID, Zone: a.Zone,
				Reason: "attempt lost and task is not rerunnable: it will not be started again automatically"})
			return o.failRunning(rs, task, a, "lost")
		}
		if task.Lost+1 >= int64(o.e.cfg.MaxLost) {
			return o.failRunning(rs, task, a,
				fmt.Sprintf("lost: %d attempts lost (max_lost %d)", task.Lost+1, o.e.cfg.MaxLost))
		}
		if d := policy(node.Retry).Next(retry.History{Outcome: retry.Lost}); !d.Retry {
			return o.failRunning(rs, task, a, "lost: "+d.Reason)
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
		h, err := o.history(node.Retry, task, a)
		if err != nil {
			return err
		}
		d := policy(node.Retry).Next(h)
		reason := fmt.Sprintf("attempt %d %s", a.Number, a.State)
		if a.Reason != "" {
			reason += ": " + a.Reason
		}
		if d.Retry {
			return o.requeue(task, a, d, requeueFailed, reason)
		}
		return o.failRunning(rs, task, a, reason+"; no retry: "+d.Reason)
	}
}

// history is what the retry policy needs to decide after attempt a of
// task failed or timed out. Times are the database's; the failure-rate
// strategy alone needs the times of earlier failures.
func (o *op) history(r workflow.Retry, task store.Task, a store.Attempt) (retry.History, error) {
	h := retry.History{Outcome: retry.Failed, Failures: int(task.Attempts - task.Lost - task.Preempted),
		Now: time.UnixMilli(a.FinishedAt), Seed: uint64(task.ID)}
	if a.State == store.AttemptTimedOut {
		h.Outcome = retry.TimedOut
	}
	if r.Strategy != retry.FailureRate {
		return h, nil
	}
	as, err := o.Attempts().ListRun(o.ctx, task.RunID)
	if err != nil {
		return retry.History{}, err
	}
	for _, x := range as {
		if x.TaskID == task.ID && (x.State == store.AttemptFailed || x.State == store.AttemptTimedOut ||
			x.ID == a.ID) {
			h.FailureTimes = append(h.FailureTimes, time.UnixMilli(x.FinishedAt))
		}
	}
	return h, nil
}

func policy(r workflow.Retry) retry.Policy {
	return retry.Policy{Strategy: r.Strategy, MaxAttempts: r.MaxAttempts, Delay: r.Delay.Std(),
		Factor: r.Factor, MaxDelay: r.MaxDelay.Std(), Jitter: r.Jitter, MaxFailures: r.MaxFailures,
		Interval: r.Interval.Std(), RetryOn: r.RetryOn}
}

// succeed ends the tasks of wins, succeeded with their outputs, and
// records what follows (see succeeded).
func (o *op) succeed(wins []win) error {
	if len(wins) == 0 {
		return nil
	}
	fins := make([]store.TaskFinish, len(wins))
	for i, w := range wins {
		outJSON, err := encodeOutputs(w.outputs)
		if err != nil {
			return err
		}
		fins[i] = store.TaskFinish{State: cmp.Or(w.state, store.TaskSucceeded), Reason: w.reason, Outputs: outJSON,
			ID: w.task.ID, AttemptID: w.attempt.ID}
	}
	done, err := o.Tasks().FinishMany(o.ctx, fins)
	if err != nil {
		return err
	}
	return o.succeeded(wins, set(done))
}

// encodeOutputs is a task's outputs as stored: a JSON object, "" for none.
func encodeOutputs(outputs map[string]string) (string, error) {
	if len(outputs) == 0 {
		return "", nil
	}
	b, err := json.Marshal(outputs)
	return string(b), err
}

// succeeded records the successes of the tasks of wins that finished:
// downstream tasks released (queued once all their upstream are done),
// runs counted and finished when nothing is left.
func (o *op) succeeded(wins []win, finished map[int64]bool) error {
	type key struct{ run, idx int64 }
	releases := map[key]int64{}
	progress := map[int64]int64{}
	for _, w := range wins {
		if !finished[w.task.ID] {
			continue
		}
		state := cmp.Or(w.state, store.TaskSucceeded)
		o.record(taskEvent(w.task, w.attempt, state, w.reason))
		o.taskEnded(w.task, w.attempt, state)
		for _, d := range w.scope.plan.downstream[w.task.Idx] {
			releases[key{w.task.RunID, d}]++
		}
		progress[w.task.RunID]++
	}
	scopes := make(map[int64]*runScope, len(progress))
	for _, w := range wins {
		scopes[w.task.RunID] = w.scope
	}
	for len(releases) > 0 {
		rels := make([]store.TaskRelease, 0, len(releases))
		for k, n := range releases {
			rels = append(rels, store.TaskRelease{RunID: k.run, Idx: k.idx, N: n})
		}
		slices.SortFunc(rels, func(a, b store.TaskRelease) int {
			return cmp.Or(cmp.Compare(a.RunID, b.RunID), cmp.Compare(a.Idx, b.Idx))
		})
		refs, err := o.Tasks().ReleaseMany(o.ctx, rels)
		if err != nil {
			return err
		}
		clear(releases)
		for _, r := range refs {
			if r.State != store.TaskQueued {
				continue
			}
			rs := scopes[r.RunID]
			if n, ok := rs.plan.node(r.Name); rs.plan.rules && ok && n.TriggerRule == workflow.RuleOneFailed {
				// Every upstream succeeded: a task for failures has nothing
				// to do. Skipped counts as succeeded downstream.
				if err := o.skipReleased(r, n); err != nil {
					return err
				}
				for _, d := range rs.plan.downstream[n.Index] {
					releases[key{r.RunID, d}]++
				}
				progress[r.RunID]++
				continue
			}
			o.record(store.NewEvent{Kind: "task.queued", RunID: r.RunID, TaskID: r.ID, Task: r.Name,
				OldState: store.TaskPending, NewState: store.TaskQueued, Reason: "upstream succeeded"})
			o.NotifyWork()
		}
	}
	deltas := make([]store.RunDelta, 0, len(progress))
	was := make(map[int64]string, len(progress))
	for _, w := range wins {
		was[w.task.RunID] = w.scope.run.State
	}
	for run, n := range progress {
		deltas = append(deltas, store.RunDelta{ID: run, Done: n})
	}
	return o.progress(was, deltas...)
}

// skipReleased skips a one_failed task that its upstream all succeeding
// just queued.
func (o *op) skipReleased(r store.TaskRef, n workflow.Node) error {
	const reason = "every upstream task succeeded (trigger_rule one_failed)"
	ok, err := o.Tasks().Recover(o.ctx, store.TaskRecovery{State: store.TaskSkipped, Reason: reason,
		NeedsDone: int64(len(n.Upstream)), ID: r.ID, FromState: store.TaskQueued})
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("skip task %s of run %d: it changed meanwhile: %w", r.Name, r.RunID, store.ErrConflict)
	}
	o.record(store.NewEvent{Kind: "task.skipped", RunID: r.RunID, TaskID: r.ID, Task: r.Name,
		OldState: store.TaskPending, NewState: store.TaskSkipped, Reason: reason})
	return nil
}

// requeueCause is why an attempt ended without finishing its task.
type requeueCause int

const (
	requeueFailed     requeueCause = iota // failed or timed out: the retry policy allowed another
	requeueLost                           // lost with its worker, or fenced
	requeuePreempted                      // stopped on an operator's order
	requeueUnreceived                     // never reached its worker, which stopped (counted as preempted)
)

// requeue sends the task back to the queue for a new attempt, at once or
// after the policy's delay. The worker and zone of a lost or preempted
// attempt are avoided (not those of one that never reached its worker).
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
	case requeuePreempted, requeueUnreceived:
		r.Preempted = 1
	}
	if cause == requeueLost || cause == requeuePreempted {
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
func (o *op) failRunning(rs *runScope, task store.Task, a store.Attempt, reason string) error {
	done, err := o.Tasks().FinishMany(o.ctx, []store.TaskFinish{{State: store.TaskFailed, Reason: reason,
		ID: task.ID, AttemptID: a.ID}})
	if err != nil || len(done) == 0 {
		return err
	}
	o.record(taskEvent(task, a, store.TaskFailed, reason))
	o.taskEnded(task, a, store.TaskFailed)
	return o.cascadeFailure(rs, task)
}

// failQueued fails a queued task that could not be dispatched.
func (o *op) failQueued(rs *runScope, task store.Task, reason string) error {
	ok, err := o.Tasks().Fail(o.ctx, task.ID, reason)
	if err != nil || !ok {
		return err
	}
	o.record(store.NewEvent{Kind: "task.failed", RunID: task.RunID, TaskID: task.ID, Task: task.Name,
		OldState: store.TaskQueued, NewState: store.TaskFailed, Reason: reason})
	return o.cascadeFailure(rs, task)
}

// cascadeFailure tells the tasks downstream of a failed task: with the
// default rule they end upstream_failed, and so on down; then it counts
// the run's progress, and stops the run under on_failure: stop.
func (o *op) cascadeFailure(rs *runScope, task store.Task) error {
	n, err := o.failDownstream(rs, task)
	if err != nil {
		return err
	}
	err = o.progress(map[int64]string{rs.run.ID: rs.run.State}, store.RunDelta{ID: rs.run.ID, Done: 1 + n, Failed: 1})
	if err != nil || rs.plan.def.OnFailure != workflow.OnFailureStop {
		return err
	}
	// on_failure: stop. A run the progress just ended is left alone.
	_, err = o.endRun(rs.run, store.RunFailed, fmt.Sprintf("task %s failed (on_failure: stop)", task.Name))
	return err
}

// failDownstream ends upstream_failed what a failed task blocks and
// returns how many tasks it ended. With the default rule everywhere that
// is every pending descendant, in one statement; otherwise the failure
// travels one level at a time, and tasks whose rule runs on failures
// (all_done, one_failed) may be queued instead.
func (o *op) failDownstream(rs *runScope, task store.Task) (int64, error) {
	reason := "upstream task " + task.Name + " failed"
	if !rs.plan.rules {
		desc := rs.plan.descendants[task.Idx]
		if len(desc) == 0 {
			return 0, nil
		}
		refs, err := o.Tasks().MarkUpstreamFailed(o.ctx, rs.run.ID, desc, reason)
		for _, r := range refs {
			o.record(store.NewEvent{Kind: "task.upstream_failed", RunID: rs.run.ID, TaskID: r.ID, Task: r.Name,
				OldState: store.TaskPending, NewState: store.TaskUpstreamFailed, Reason: reason})
		}
		return int64(len(refs)), err
	}
	var ended int64
	for failed := []int64{task.Idx}; len(failed) > 0; {
		u := failed[0]
		failed = failed[1:]
		for _, d := range rs.plan.downstream[u] {
			t, err := o.Tasks().AddUpstreamFailure(o.ctx, rs.run.ID, d)
			if err != nil {
				return 0, err
			}
			if t.State != store.TaskPending {
				continue // already queued by its rule, or ended
			}
			state := onUpstreamFailure(rs.plan.graph.Nodes[d].TriggerRule, t)
			if state == store.TaskPending {
				continue
			}
			ok, err := o.Tasks().Recover(o.ctx, store.TaskRecovery{State: state, Reason: reason, NeedsDone: t.NeedsDone,
				NeedsFailed: t.NeedsFailed, ID: t.ID, FromState: store.TaskPending})
			if err != nil || !ok {
				return 0, err
			}
			o.record(store.NewEvent{Kind: "task." + state, RunID: rs.run.ID, TaskID: t.ID, Task: t.Name,
				OldState: store.TaskPending, NewState: state, Reason: reason})
			if state == store.TaskUpstreamFailed {
				ended++
				failed = append(failed, d)
			} else {
				o.NotifyWork()
			}
		}
	}
	return ended, nil
}

// onUpstreamFailure is the state of a pending task one more of whose
// upstream failed (t counts it already): upstream_failed under a success
// rule, queued when its rule runs on failures and its time came, else
// pending still.
func onUpstreamFailure(rule string, t store.Task) string {
	switch {
	case successRule(rule):
		return store.TaskUpstreamFailed
	case rule == workflow.RuleOneFailed, t.NeedsDone+t.NeedsFailed >= t.NeedsTotal: // one_failed, all_done
		return store.TaskQueued
	}
	return store.TaskPending
}

// successRule reports whether a trigger rule needs every upstream to
// succeed (all_success, none_failed).
func successRule(rule string) bool {
	return rule == "" || rule == workflow.RuleAllSuccess || rule == workflow.RuleNoneFailed
}

// progress counts tasks of runs that reached a terminal state; the store
// finishes, in the same statement, the runs with none left: succeeded if
// no task failed, else failed. A run this update ended has no task left
// and one of those states (one that ended before, by a cancel, keeps its
// state); was gives the state each run had before, for the event.
func (o *op) progress(was map[int64]string, deltas ...store.RunDelta) error {
	rows, err := o.Runs().AddProgressMany(o.ctx, deltas)
	if err != nil {
		return err
	}
	var heard listeners
	for _, pr := range rows {
		if pr.TasksLeft == 0 && (pr.State == store.RunSucceeded || pr.State == store.RunFailed) {
			old := cmp.Or(was[pr.ID], store.RunRunning)
			o.record(store.NewEvent{Kind: "run." + pr.State, RunID: pr.ID, OldState: old,
				NewState: pr.State, Reason: pr.Reason})
			if err := o.runEnded(pr.ID, pr.WorkflowID, pr.VersionID, old); err != nil {
				return err
			}
			if err := o.childEnded(pr.ParentTaskID, pr.ID, pr.State, pr.Reason); err != nil {
				return err
			}
			if pr.State == store.RunSucceeded {
				if err := heard.succeeded(o, pr.ID, pr.WorkflowID); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func taskEvent(t store.Task, a store.Attempt, state, reason string) store.NewEvent {
	return store.NewEvent{Kind: "task." + state, RunID: t.RunID, TaskID: t.ID, Task: t.Name,
		AttemptID: a.ID, WorkerID: a.WorkerID, OldState: store.TaskRunning, NewState: state, Reason: reason}
}

// set makes a lookup set of ids.
func set(ids []int64) map[int64]bool {
	m := make(map[int64]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}
