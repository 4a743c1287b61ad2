package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/baton-sched/baton/internal/egress"
	"github.com/baton-sched/baton/internal/kinds/wait"
	"github.com/baton-sched/baton/internal/store"
)

// WaitCheck configures one round of wait checks (CheckWaits).
type WaitCheck struct {
	// Limit is how many due waits one transaction takes (default
	// DefaultWaitBatch).
	Limit int
	// HTTPClient sends the requests of HTTP conditions; nil means a client
	// under the default egress policy (no private or loopback addresses).
	HTTPClient *http.Client
	// HTTPTimeout bounds each request (default 10 s); HTTPConcurrency is
	// how many are in flight at once (default 16).
	HTTPTimeout     time.Duration
	HTTPConcurrency int
}

// DefaultWaitBatch is how many due waits one check transaction takes.
const DefaultWaitBatch = 1000

func (c WaitCheck) withDefaults() WaitCheck {
	c.Limit = cmp.Or(c.Limit, DefaultWaitBatch)
	c.HTTPTimeout = cmp.Or(c.HTTPTimeout, 10*time.Second)
	c.HTTPConcurrency = cmp.Or(c.HTTPConcurrency, 16)
	if c.HTTPClient == nil {
		p, _ := egress.New(nil, nil)
		c.HTTPClient = p.Client()
	}
	return c
}

// WaitCheckResult counts what one CheckWaits did.
type WaitCheckResult struct {
	Due      int // waits taken, due for a check
	Met      int // conditions met: attempts succeeded
	TimedOut int // deadlines passed: attempts timed out (task failed, retried or skipped)
	Pushed   int // checked, not met: next check one interval on
	Dropped  int // attempt ended meanwhile (cancelled, say): row dropped
	HTTP     int // HTTP conditions checked
}

// CheckWaits checks the waits that are due, one batch (c.Limit), after a
// read that finds whether any is (an idle round costs that read): every
// workflow and time condition of the batch in the query that takes them;
// HTTP conditions after that transaction, at most c.HTTPConcurrency at
// once, and those met end in a second transaction. The caller loops while
// Due equals the limit.
func (e *Engine) CheckWaits(ctx context.Context, c WaitCheck) (WaitCheckResult, error) {
	c = c.withDefaults()
	var res WaitCheckResult
	var due bool
	err := e.store.Read(ctx, func(tx store.Tx) (err error) {
		due, err = tx.Waits().AnyDue(ctx)
		return err
	})
	if err != nil || !due {
		return res, err
	}
	var httpDue []store.DueWait
	err = e.inTx(ctx, waitActor, func(o *op) error {
		res, httpDue = WaitCheckResult{}, nil
		due, err := o.Waits().Due(o.ctx, int64(c.Limit))
		if err != nil {
			return err
		}
		res.Due = len(due)
		var push, drop []int64
		var fins []store.AttemptFinish
		skip := map[int64]bool{}
		for _, w := range due {
			switch {
			case w.AttemptState != store.AttemptRunning:
				drop = append(drop, w.AttemptID)
				res.Dropped++
			case w.Met:
				fins = append(fins, store.AttemptFinish{ID: w.AttemptID, State: store.AttemptSucceeded})
				drop = append(drop, w.AttemptID)
				res.Met++
			case w.Now >= w.Deadline:
				fins = append(fins, store.AttemptFinish{ID: w.AttemptID, State: store.AttemptTimedOut,
					Reason: fmt.Sprintf("the condition did not hold within the wait's timeout (%d checks)", w.Checks+1)})
				drop = append(drop, w.AttemptID)
				skip[w.AttemptID] = w.SkipOnTimeout
				res.TimedOut++
			default:
				if w.HTTP {
					httpDue = append(httpDue, w)
				}
				push = append(push, w.AttemptID)
				res.Pushed++
			}
		}
		if _, err := o.Waits().Push(o.ctx, push); err != nil {
			return err
		}
		if _, err := o.Waits().Delete(o.ctx, drop); err != nil {
			return err
		}
		return o.endWaits(fins, skip)
	})
	if err != nil {
		return res, fmt.Errorf("check waits: %w", err)
	}
	if len(httpDue) == 0 {
		return res, nil
	}
	met, err := e.checkHTTPWaits(ctx, c, httpDue)
	res.HTTP = len(httpDue)
	if err != nil {
		return res, fmt.Errorf("check waits over HTTP: %w", err)
	}
	res.Met += met
	res.Pushed -= met
	return res, nil
}

// endWaits ends the attempts of waits whose condition held or whose
// deadline passed, and settles their tasks through the normal transitions:
// success releases the downstream tasks, a timeout goes to the retry
// policy, or, with skip set for the attempt, skips the task.
func (o *op) endWaits(fins []store.AttemptFinish, skip map[int64]bool) error {
	if len(fins) == 0 {
		return nil
	}
	ended, err := o.Attempts().FinishMany(o.ctx, "", fins)
	if err != nil {
		return err
	}
	var settled, skipped []store.Attempt
	for _, a := range ended {
		o.record(store.NewEvent{Kind: "attempt." + a.State, RunID: a.RunID, TaskID: a.TaskID, Task: a.Task,
			AttemptID: a.ID, OldState: store.AttemptRunning, NewState: a.State, Reason: a.Reason})
		if skip[a.ID] {
			skipped = append(skipped, a)
		} else {
			settled = append(settled, a)
		}
	}
	if err := o.settle(settled, nil); err != nil {
		return err
	}
	return o.skipWaits(skipped)
}

// skipWaits skips the tasks of waits that timed out with on_timeout skip.
func (o *op) skipWaits(as []store.Attempt) error {
	if len(as) == 0 {
		return nil
	}
	taskIDs, runIDs := make([]int64, len(as)), make([]int64, len(as))
	for i, a := range as {
		taskIDs[i], runIDs[i] = a.TaskID, a.RunID
	}
	tasks, err := o.Tasks().GetMany(o.ctx, taskIDs)
	if err != nil {
		return err
	}
	scopes, err := o.runScopes(runIDs)
	if err != nil {
		return err
	}
	byID := make(map[int64]store.Task, len(tasks))
	for _, t := range tasks {
		byID[t.ID] = t
	}
	var wins []win
	for _, a := range as {
		t, ok := byID[a.TaskID]
		if !ok || t.State != store.TaskRunning || t.AttemptID != a.ID {
			continue
		}
		wins = append(wins, win{task: t, attempt: a, scope: scopes[a.RunID], state: store.TaskSkipped,
			reason: "wait timed out (on_timeout skip)"})
	}
	return o.succeed(wins)
}

// checkHTTPWaits renders the HTTP conditions of due waits (with the
// secrets their headers use), sends them outside any transaction and ends
// the attempts of those met; it returns how many.
func (e *Engine) checkHTTPWaits(ctx context.Context, c WaitCheck, due []store.DueWait) (int, error) {
	reqs := make(map[int64]*wait.HTTPRequest, len(due))
	err := e.store.Read(ctx, func(tx store.Tx) error {
		o := &op{Tx: tx, ctx: ctx, e: e}
		taskIDs, runIDs := make([]int64, len(due)), make([]int64, len(due))
		for i, w := range due {
			taskIDs[i], runIDs[i] = w.TaskID, w.RunID
		}
		tasks, err := o.Tasks().GetMany(ctx, taskIDs)
		if err != nil {
			return err
		}
		scopes, err := o.runScopes(runIDs)
		if err != nil {
			return err
		}
		for _, t := range tasks {
			rs, ok := scopes[t.RunID]
			if !ok || t.State != store.TaskRunning || t.AttemptID == 0 {
				continue
			}
			n := rs.plan.graph.Nodes[t.Idx]
			if b, ok := n.Spec.(*wait.Block); !ok || b.HTTP == nil {
				continue
			}
			p, _, err := o.renderKind(rs, n, t.Attempts)
			if err != nil {
				var re *renderError
				if errors.As(err, &re) {
					continue // a template that no longer renders: the deadline ends the wait
				}
				return err
			}
			if c, ok := p.Payload.(*wait.Condition); ok && c.HTTP != nil {
				reqs[t.AttemptID] = c.HTTP
			}
		}
		return nil
	})
	if err != nil || len(reqs) == 0 {
		return 0, err
	}
	met := checkAll(ctx, c.HTTPClient, c.HTTPTimeout, c.HTTPConcurrency, reqs)
	var fins []store.AttemptFinish
	var ids []int64
	for id, ok := range met {
		if ok {
			fins = append(fins, store.AttemptFinish{ID: id, State: store.AttemptSucceeded})
			ids = append(ids, id)
		}
	}
	if len(fins) == 0 {
		return 0, nil
	}
	err = e.inTx(ctx, waitActor, func(o *op) error {
		if _, err := o.Waits().Delete(o.ctx, ids); err != nil {
			return err
		}
		return o.endWaits(fins, nil)
	})
	if err != nil {
		return 0, err
	}
	return len(fins), nil
}
