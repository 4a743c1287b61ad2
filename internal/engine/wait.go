package engine

import (
	"fmt"

	"github.com/baton-sched/baton/internal/kinds/wait"
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/workflow"
)

// Wait tasks (sensors). A task with a `wait:` block queues in a group no
// worker serves (wait.Group); a server takes it like a worker
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
	started, _, err := startOwned(o, wait.Group, limit, o.renderWait)
	if err != nil {
		return 0, err
	}
	for _, st := range started {
		a := st.asg
		w := st.val.row
		w.AttemptID, w.TaskID, w.RunID = a.AttemptID, a.TaskID, a.RunID
		if err := o.Waits().Insert(o.ctx, w); err != nil {
			return 0, fmt.Errorf("insert wait of task %d: %w", a.TaskID, err)
		}
		o.record(store.NewEvent{Kind: "task.wait", RunID: a.RunID, TaskID: a.TaskID, Task: a.Task,
			AttemptID: a.AttemptID, Reason: st.val.describe})
	}
	return len(started), nil
}

// waitSpec is a wait rendered for one attempt: its row but for the IDs,
// and what it waits for, in words.
type waitSpec struct {
	row      store.NewWait
	describe string
}

// renderWait renders a wait task's condition for attempt number (the
// kind's Prepare). The HTTP condition is rendered here only to fail the
// task at once on a bad template; each check renders it again (its
// headers may hold secrets, which are never stored).
func (o *op) renderWait(rs *runScope, n workflow.Node, number int64) (waitSpec, error) {
	p, _, err := o.renderKind(rs, n, number)
	if err != nil {
		return waitSpec{}, err
	}
	c, ok := p.Payload.(*wait.Condition)
	if !ok {
		return waitSpec{}, fmt.Errorf("task %s has no wait block", n.Name)
	}
	row := store.NewWait{IntervalMs: c.Interval.Milliseconds(), TimeoutMs: c.Timeout.Milliseconds(),
		SkipOnTimeout: c.OnTimeout == wait.Skip, Workflow: c.Workflow, FromMs: c.FromMs, ToMs: c.ToMs,
		UntilMs: c.UntilMs, HTTP: c.HTTP != nil}
	return waitSpec{row: row, describe: c.Describe()}, nil
}

// wakeWaits makes the waits for the workflow of a run that just succeeded
// due at once (a cheap indexed update when none waits).
func (o *op) wakeWaits(runID int64) error {
	if _, err := o.Waits().Wake(o.ctx, runID); err != nil {
		return fmt.Errorf("wake the waits for run %d: %w", runID, err)
	}
	return nil
}
