package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/workflow"
)

// Retention: finished runs past their workflow's age are deleted with
// everything recorded of them, and audit events not tied to a run past
// theirs. Each call below is one short transaction over a bounded number
// of runs or events; a loop calls them in turn (server.Retainer). They are
// safe to run on every server at once: the runs a batch deletes are
// locked first (Postgres: rows another server holds are skipped), and
// every delete is guarded by the run's state, so a run a rerun moved on
// stays.

// RetentionRule is how long a workflow's finished runs are kept.
type RetentionRule struct {
	WorkflowID int64
	// Age is the workflow's own retention, else the servers' default;
	// zero keeps its runs forever.
	Age time.Duration
}

// RetentionRules returns the rule of every workflow, deleted ones
// included: the retention its latest version sets, else def.
func (e *Engine) RetentionRules(ctx context.Context, def time.Duration) ([]RetentionRule, error) {
	ctx, cancel := context.WithTimeout(ctx, e.cfg.TxTimeout)
	defer cancel()
	var rows []store.RetentionRule
	err := e.store.Read(ctx, func(tx store.Tx) (err error) {
		rows, err = tx.Retention().Rules(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("retention rules: %w", err)
	}
	out := make([]RetentionRule, 0, len(rows))
	for _, r := range rows {
		age := def
		if r.Retention != "" {
			d, err := workflow.ParseDuration(r.Retention)
			if err != nil {
				// Apply validated it: a stored value that does not parse
				// keeps the runs, the safe side.
				e.log.Warn("retention: workflow has an invalid retention; its runs are kept",
					"workflow_id", r.ID, "retention", r.Retention, "err", err)
				d = 0
			}
			age = d.Std()
		}
		out = append(out, RetentionRule{WorkflowID: r.ID, Age: age})
	}
	return out, nil
}

// RetentionCursor is where the next batch of a workflow's expired runs
// starts: after the run created at CreatedAt with ID RunID.
type RetentionCursor struct {
	CreatedAt, RunID int64
}

// RetentionBatch is what one DeleteExpiredRuns did.
type RetentionBatch struct {
	// Deleted counts the rows deleted, sub-workflow runs included.
	Deleted store.RetentionDeleted
	// Examined is how many expired runs the batch looked at: fewer than
	// the limit means there were no more.
	Examined int
	// Kept counts expired runs left alone because a sub-workflow run
	// they started is still active.
	Kept int
	// Next is the cursor of the following batch.
	Next RetentionCursor
}

// Rows is the number of rows the batch deleted.
func (b RetentionBatch) Rows() int64 {
	d := b.Deleted
	return d.Runs + d.Tasks + d.Attempts + d.Events + d.Logs
}

// errRunMoved rolls back a batch in which a run was no longer finished
// when deleted: it cannot happen while the runs are locked, and nothing
// half-deleted may stay if it ever does.
var errRunMoved = errors.New("a run changed state while it was deleted")

// maxRunDepth bounds how deep sub-workflow runs are followed; runs nest
// as deep as workflows call each other, far less than this.
const maxRunDepth = 64

// DeleteExpiredRuns deletes, in one transaction, up to limit finished runs
// of a workflow that finished more than age ago, after the cursor, in the
// order they were created, each with the sub-workflow runs its tasks
// started (at any depth: they go with their parent's age), and everything
// recorded of them: tasks with their outputs and checkpoints, attempts,
// events, logs. A run with a sub-workflow run still active is kept, with
// that run's whole tree.
func (e *Engine) DeleteExpiredRuns(ctx context.Context, workflowID int64, age time.Duration,
	after RetentionCursor, limit int) (RetentionBatch, error) {
	if age <= 0 || limit <= 0 {
		return RetentionBatch{Next: after}, nil
	}
	var out RetentionBatch
	err := e.inTx(ctx, "server:retention", func(o *op) error {
		out = RetentionBatch{Next: after}
		runs, err := o.Retention().ExpiredRuns(o.ctx, store.ExpiredRunFilter{
			WorkflowID: workflowID, AgeMs: age.Milliseconds(),
			AfterAt: after.CreatedAt, AfterID: after.RunID, Limit: int64(limit)})
		if err != nil || len(runs) == 0 {
			return err
		}
		out.Examined = len(runs)
		last := runs[len(runs)-1]
		out.Next = RetentionCursor{CreatedAt: last.CreatedAt, RunID: last.ID}
		ids, kept, err := o.runTrees(runs)
		if err != nil {
			return err
		}
		out.Kept = kept
		if out.Deleted, err = o.Retention().DeleteRuns(o.ctx, ids); err != nil {
			return err
		}
		if out.Deleted.Runs != int64(len(ids)) {
			return errRunMoved
		}
		return nil
	})
	if err != nil {
		return RetentionBatch{Next: after}, fmt.Errorf("delete expired runs of workflow %d: %w", workflowID, err)
	}
	return out, nil
}

// runTrees returns the runs to delete, the roots with every run below
// them, leaving out each root with an active run in its tree, and how
// many roots it left out. It locks the runs below the roots.
func (o *op) runTrees(roots []store.ExpiredRun) (ids []int64, kept int, err error) {
	rootOf := make(map[int64]int64, len(roots))
	frontier := make([]int64, 0, len(roots))
	for _, r := range roots {
		rootOf[r.ID] = r.ID
		frontier = append(frontier, r.ID)
	}
	all := append([]int64(nil), frontier...)
	active := map[int64]bool{}
	for depth := 0; len(frontier) > 0; depth++ {
		if depth == maxRunDepth {
			return nil, 0, fmt.Errorf("sub-workflow runs nested deeper than %d", maxRunDepth)
		}
		children, err := o.Retention().Children(o.ctx, frontier)
		if err != nil {
			return nil, 0, err
		}
		frontier = frontier[:0]
		for _, c := range children {
			if _, seen := rootOf[c.ID]; seen {
				continue
			}
			root := rootOf[c.ParentRunID]
			rootOf[c.ID] = root
			if !store.RunTerminal(c.State) {
				active[root] = true
			}
			frontier = append(frontier, c.ID)
			all = append(all, c.ID)
		}
	}
	for _, id := range all {
		if !active[rootOf[id]] {
			ids = append(ids, id)
		}
	}
	return ids, len(active), nil
}

// DeleteExpiredAudit deletes, in one transaction, up to limit events not
// tied to a run (operator actions, worker and zone events) older than
// age, oldest first, and returns how many it deleted.
func (e *Engine) DeleteExpiredAudit(ctx context.Context, age time.Duration, limit int) (int64, error) {
	return e.deleteExpired(ctx, "audit events", age, limit, store.Retention.DeleteAudit)
}

// DeleteExpiredStartRecords deletes, in one transaction, up to limit
// start requests recorded under an Idempotency-Key more than age ago,
// oldest first, and returns how many it deleted: a repeat of one of those
// requests starts its runs again.
func (e *Engine) DeleteExpiredStartRecords(ctx context.Context, age time.Duration, limit int) (int64, error) {
	return e.deleteExpired(ctx, "request keys", age, limit, store.Retention.DeleteStartRecords)
}

// deleteExpired deletes up to limit rows older than age with del, in one
// transaction.
func (e *Engine) deleteExpired(ctx context.Context, what string, age time.Duration, limit int,
	del func(r store.Retention, ctx context.Context, ageMs, limit int64) (int64, error)) (int64, error) {
	if age <= 0 || limit <= 0 {
		return 0, nil
	}
	var n int64
	err := e.inTx(ctx, "server:retention", func(o *op) (err error) {
		n, err = del(o.Retention(), o.ctx, age.Milliseconds(), int64(limit))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("delete expired %s: %w", what, err)
	}
	return n, nil
}
