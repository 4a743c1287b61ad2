package engine

import (
	"cmp"
	"errors"
	"fmt"
)

// Limits bound the work one request may ask of the servers, so that no
// request holds the database long enough to starve lease renewals. Zero
// fields take the defaults.
type Limits struct {
	// MaxTasksPerWorkflow bounds the tasks of one workflow definition
	// (default 5000); apply refuses a larger one.
	MaxTasksPerWorkflow int
	// MaxRunsPerBatch bounds the runs of one batch start (default 100, at
	// most MaxStartBatch).
	MaxRunsPerBatch int
	// MaxRowsPerTx bounds the rows a run start writes in one transaction
	// (default 20000, on SQLite 5000): a larger start is split into
	// transactions of whole runs, each under the bound.
	MaxRowsPerTx int
}

// Defaults of Limits.
const (
	DefaultMaxTasksPerWorkflow = 5000
	DefaultMaxRunsPerBatch     = 100
	DefaultMaxRowsPerTx        = 20000
	DefaultMaxRowsPerTxSQLite  = 5000
)

func (l Limits) withDefaults() Limits {
	l.MaxTasksPerWorkflow = cmp.Or(l.MaxTasksPerWorkflow, DefaultMaxTasksPerWorkflow)
	l.MaxRunsPerBatch = min(cmp.Or(l.MaxRunsPerBatch, DefaultMaxRunsPerBatch), MaxStartBatch)
	l.MaxRowsPerTx = cmp.Or(l.MaxRowsPerTx, DefaultMaxRowsPerTx)
	return l
}

// ErrLimit: the request asks for more than a limit allows; nothing was
// stored. The error's text names the limit.
var ErrLimit = errors.New("over a limit")

// LimitError is a request over one of the Limits.
type LimitError struct {
	Limit string // the configuration key, e.g. max_runs_per_batch
	Max   int64
	Got   int64
	What  string // what was counted, e.g. "runs in one request"
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("%d %s, more than %s (%d): nothing was stored", e.Got, e.What, e.Limit, e.Max)
}

// Is makes errors.Is(err, ErrLimit) hold.
func (e *LimitError) Is(target error) bool { return target == ErrLimit }

// rowsOf is the rows a run start writes, about: the run and its tasks.
func rowsOf(tasks int) int { return tasks + 1 }

// errSplit: a start writes more than MaxRowsPerTx rows; it is started in
// chunks instead (see StartRuns). Nothing was written.
type errSplit struct{ tasks []int } // tasks of each request's new run, 0 for none

func (e *errSplit) Error() string { return "start too large for one transaction" }

// chunks splits reqs into consecutive groups of at most maxRows rows each
// (a run larger than that alone), by the tasks of each request's run.
func chunks(tasks []int, maxRows int) [][2]int {
	var out [][2]int
	start, rows := 0, 0
	for i, n := range tasks {
		r := rowsOf(n)
		if n == 0 {
			r = 0
		}
		if i > start && rows+r > maxRows {
			out = append(out, [2]int{start, i})
			start, rows = i, 0
		}
		rows += r
	}
	return append(out, [2]int{start, len(tasks)})
}
