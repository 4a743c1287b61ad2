package engine

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/baton-sched/baton/client/vocab"
	"github.com/baton-sched/baton/internal/kinds/approval"
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/workflow"
)

// Approval tasks. A task with an `approval:` block queues in a group no
// worker serves (workflow.ApprovalGroup); a server takes it like a
// sub-workflow task, and in the same transaction its attempt starts
// running, its rendered message and deadline are recorded (store
// Approvals) and event approval.requested is emitted (alert channels may
// subscribe to it). The attempt runs until a decision: a person with the
// operator role approves (the task succeeds, downstream tasks go on) or
// rejects (the task fails: the retry policy is NOT applied to a
// rejection, trigger rules are), or the timeout passes and the block's
// default applies (actor "system"). Each decision is a guarded update on
// the pending row, so of two concurrent ones exactly one wins; the loser
// gets ErrConflict. Ending the run (cancel, on_failure: stop, timeout)
// cancels its pending approvals.

// approvalActor starts approval attempts.
const approvalActor = "server:approvals"

// TimeoutActor is the actor of a decision the timeout took.
const TimeoutActor = "system"

// MaxApprovalNote bounds a decision's note, in bytes.
const MaxApprovalNote = 2048

// ErrNotWaiting: the task is not waiting for a decision (not an approval
// task, not running, or decided already). It wraps store.ErrConflict.
var ErrNotWaiting = fmt.Errorf("not waiting for a decision: %w", store.ErrConflict)

// Decision is a person's answer to an approval task.
type Decision struct {
	RunID int64
	Task  string
	// Decision is vocab.DecisionApprove or vocab.DecisionReject.
	Decision string
	Note     string
	// Actor is the authenticated principal (user:NAME, token:NAME).
	Actor string
}

// Decide applies a person's decision to the approval task Task of run
// RunID: ErrNotFound for an unknown run or task, an *InvalidError for a
// bad decision or note, ErrNotWaiting when the task waits for no
// decision (another one won).
func (e *Engine) Decide(ctx context.Context, d Decision) (store.Approval, error) {
	if d.Decision != vocab.DecisionApprove && d.Decision != vocab.DecisionReject {
		return store.Approval{}, invalid("decision: must be %s or %s, got %q", vocab.DecisionApprove,
			vocab.DecisionReject, clipString(d.Decision, 40))
	}
	if len(d.Note) > MaxApprovalNote {
		return store.Approval{}, invalid("note: %d bytes, at most %d allowed", len(d.Note), MaxApprovalNote)
	}
	if !utf8.ValidString(d.Note) {
		return store.Approval{}, invalid("note: not valid UTF-8")
	}
	var out store.Approval
	err := e.inTx(ctx, d.Actor, func(o *op) error {
		if _, err := o.Runs().Get(o.ctx, d.RunID); err != nil {
			return notFound(err, "run %d", d.RunID)
		}
		task, err := o.Tasks().ByName(o.ctx, d.RunID, d.Task)
		if err != nil {
			return notFound(err, "task %s of run %d", d.Task, d.RunID)
		}
		if task.State != store.TaskRunning || task.AttemptID == 0 {
			return fmt.Errorf("task %s is %s: %w", d.Task, task.State, ErrNotWaiting)
		}
		ap, err := o.Approvals().Get(o.ctx, task.AttemptID)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("task %s: %w", d.Task, ErrNotWaiting)
		}
		if err != nil {
			return err
		}
		var ok bool
		out, ok, err = o.decide(ap, d.Decision, d.Actor, d.Note, "")
		if err == nil && !ok {
			return fmt.Errorf("task %s was decided already: %w", d.Task, ErrNotWaiting)
		}
		return err
	})
	if err != nil {
		return store.Approval{}, fmt.Errorf("decide %s of run %d: %w", d.Task, d.RunID, err)
	}
	return out, nil
}

// Approvals lists up to limit approvals in state (empty: any), newest
// first.
func (e *Engine) Approvals(ctx context.Context, state string, limit int) ([]store.Approval, error) {
	var out []store.Approval
	err := e.store.Read(ctx, func(tx store.Tx) (err error) {
		out, err = tx.Approvals().List(ctx, state, int64(limit))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list approvals: %w", err)
	}
	return out, nil
}

// RunApprovals lists a run's approvals, oldest first.
func (e *Engine) RunApprovals(ctx context.Context, runID int64) ([]store.Approval, error) {
	var out []store.Approval
	err := e.store.Read(ctx, func(tx store.Tx) (err error) {
		out, err = tx.Approvals().ListRun(ctx, runID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list approvals of run %d: %w", runID, err)
	}
	return out, nil
}

// expireApprovals applies the default outcome of up to SweepBatch
// approvals whose timeout passed, and returns how many it found.
func (e *Engine) expireApprovals(ctx context.Context) (int, error) {
	var n int
	err := e.inTx(ctx, TimeoutActor, func(o *op) error {
		due, err := o.Approvals().Due(o.ctx, int64(e.cfg.SweepBatch))
		if err != nil {
			return err
		}
		n = len(due)
		for _, ap := range due {
			waited := time.Duration(ap.DeadlineAt-ap.RequestedAt) * time.Millisecond
			why := fmt.Sprintf("timeout: no decision within %v, default %s", waited, ap.Outcome)
			if _, _, err := o.decide(ap, ap.Outcome, TimeoutActor, "", why); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}

// decide moves a pending approval to decision's state and ends its
// attempt: approved succeeds the task, rejected fails it without retry.
// why, when set, says the timeout decided. It reports false when the
// approval or its attempt was no longer pending (nothing changed that
// the caller must keep: a person's decision rolls back).
func (o *op) decide(ap store.Approval, decision, actor, note, why string) (store.Approval, bool, error) {
	state, attemptState, kind := vocab.ApprovalApproved, store.AttemptSucceeded, vocab.EventApprovalApproved
	if decision != vocab.DecisionApprove {
		state, attemptState, kind = vocab.ApprovalRejected, store.AttemptFailed, vocab.EventApprovalRejected
	}
	got, ok, err := o.Approvals().Decide(o.ctx, ap.AttemptID, state, actor, note)
	if err != nil || !ok {
		return store.Approval{}, false, err
	}
	reason := state + " by " + actor
	switch {
	case why != "":
		reason = why
	case note != "":
		reason += ": " + note
	}
	ended, err := o.Attempts().FinishMany(o.ctx, "", []store.AttemptFinish{{ID: ap.AttemptID, State: attemptState,
		Reason: reason}})
	if err != nil || len(ended) == 0 {
		return store.Approval{}, false, err
	}
	o.record(store.NewEvent{Kind: kind, Actor: actor, RunID: ap.RunID, TaskID: ap.TaskID, Task: ap.Task,
		AttemptID: ap.AttemptID, OldState: vocab.ApprovalPending, NewState: state, Reason: reason})
	a := ended[0]
	o.record(store.NewEvent{Kind: "attempt." + a.State, Actor: actor, RunID: a.RunID, TaskID: a.TaskID, Task: a.Task,
		AttemptID: a.ID, OldState: store.AttemptRunning, NewState: a.State, Reason: reason})
	if state == vocab.ApprovalApproved {
		return got, true, o.settle(ended, map[int64]map[string]string{a.ID: {"decided_by": actor, "note": note}})
	}
	// A rejection is a person's answer, not a fault: no retry.
	task, err := o.Tasks().Get(o.ctx, a.TaskID)
	if err != nil {
		return store.Approval{}, false, err
	}
	if task.State != store.TaskRunning || task.AttemptID != a.ID {
		return got, true, nil
	}
	if task.Slot != "" {
		o.NotifyWork()
	}
	scopes, err := o.runScopes([]int64{a.RunID})
	if err != nil {
		return store.Approval{}, false, err
	}
	return got, true, o.failRunning(scopes[a.RunID], task, a, reason)
}

// startApprovals starts up to limit ready approval tasks: each attempt
// runs at once, owned by the servers, and waits for a decision.
func (o *op) startApprovals(limit int) (int, error) {
	started, scopes, err := startOwned(o, approval.Group, limit, o.renderApproval)
	if err != nil {
		return 0, err
	}
	for _, st := range started {
		a, msg := st.asg, st.val
		b := approvalBlock(scopes[a.RunID].plan.graph.Nodes[st.cand.Idx])
		ap, err := o.Approvals().Insert(o.ctx, store.NewApproval{AttemptID: a.AttemptID, RunID: a.RunID,
			TaskID: a.TaskID, Task: a.Task, Workflow: a.Workflow, Message: msg, Outcome: b.Default,
			TimeoutMs: b.Timeout.Std().Milliseconds()})
		if err != nil {
			return 0, err
		}
		reason := msg
		if ap.DeadlineAt > 0 {
			reason += fmt.Sprintf(" (default %s after %v)", ap.Outcome, b.Timeout.Std())
		}
		o.record(store.NewEvent{Kind: vocab.EventApprovalRequested, RunID: a.RunID, TaskID: a.TaskID, Task: a.Task,
			AttemptID: a.AttemptID, NewState: vocab.ApprovalPending, Reason: reason})
	}
	return len(started), nil
}

// approvalBlock is an approval task's block (empty for another task).
func approvalBlock(n workflow.Node) *approval.Block {
	if b, ok := n.Spec.(*approval.Block); ok {
		return b
	}
	return &approval.Block{}
}

// renderApproval expands an approval task's message for attempt number.
func (o *op) renderApproval(rs *runScope, n workflow.Node, number int64) (string, error) {
	p, _, err := o.renderKind(rs, n, number)
	if err != nil {
		return "", err
	}
	msg, ok := p.Payload.(string)
	if !ok {
		return "", &renderError{errors.New("approval: the task has no approval block")}
	}
	return clipString(msg, approval.MaxMessage*4), nil
}

// clipString cuts s to at most n bytes, on a character boundary.
func clipString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
