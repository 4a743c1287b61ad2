package server

import (
	"cmp"
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store"
)

// RetentionConfig configures a Retainer. Runs and Audit zero keep forever
// (a workflow's own retention still applies); the others take defaults.
type RetentionConfig struct {
	// Runs is how long finished runs are kept, for workflows that set no
	// retention of their own.
	Runs time.Duration
	// Audit is how long events not tied to a run are kept.
	Audit time.Duration
	// RequestKeys is how long the Idempotency-Key of a run start request
	// is kept (default 24h): within it, a repeat of the request returns
	// the first one's runs.
	RequestKeys time.Duration
	// Interval is how often the loop looks for what expired (default 1m;
	// negative: never, RunOnce only).
	Interval time.Duration
	// Batch is the most runs (with their sub-workflow runs) or audit
	// events one transaction deletes (default 500). A batch that deleted
	// more rows than maxRows halves the next one.
	Batch int
	// Pause is the shortest rest between two batches (default 100ms);
	// the rest is also at least RestFactor times as long as the batch
	// took (default 9), so that deleting a backlog takes at most a tenth
	// of one database connection's time and the workload's transactions
	// get through.
	Pause      time.Duration
	RestFactor int
	Logger     *slog.Logger
}

// Retention defaults.
const (
	DefaultRetentionRestFactor = 9

	DefaultRetentionInterval    = time.Minute
	DefaultRetentionRequestKeys = 24 * time.Hour
	DefaultRetentionBatch       = 500
	DefaultRetentionPause       = 100 * time.Millisecond
)

// Retainer deletes finished runs and audit events past their age. Every
// server runs one: the engine's batches lock what they delete and skip
// what another server holds, so servers share the work rather than repeat
// it, and retention goes on whichever servers are up, with no leader to
// wait for. Each server pauses between its batches, so the deletes' share
// of the database stays bounded (times the number of servers).
type Retainer struct {
	loop
	engine  *engine.Engine
	cfg     RetentionConfig
	maxRows int64
	log     *slog.Logger

	deleted *prometheus.CounterVec
}

// RetentionResult is what one pass of the loop deleted.
type RetentionResult struct {
	store.RetentionDeleted
	// Audit counts the audit events deleted.
	Audit int64
	// RequestKeys counts the request keys deleted.
	RequestKeys int64
	// Kept counts expired runs kept because a sub-workflow run of theirs
	// is active.
	Kept int
	// Batches counts the transactions that deleted something.
	Batches int
}

// NewRetainer returns a stopped retention loop.
func NewRetainer(e *engine.Engine, cfg RetentionConfig) *Retainer {
	cfg.Interval = cmp.Or(cfg.Interval, DefaultRetentionInterval)
	cfg.RequestKeys = cmp.Or(cfg.RequestKeys, DefaultRetentionRequestKeys)
	cfg.Batch = cmp.Or(cfg.Batch, DefaultRetentionBatch)
	cfg.Pause = cmp.Or(cfg.Pause, DefaultRetentionPause)
	cfg.RestFactor = cmp.Or(cfg.RestFactor, DefaultRetentionRestFactor)
	r := &Retainer{engine: e, cfg: cfg, maxRows: int64(e.Config().Limits.MaxRowsPerTx),
		log: cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler)),
		deleted: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "baton_retention_deleted_total",
			Help: "Rows this server's retention loop deleted, by kind: runs, tasks, attempts, events and logs of expired runs, audit events, request keys."},
			[]string{"kind"}),
	}
	for _, kind := range retentionKinds {
		r.deleted.WithLabelValues(kind)
	}
	r.loop = loop{interval: cfg.Interval, run: func(ctx context.Context) { r.RunOnce(ctx) }}
	return r
}

var retentionKinds = []string{"runs", "tasks", "attempts", "events", "logs", "audit", "request_keys"}

// Start starts the loop in the background, unless its interval is
// negative.
func (r *Retainer) Start(ctx context.Context) {
	if r.cfg.Interval > 0 {
		r.loop.Start(ctx)
	}
}

// Collectors are the retention loop's metrics (the server times its
// passes with the other loops': baton_loop_duration_seconds{loop="retention"}).
func (r *Retainer) Collectors() []prometheus.Collector {
	return []prometheus.Collector{r.deleted}
}

// Deleted is how many rows of kind (one of the labels of
// baton_retention_deleted_total: runs, tasks, ...) the loop deleted so far.
func (r *Retainer) Deleted(kind string) int64 {
	var m dto.Metric
	if err := r.deleted.WithLabelValues(kind).Write(&m); err != nil {
		return 0
	}
	return int64(m.GetCounter().GetValue())
}

// RunOnce deletes everything that expired, batch after batch, and logs
// what it deleted. An error ends the pass (the next one starts over).
func (r *Retainer) RunOnce(ctx context.Context) RetentionResult {
	began := time.Now()
	res, err := r.runOnce(ctx)
	if err != nil && ctx.Err() == nil {
		r.log.Warn("retention", "err", err)
	}
	if res.Batches > 0 {
		r.log.Info("retention deleted expired history", "runs", res.Runs, "tasks", res.Tasks,
			"attempts", res.Attempts, "events", res.Events, "logs", res.Logs, "audit_events", res.Audit,
			"request_keys", res.RequestKeys,
			"batches", res.Batches, "took", time.Since(began).Round(time.Millisecond))
	}
	if res.Kept > 0 {
		r.log.Info("retention kept expired runs whose sub-workflow runs are active", "runs", res.Kept)
	}
	return res
}

func (r *Retainer) runOnce(ctx context.Context) (RetentionResult, error) {
	var res RetentionResult
	rules, err := r.engine.RetentionRules(ctx, r.cfg.Runs)
	if err != nil {
		return res, err
	}
	limit := r.cfg.Batch
	for _, rule := range rules {
		after := engine.RetentionCursor{}
		for rule.Age > 0 {
			t0 := time.Now()
			b, err := r.engine.DeleteExpiredRuns(ctx, rule.WorkflowID, rule.Age, after, limit)
			took := time.Since(t0)
			if err != nil {
				return res, err
			}
			r.count(&res, b)
			if b.Examined < limit {
				break
			}
			if r.maxRows > 0 && b.Rows() > r.maxRows && limit > 1 {
				limit /= 2 // runs with many tasks or logs: keep transactions short
			}
			after = b.Next
			if !r.pause(ctx, took) {
				return res, ctx.Err()
			}
		}
	}
	if res.Audit, err = r.drain(ctx, &res, "audit", r.cfg.Audit, r.engine.DeleteExpiredAudit); err != nil || ctx.Err() != nil {
		return res, cmp.Or(err, ctx.Err())
	}
	res.RequestKeys, err = r.drain(ctx, &res, "request_keys", r.cfg.RequestKeys, r.engine.DeleteExpiredStartRecords)
	if err != nil {
		return res, err
	}
	return res, ctx.Err()
}

// drain deletes what del finds older than age, batch after batch, and
// says how much it deleted.
func (r *Retainer) drain(ctx context.Context, res *RetentionResult, kind string, age time.Duration,
	del func(context.Context, time.Duration, int) (int64, error)) (int64, error) {
	var total int64
	for age > 0 {
		t0 := time.Now()
		n, err := del(ctx, age, r.cfg.Batch)
		took := time.Since(t0)
		if err != nil {
			return total, err
		}
		if n > 0 {
			total += n
			res.Batches++
			r.deleted.WithLabelValues(kind).Add(float64(n))
		}
		if n < int64(r.cfg.Batch) || !r.pause(ctx, took) {
			break
		}
	}
	return total, nil
}

func (r *Retainer) count(res *RetentionResult, b engine.RetentionBatch) {
	d := b.Deleted
	res.Kept += b.Kept
	if b.Rows() == 0 {
		return
	}
	res.Batches++
	res.Runs += d.Runs
	res.Tasks += d.Tasks
	res.Attempts += d.Attempts
	res.Events += d.Events
	res.Logs += d.Logs
	for kind, n := range map[string]int64{"runs": d.Runs, "tasks": d.Tasks, "attempts": d.Attempts,
		"events": d.Events, "logs": d.Logs} {
		r.deleted.WithLabelValues(kind).Add(float64(n))
	}
}

// pause rests between batches, after one that took took; false if ctx
// ended meanwhile.
func (r *Retainer) pause(ctx context.Context, took time.Duration) bool {
	t := time.NewTimer(max(r.cfg.Pause, time.Duration(r.cfg.RestFactor)*took))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
