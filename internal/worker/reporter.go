package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/client/vocab"
)

// maxReportBatch bounds the reports sent in one request: the servers
// apply a batch in one transaction, so bigger batches cost less each.
const maxReportBatch = 1000

// reporter delivers start and finish reports in batches, in the order they
// were made. A batch that could not be delivered is kept and sent again
// with backoff: a result is dropped only once a server accepted it (200)
// or refused it for good (409, or the worker is gone). Sending a batch
// twice is harmless: the servers accept a resent report again.
type reporter struct {
	client     *client.Client
	cfg        Config
	log        *slog.Logger
	superseded func(attemptID int64) // a 409 answer: kill the attempt

	mu      sync.Mutex
	queue   []queuedReport // the batch being sent stays at its head
	limit   int            // reports per batch: halved after a 413, up to maxReportBatch
	wake    chan struct{}
	retry   chan struct{} // the servers answer again: retry without waiting
	changed broadcast
}

// queuedReport is a report and the worker ID it is sent as: the one the
// attempt was claimed by.
type queuedReport struct {
	workerID string
	report   client.Report
}

func newReporter(c *client.Client, cfg Config, log *slog.Logger, superseded func(int64)) *reporter {
	return &reporter{client: c, cfg: cfg, log: log, superseded: superseded,
		wake: make(chan struct{}, 1), retry: make(chan struct{}, 1), limit: maxReportBatch}
}

// add queues a report for delivery.
func (r *reporter) add(workerID string, rep client.Report) {
	r.mu.Lock()
	r.queue = append(r.queue, queuedReport{workerID: workerID, report: rep})
	r.mu.Unlock()
	poke(r.wake)
}

// finishing lists the attempts of workerID whose finish report waits for
// delivery.
func (r *reporter) finishing(workerID string) []int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ids []int64
	for _, q := range r.queue {
		if q.workerID == workerID && q.report.Kind == "finish" {
			ids = append(ids, q.report.AttemptID)
		}
	}
	return ids
}

// pending is the number of reports not yet delivered.
func (r *reporter) pending() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.queue)
}

// run delivers reports until ctx ends.
func (r *reporter) run(ctx context.Context) {
	bo := newBackoff(r.cfg.MinBackoff, r.cfg.MaxBackoff)
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.wake:
		}
		if !bo.drain(ctx, r.log, "reports", r.sendOnce, r.retry) {
			return
		}
	}
}

// sendOnce sends the oldest reports of one worker ID as one batch and
// applies the answer. It returns how many reports left the queue; an
// error means the batch is kept to be sent again.
func (r *reporter) sendOnce(ctx context.Context) (int, error) {
	r.mu.Lock()
	if len(r.queue) == 0 {
		r.mu.Unlock()
		return 0, nil
	}
	workerID := r.queue[0].workerID
	var batch []client.Report
	for _, q := range r.queue {
		if q.workerID != workerID || len(batch) == r.limit {
			break
		}
		batch = append(batch, q.report)
	}
	r.mu.Unlock()

	results, err := r.client.Report(withTryTimeout(ctx, r.cfg.RequestTimeout), workerID, batch)
	if err != nil && retryable(err) {
		r.done(0)
		return 0, fmt.Errorf("send %d reports as %s: %w", len(batch), workerID, err)
	}
	if client.StatusOf(err) == http.StatusRequestEntityTooLarge {
		return r.tooLarge(batch, err)
	}
	r.mu.Lock()
	r.limit = maxReportBatch
	r.mu.Unlock()
	if err != nil {
		// Refused for good (410 the worker is gone, 409, or a bad request):
		// sending it again cannot help.
		r.log.Error("reports refused: dropped", "worker_id", workerID, "reports", len(batch), "error", err)
		for _, rep := range batch {
			if client.IsGone(err) || client.IsConflict(err) {
				r.superseded(rep.AttemptID)
			}
		}
		r.done(len(batch))
		return len(batch), nil
	}
	for i, rep := range batch {
		status := http.StatusOK
		if i < len(results) && results[i].AttemptID == rep.AttemptID {
			status = results[i].Status
		} else if res, ok := findResult(results, rep.AttemptID); ok {
			status = res.Status
		}
		if status == http.StatusConflict {
			r.log.Warn("report refused: the attempt was superseded", "attempt_id", rep.AttemptID,
				"kind", rep.Kind, "state", rep.State)
			r.superseded(rep.AttemptID)
		}
	}
	r.done(len(batch))
	return len(batch), nil
}

// tooLarge handles a 413 answer to batch: a finish report is never dropped.
// A batch of several is sent again in halves; a single report too large on
// its own is replaced: a finish by one without outputs, failed with a reason
// that says why, so the task ends instead of staying running; a checkpoint
// is dropped (the task keeps running, its next checkpoint may fit).
func (r *reporter) tooLarge(batch []client.Report, err error) (int, error) {
	if len(batch) > 1 {
		r.mu.Lock()
		r.limit = max(len(batch)/2, 1)
		r.mu.Unlock()
		r.done(0)
		r.log.Warn("reports too large for one request: sending fewer at a time", "reports", len(batch), "error", err)
		poke(r.wake)
		return 0, nil
	}
	rep := batch[0]
	switch {
	case rep.Kind == "finish" && (rep.Outputs != nil || len(rep.Reason) > 1000):
		r.log.Error("finish report too large for the servers: reporting the attempt failed without its outputs",
			"attempt_id", rep.AttemptID, "state", rep.State, "outputs", len(rep.Outputs), "error", err)
		reason := "outputs exceeded the servers' size limit"
		if rep.State != vocab.AttemptSucceeded {
			reason = fmt.Sprintf("%s (ended %s: %s)", reason, rep.State, rep.Reason)
		}
		rep.State, rep.Reason, rep.Outputs = vocab.AttemptFailed, clip(reason, 1000), nil
		r.mu.Lock()
		r.queue[0].report = rep
		r.mu.Unlock()
		poke(r.wake) // send it now
		return 0, nil
	default:
		r.log.Error("report too large for the servers: dropped", "attempt_id", rep.AttemptID, "kind", rep.Kind,
			"error", err)
		r.done(1)
		return 1, nil
	}
}

// findResult looks up the result of an attempt when the answer's results
// are not in the batch's order.
func findResult(results []client.ReportResult, attemptID int64) (client.ReportResult, bool) {
	for _, res := range results {
		if res.AttemptID == attemptID {
			return res, true
		}
	}
	return client.ReportResult{}, false
}

// done removes the first n reports (the batch in flight) from the queue.
func (r *reporter) done(n int) {
	r.mu.Lock()
	r.queue = r.queue[n:]
	r.mu.Unlock()
	r.changed.notify()
}

// flush waits until every queued report was delivered or ctx ends.
func (r *reporter) flush(ctx context.Context) error {
	poke(r.wake)
	for {
		ch := r.changed.wait()
		if n := r.pending(); n == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return errors.Join(fmt.Errorf("%d reports undelivered", r.pending()), ctx.Err())
		case <-ch:
		}
	}
}
