package engine

import (
	"fmt"
	"strings"
	"time"

	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/workflow"
)

// Wait tasks (sensors). A task with a `wait:` block queues in a group no
// worker serves (workflow.WaitGroup); a server takes it like a worker
// would and, in the same transaction, its attempt starts running, owned by
// the servers, and a task_waits row records the rendered condition, the
// interval, the next check and the deadline. Every server then checks the
// due waits (waitcheck.go): all workflow and time conditions of a batch in
// one query, HTTP conditions outside any transaction. A met condition ends
// the attempt succeeded; a deadline passed ends it timed_out (the retry
// policy applies) or skips the task (on_timeout: skip); otherwise the next
// check moves one interval on. The row is the whole state: a server that
// dies mid-check loses nothing, another checks the row when it is due. A
// cancelled run cancels the attempt like any other, and the next check
// drops its row. The sweep never loses a wait's attempt: it has no worker.

// waitActor starts and checks wait tasks.
const waitActor = "server:waits"

func (o *op) startWaits(limit int) (int, error) {
	cands, room, scopes, err := o.offer(store.CandidateFilter{Group: workflow.WaitGroup,
		WorkerLabels: "{}", Limit: int64(limit)})
	if err != nil {
		return 0, err
	}
	var picks []pick
	var waits []waitSpec
	for _, c := range cands {
		if c.Slot != "" && room[c.Slot] <= 0 {
			continue
		}
		rs := scopes[c.RunID]
		ws, err := o.renderWait(rs, rs.plan.graph.Nodes[c.Idx], c.Attempts+1)
		if ok, err := o.failUnrenderable(rs, c, err); !ok || err != nil {
			if err != nil {
				return 0, err
			}
			continue
		}
		if c.Slot != "" {
			room[c.Slot]--
		}
		picks = append(picks, pick{cand: c, asg: Assignment{Number: c.Attempts + 1, RunID: c.RunID,
			TaskID: c.ID, Task: c.Name, Workflow: rs.run.Workflow}})
		waits = append(waits, ws)
	}
	asgs, err := o.dispatch(picks, scopes, store.Worker{})
	if err != nil {
		return 0, err
	}
	ids := make([]int64, len(asgs))
	for i, a := range asgs {
		ids[i] = a.AttemptID
	}
	if _, err := o.Attempts().StartMany(o.ctx, ids, ""); err != nil {
		return 0, err
	}
	for i, a := range asgs {
		w := waits[i].row
		w.AttemptID, w.TaskID, w.RunID = a.AttemptID, a.TaskID, a.RunID
		if err := o.Waits().Insert(o.ctx, w); err != nil {
			return 0, fmt.Errorf("insert wait of task %d: %w", a.TaskID, err)
		}
		o.record(store.NewEvent{Kind: "task.wait", RunID: a.RunID, TaskID: a.TaskID, Task: a.Task,
			AttemptID: a.AttemptID, Reason: waits[i].describe})
	}
	return len(asgs), nil
}

// waitSpec is a wait rendered for one attempt: its row but for the IDs,
// and what it waits for, in words.
type waitSpec struct {
	row      store.NewWait
	describe string
}

// renderWait renders a wait task's condition for attempt number. The
// HTTP condition is rendered here only to fail the task at once on a bad
// template; each check renders it again (its headers may hold secrets,
// which are never stored).
func (o *op) renderWait(rs *runScope, n workflow.Node, number int64) (waitSpec, error) {
	w := n.Wait
	if w == nil {
		return waitSpec{}, fmt.Errorf("task %s has no wait block", n.Name)
	}
	interval, timeout := w.EffectiveInterval(), w.EffectiveTimeout()
	ws := waitSpec{row: store.NewWait{IntervalMs: interval.Milliseconds(), TimeoutMs: timeout.Milliseconds(),
		SkipOnTimeout: w.OnTimeout == workflow.WaitSkip}}
	scope, err := o.scope(rs, n, number)
	if err != nil {
		return waitSpec{}, err
	}
	var what string
	switch {
	case w.Workflow != "":
		date, err := workflow.Render(w.EffectiveLogicalDate(), scope)
		if err != nil {
			return waitSpec{}, &renderError{fmt.Errorf("wait.logical_date: %w", err)}
		}
		from, to, err := workflow.LogicalWindow(date)
		if err != nil {
			return waitSpec{}, &renderError{fmt.Errorf("wait.logical_date: %w", err)}
		}
		ws.row.Workflow, ws.row.FromMs, ws.row.ToMs = w.Workflow, from, to
		what = fmt.Sprintf("a run of %s for %s to succeed", w.Workflow, strings.TrimSpace(date))
	case w.Until != "":
		until, err := workflow.Render(w.Until, scope)
		if err != nil {
			return waitSpec{}, &renderError{fmt.Errorf("wait.until: %w", err)}
		}
		t, err := time.Parse(time.RFC3339, strings.TrimSpace(until))
		if err != nil {
			return waitSpec{}, &renderError{fmt.Errorf("wait.until: not an RFC 3339 time: %q", until)}
		}
		ws.row.UntilMs = max(t.UnixMilli(), 1)
		what = "the time " + t.UTC().Format(time.RFC3339)
	case w.HTTP != nil:
		req, err := renderWaitHTTP(w.HTTP, scope)
		if err != nil {
			return waitSpec{}, err
		}
		ws.row.HTTP = true
		what = "an answer from " + redactURL(req.URL)
	}
	onTimeout := workflow.WaitFail
	if ws.row.SkipOnTimeout {
		onTimeout = workflow.WaitSkip
	}
	ws.describe = fmt.Sprintf("waiting for %s (checked every %s, timeout %s, then %s)",
		what, interval, timeout, onTimeout)
	return ws, nil
}

// wakeWaits makes the waits for the workflow of a run that just succeeded
// due at once (a cheap indexed update when none waits).
func (o *op) wakeWaits(runID int64, state string) error {
	if state != store.RunSucceeded {
		return nil
	}
	if _, err := o.Waits().Wake(o.ctx, runID); err != nil {
		return fmt.Errorf("wake the waits for run %d: %w", runID, err)
	}
	return nil
}
