package bench

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/worker"
)

// The latency split times the stages of dispatch apart: the database's
// stamps (a task's ready_at, its attempt's dispatched_at and started_at,
// each its transaction's start, in ms) and the workers' (Config.Trace, on
// the same machine's clock), per attempt:
//
//	ready      → claim began    ready_at → dispatched_at: the run's start
//	                             commits, a claim wakes up, passes the gate
//	claim began → received      the claim's transaction, its answer
//	received   → start queued   the worker starts the attempt
//	queued     → report sent    the report waits for the batch before it
//	sent       → running        the report's request, its gate wait, BEGIN
//
// The stages add up to the dispatch latency (ready_at → started_at). One
// more, after the attempt is running, is shown beside them: running →
// the report's answer (its transaction and the way back), which the next
// batch of the same worker waits for.

// splitStages names the stages, in order.
var splitStages = []string{"ready → claim began", "claim began → received", "received → start queued",
	"start queued → report sent", "report sent → running", "(after) running → report answered"}

// StageSplit is one stage of dispatch at half peak: its own distribution,
// and its mean over the slowest 1% of attempts (whose dispatch took at
// least the p99): where the tail's time goes.
type StageSplit struct {
	Stage    string        `json:"stage"`
	P50      time.Duration `json:"p50_ns"`
	P99      time.Duration `json:"p99_ns"`
	TailMean time.Duration `json:"tail_mean_ns"`
}

// gateWaits is the mean wait for the write gate per class between two
// snapshots of the engine's metrics, for the classes that waited.
func gateWaits(before, after map[string]engine.Histogram) map[string]time.Duration {
	out := map[string]time.Duration{}
	for class, h := range after {
		n, sum := h.Count-before[class].Count, h.Sum-before[class].Sum
		if n > 0 {
			out[class] = time.Duration(sum / float64(n) * float64(time.Second))
		}
	}
	return out
}

// tracer records when attempts pass the workers' stages, while on.
type tracer struct {
	mu    sync.Mutex
	on    bool
	times map[int64]*[4]int64 // per attempt, per worker.Stage: unix ns, first time
}

func (t *tracer) trace(stage worker.Stage, attemptID int64) {
	now := time.Now().UnixNano()
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.on || int(stage) >= 4 {
		return
	}
	ts := t.times[attemptID]
	if ts == nil {
		ts = new([4]int64)
		t.times[attemptID] = ts
	}
	if ts[stage] == 0 {
		ts[stage] = now
	}
}

// start clears what was recorded and records from now on.
func (t *tracer) start() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.on, t.times = true, map[int64]*[4]int64{}
}

// stop ends the recording and returns it.
func (t *tracer) stop() map[int64]*[4]int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.on = false
	return t.times
}

// split computes the stages of the first attempts of runs first..last from
// the database's stamps and the workers' times.
func (e *env) split(ctx context.Context, first, last int64, times map[int64]*[4]int64) ([]StageSplit, error) {
	q := fmt.Sprintf(`SELECT a.id, t.ready_at, a.dispatched_at, a.started_at
		FROM attempts a JOIN tasks t ON t.id = a.task_id
		WHERE a.run_id >= %d AND a.run_id <= %d AND a.number = 1 AND a.started_at > 0`, first, last)
	var rows []stampRow
	scan := func(next func() bool, sc func(...any) error) error {
		for next() {
			var r stampRow
			if err := sc(&r.id, &r.ready, &r.dispatched, &r.started); err != nil {
				return err
			}
			rows = append(rows, r)
		}
		return nil
	}
	if e.db.dialect == "sqlite" {
		sdb, err := openSQLite(e.db.dsn)
		if err != nil {
			return nil, err
		}
		defer sdb.Close()
		rs, err := sdb.QueryContext(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("latency split: %w", err)
		}
		defer rs.Close()
		if err := scan(rs.Next, rs.Scan); err != nil {
			return nil, err
		}
		if err := rs.Err(); err != nil {
			return nil, err
		}
	} else {
		conn, err := pgx.Connect(ctx, e.db.dsn)
		if err != nil {
			return nil, err
		}
		defer conn.Close(context.WithoutCancel(ctx))
		rs, err := conn.Query(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("latency split: %w", err)
		}
		defer rs.Close()
		if err := scan(rs.Next, rs.Scan); err != nil {
			return nil, err
		}
		if err := rs.Err(); err != nil {
			return nil, err
		}
	}
	return splitOf(rows, times), nil
}

// stampRow is an attempt's stamps in the database, in ms.
type stampRow struct{ id, ready, dispatched, started int64 }

// splitOf computes the stages of the attempts of rows that the workers'
// times (unix ns per worker.Stage) traced through every stage.
func splitOf(rows []stampRow, times map[int64]*[4]int64) []StageSplit {
	// Per attempt traced through every stage: the stage ends in ms.
	type traced struct {
		total  int64
		stages [6]float64
	}
	var all []traced
	for _, r := range rows {
		ts := times[r.id]
		if ts == nil || slices.Contains(ts[:], 0) {
			continue
		}
		ms := func(ns int64) float64 { return float64(ns) / 1e6 }
		ends := []float64{float64(r.ready), float64(r.dispatched), ms(ts[worker.StageReceived]),
			ms(ts[worker.StageStartQueued]), ms(ts[worker.StageStartSent]), float64(r.started),
			ms(ts[worker.StageStartAnswered])}
		var tr traced
		tr.total = r.started - r.ready
		for i := range tr.stages {
			tr.stages[i] = ends[i+1] - ends[i]
		}
		all = append(all, tr)
	}
	if len(all) == 0 {
		return nil
	}
	slices.SortFunc(all, func(a, b traced) int { return int(a.total - b.total) })
	tail := all[min(len(all)-1, int(0.99*float64(len(all)))):]
	out := make([]StageSplit, len(splitStages))
	d := func(ms float64) time.Duration { return time.Duration(ms * float64(time.Millisecond)) }
	for i, name := range splitStages {
		xs := make([]float64, len(all))
		for j, tr := range all {
			xs[j] = tr.stages[i]
		}
		var sum float64
		for _, tr := range tail {
			sum += tr.stages[i]
		}
		slices.Sort(xs)
		rank := func(q float64) float64 { return xs[min(len(xs)-1, int(q*float64(len(xs))))] }
		out[i] = StageSplit{Stage: name, P50: d(rank(0.5)), P99: d(rank(0.99)), TailMean: d(sum / float64(len(tail)))}
	}
	return out
}
