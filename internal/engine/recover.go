package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/workflow"
)

// ErrRunActive: a recovery asked of a run that has not finished.
var ErrRunActive = errors.New("run has not finished")

// Recovery says what a person recovers in a finished run. Exactly one of
// Failed, From and Mark is set.
type Recovery struct {
	// Failed runs again every failed, cancelled and upstream_failed task;
	// succeeded and skipped tasks keep their state and outputs and are not
	// executed (DolphinScheduler's "recover from failed task").
	Failed bool
	// From runs again the named task and every task downstream of it,
	// whatever their state.
	From string
	// Mark ends the named task (failed, cancelled or upstream_failed) in
	// MarkState, succeeded or skipped, so that the tasks downstream of it
	// that did not run, run.
	Mark      string
	MarkState string
	// Latest and Params rerun the run as a new run, on the workflow's
	// latest version and/or with these params over the run's own (see
	// rerunAsNew); with Failed or From, not Mark.
	Latest bool
	Params map[string]string
	Reason string
	Actor  string
}

// Recovered is the run after a recovery, and the tasks that will run again.
type Recovered struct {
	Run   store.Run
	Rerun []string
	// RerunOf is the run a rerun as a new run reran (0 when the run itself
	// runs again); Carried names the tasks carried into the new run, as
	// they ended there; Dropped the old run's tasks the version no longer
	// has.
	RerunOf int64
	Carried []string
	Dropped []string
}

// RecoverRun applies a recovery to a finished run, in one transaction: the
// tasks chosen go back to pending (queued when their upstream are all
// done), tasks downstream of a task still failed stay upstream_failed, and
// the run runs again (or, if nothing is left to run, ends anew).
func (e *Engine) RecoverRun(ctx context.Context, runID int64, r Recovery) (Recovered, error) {
	if n := btoi(r.Failed) + btoi(r.From != "") + btoi(r.Mark != ""); n != 1 {
		return Recovered{}, invalid("recovery: give exactly one of failed, from and mark")
	}
	if r.Mark != "" && r.MarkState != store.TaskSucceeded && r.MarkState != store.TaskSkipped {
		return Recovered{}, invalid("state: %q: a task is marked succeeded or skipped", r.MarkState)
	}
	asNew := r.Latest || len(r.Params) > 0
	if asNew && r.Mark != "" {
		return Recovered{}, invalid("recovery: a mark cannot also change the version or the params")
	}
	var out Recovered
	err := e.inTx(ctx, r.Actor, func(o *op) error {
		var err error
		if asNew {
			out, err = o.rerunAsNew(runID, r)
		} else {
			out, err = o.recoverRun(runID, r)
		}
		return err
	})
	if err != nil {
		return Recovered{}, fmt.Errorf("recover run %d: %w", runID, err)
	}
	return out, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (o *op) recoverRun(runID int64, r Recovery) (Recovered, error) {
	scopes, err := o.runScopes([]int64{runID})
	if err != nil {
		return Recovered{}, err
	}
	rs := scopes[runID]
	if rs == nil {
		return Recovered{}, fmt.Errorf("run %d: %w", runID, ErrNotFound)
	}
	if !store.RunTerminal(rs.run.State) {
		return Recovered{}, fmt.Errorf("run %d is %s: %w", runID, rs.run.State, ErrRunActive)
	}
	tasks, err := o.Tasks().ListRun(o.ctx, runID)
	if err != nil {
		return Recovered{}, err
	}
	if len(tasks) == 0 {
		// Retention deleted its tasks after this transaction read the
		// run (PostgreSQL reads each statement's own snapshot): the run
		// goes next.
		return Recovered{}, fmt.Errorf("run %d is being deleted by retention: %w", runID, ErrNotFound)
	}
	if len(tasks) != len(rs.plan.graph.Nodes) {
		return Recovered{}, fmt.Errorf("run %d has %d tasks, its plan %d", runID, len(tasks), len(rs.plan.graph.Nodes))
	}
	byName := func(name string) (store.Task, error) {
		for _, t := range tasks {
			if t.Name == name {
				return t, nil
			}
		}
		return store.Task{}, fmt.Errorf("task %q of run %d: %w", name, runID, ErrNotFound)
	}
	// Which tasks run again (by index), and the new state of each task.
	again := map[int64]bool{}
	states := make([]string, len(tasks))
	for i, t := range tasks {
		states[i] = t.State
	}
	what := ""
	switch {
	case r.Failed:
		what = "rerun from failed"
		for _, t := range tasks {
			if failedState(t.State) {
				again[t.Idx] = true
			}
		}
	case r.From != "":
		t, err := byName(r.From)
		if err != nil {
			return Recovered{}, err
		}
		what = "rerun from " + t.Name
		again[t.Idx] = true
		for _, d := range rs.plan.descendants[t.Idx] {
			again[d] = true
		}
	default:
		t, err := byName(r.Mark)
		if err != nil {
			return Recovered{}, err
		}
		if !failedState(t.State) {
			return Recovered{}, invalid("task: %s is %s: only a failed, cancelled or upstream_failed task is marked",
				t.Name, t.State)
		}
		what = "mark " + t.Name + " " + r.MarkState
		states[t.Idx] = r.MarkState
		for _, d := range rs.plan.descendants[t.Idx] {
			if failedState(tasks[d].State) && tasks[d].State != store.TaskFailed {
				again[d] = true // did not run because of it: runs now
			}
		}
	}
	reason := what + " by " + o.actor
	if r.Reason != "" {
		reason += ": " + r.Reason
	}
	// In topological order, each task run again gets the state its
	// trigger rule gives it from how its upstream stand now.
	needs, needsFailed := make([]int64, len(tasks)), make([]int64, len(tasks))
	for _, n := range rs.plan.graph.Nodes {
		if !again[int64(n.Index)] {
			continue
		}
		var done, failed int64
		for _, u := range n.Upstream {
			switch {
			case states[u] == store.TaskSucceeded || states[u] == store.TaskSkipped:
				done++
			case failedState(states[u]):
				failed++
			}
		}
		states[n.Index], needs[n.Index], needsFailed[n.Index] = ruleState(n, done, failed), done, failed
	}
	out := Recovered{}
	var left, failed int64
	for i, t := range tasks {
		switch states[i] {
		case store.TaskPending, store.TaskQueued:
			left++
			out.Rerun = append(out.Rerun, t.Name)
		case store.TaskFailed:
			failed++
		}
		if states[i] == t.State && !again[t.Idx] {
			continue
		}
		ok, err := o.Tasks().Recover(o.ctx, store.TaskRecovery{State: states[i], Reason: reason, NeedsDone: needs[i],
			NeedsFailed: needsFailed[i], ID: t.ID, FromState: t.State})
		if err != nil {
			return Recovered{}, err
		}
		if !ok {
			return Recovered{}, fmt.Errorf("task %s of run %d changed meanwhile: %w", t.Name, runID, store.ErrConflict)
		}
		o.record(store.NewEvent{Kind: "task." + states[i], RunID: runID, TaskID: t.ID, Task: t.Name,
			OldState: t.State, NewState: states[i], Reason: reason})
	}
	if left == 0 && r.Mark == "" {
		return Recovered{}, invalid("run %d: nothing to run again (%s)", runID, what)
	}
	rec := store.RunRecovery{ID: runID, State: store.RunRunning, TasksLeft: left, TasksFailed: failed}
	if left == 0 {
		rec.State = store.RunSucceeded
		if failed > 0 {
			rec.State, rec.Reason = store.RunFailed, fmt.Sprintf("%d task(s) failed", failed)
		}
	}
	if ok, err := o.Runs().Recover(o.ctx, rec); err != nil || !ok {
		return Recovered{}, cmpErr(err, fmt.Errorf("run %d changed meanwhile: %w", runID, store.ErrConflict))
	}
	o.record(store.NewEvent{Kind: "run." + rec.State, RunID: runID, OldState: rs.run.State, NewState: rec.State,
		Reason: reason})
	if rec.State == store.RunSucceeded { // marked so: its triggers fire, once per run as ever
		if err := o.runSucceeded(runID); err != nil {
			return Recovered{}, err
		}
	}
	if rec.State == store.RunRunning { // a new deadline and a place for the new go
		if err := o.setDeadline(runID, rs.plan); err != nil {
			return Recovered{}, err
		}
		if _, err := o.limitRun(rs.run, rs.plan); err != nil {
			return Recovered{}, err
		}
	}
	if slices.Contains(states, store.TaskQueued) {
		o.NotifyWork()
	}
	run, err := o.Runs().Get(o.ctx, runID)
	out.Run = run
	return out, err
}

// ruleState is the state of a task about to run again whose upstream
// stand at done succeeded (or skipped) and failed without success, by its
// trigger rule.
func ruleState(n workflow.Node, done, failed int64) string {
	all := int64(len(n.Upstream))
	switch {
	case n.TriggerRule == workflow.RuleAllDone:
		if done+failed == all {
			return store.TaskQueued
		}
	case n.TriggerRule == workflow.RuleOneFailed:
		if failed > 0 {
			return store.TaskQueued
		}
		if done == all {
			return store.TaskSkipped
		}
	case failed > 0:
		return store.TaskUpstreamFailed
	case done == all:
		return store.TaskQueued
	}
	return store.TaskPending
}

// failedState reports whether a task ended without success: failed,
// cancelled or upstream_failed.
func failedState(s string) bool {
	return s == store.TaskFailed || s == store.TaskCancelled || s == store.TaskUpstreamFailed
}

// cmpErr returns err if it is not nil, else alt.
func cmpErr(err, alt error) error {
	if err != nil {
		return err
	}
	return alt
}
