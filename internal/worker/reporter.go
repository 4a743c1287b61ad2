package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/client/vocab"
)

// maxReportBatch bounds the reports sent in one request: the servers
// apply a batch in one transaction, so bigger batches cost less each.
const maxReportBatch = 1000

// reportSenders is how many batches are in flight at once. A report made
// while a batch is in flight would otherwise wait for that batch's whole
// round trip (its transaction holds the run's settlement) before it is
// even sent: with two, a start report goes out while the previous batch
// is still applied.
const reportSenders = 2

// reporter delivers start and finish reports in batches. Batches go out on
// up to reportSenders requests at once; the reports of one attempt are
// delivered in the order they were made (a report waits while an earlier
// one of its attempt is in flight). A batch that could not be delivered is
// kept and sent again with backoff: a result is dropped only once a server
// accepted it (200) or refused it for good (409, or the worker is gone).
// Sending a batch twice is harmless: the servers accept a resent report
// again.
type reporter struct {
	client     *client.Client
	cfg        Config
	log        *slog.Logger
	superseded func(attemptID int64) // a 409 answer: kill the attempt

	mu       sync.Mutex
	queue    []*queuedReport // in the order made; those in flight stay in place
	inFlight map[int64]int   // per attempt, its reports in flight
	limit    int             // reports per batch: halved after a 413, up to maxReportBatch
	wake     chan struct{}
	retries  [reportSenders]chan struct{} // the servers answer again: retry without waiting
	changed  broadcast
}

// queuedReport is a report and the worker ID it is sent as: the one the
// attempt was claimed by.
type queuedReport struct {
	workerID  string
	report    client.Report
	sending   bool // in a batch in flight
	delivered bool // accepted or refused for good: leaves the queue
}

func newReporter(c *client.Client, cfg Config, log *slog.Logger, superseded func(int64)) *reporter {
	r := &reporter{client: c, cfg: cfg, log: log, superseded: superseded,
		wake: make(chan struct{}, 1), inFlight: map[int64]int{}, limit: maxReportBatch}
	for i := range r.retries {
		r.retries[i] = make(chan struct{}, 1)
	}
	return r
}

// add queues a report for delivery.
func (r *reporter) add(workerID string, rep client.Report) {
	r.mu.Lock()
	r.queue = append(r.queue, &queuedReport{workerID: workerID, report: rep})
	r.mu.Unlock()
	traceStarts(r.cfg, StageStartQueued, []client.Report{rep})
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

// retryNow cuts the backoff of every sender short: the servers answer
// again.
func (r *reporter) retryNow() {
	for _, ch := range r.retries {
		poke(ch)
	}
}

// run delivers reports until ctx ends, on reportSenders senders.
func (r *reporter) run(ctx context.Context) {
	var wg sync.WaitGroup
	for i := range reportSenders {
		wg.Go(func() { r.sender(ctx, r.retries[i]) })
	}
	wg.Wait()
}

// sender sends batches while there are reports to send, until ctx ends.
func (r *reporter) sender(ctx context.Context, retry <-chan struct{}) {
	bo := newBackoff(r.cfg.MinBackoff, r.cfg.MaxBackoff)
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.wake:
		}
		if !bo.drain(ctx, r.log, "reports", r.sendOnce, retry) {
			return
		}
	}
}

// nextBatch takes the oldest reports not in flight of one worker ID, up to
// the limit, skipping those of attempts with a report in flight, and marks
// them in flight. It returns nil when there is nothing to send.
func (r *reporter) nextBatch() []*queuedReport {
	r.mu.Lock()
	defer r.mu.Unlock()
	var batch []*queuedReport
	for _, q := range r.queue {
		if q.sending || r.inFlight[q.report.AttemptID] > 0 {
			continue
		}
		if len(batch) == r.limit || (len(batch) > 0 && q.workerID != batch[0].workerID) {
			break
		}
		batch = append(batch, q)
	}
	for _, q := range batch {
		q.sending = true
		r.inFlight[q.report.AttemptID]++
	}
	return batch
}

// sendOnce sends one batch (see nextBatch) and applies the answer. It
// returns how many reports left the queue; an error means the batch is
// kept to be sent again.
func (r *reporter) sendOnce(ctx context.Context) (int, error) {
	queued := r.nextBatch()
	if len(queued) == 0 {
		return 0, nil
	}
	workerID := queued[0].workerID
	batch := make([]client.Report, len(queued))
	for i, q := range queued {
		batch[i] = q.report
	}

	traceStarts(r.cfg, StageStartSent, batch)
	results, err := r.client.Report(withTryTimeout(ctx, r.cfg.RequestTimeout), workerID, batch)
	traceStarts(r.cfg, StageStartAnswered, batch)
	if err != nil && retryable(err) {
		r.done(queued, false)
		return 0, fmt.Errorf("send %d reports as %s: %w", len(batch), workerID, err)
	}
	if client.StatusOf(err) == http.StatusRequestEntityTooLarge {
		return r.tooLarge(queued, err)
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
		r.done(queued, true)
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
	r.done(queued, true)
	return len(batch), nil
}

// tooLarge handles a 413 answer to batch: a finish report is never dropped.
// A batch of several is sent again in halves; a single report too large on
// its own is replaced: a finish by one without outputs, failed with a reason
// that says why, so the task ends instead of staying running; a checkpoint
// is dropped (the task keeps running, its next checkpoint may fit).
func (r *reporter) tooLarge(batch []*queuedReport, err error) (int, error) {
	if len(batch) > 1 {
		r.mu.Lock()
		r.limit = max(len(batch)/2, 1)
		r.mu.Unlock()
		r.done(batch, false)
		r.log.Warn("reports too large for one request: sending fewer at a time", "reports", len(batch), "error", err)
		poke(r.wake)
		return 0, nil
	}
	rep := batch[0].report
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
		batch[0].report = rep
		r.mu.Unlock()
		r.done(batch, false)
		poke(r.wake) // send it now
		return 0, nil
	default:
		r.log.Error("report too large for the servers: dropped", "attempt_id", rep.AttemptID, "kind", rep.Kind,
			"error", err)
		r.done(batch, true)
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

// done ends the flight of batch: its reports leave the queue if
// delivered, else stay in place to be sent again.
func (r *reporter) done(batch []*queuedReport, delivered bool) {
	r.mu.Lock()
	for _, q := range batch {
		q.sending, q.delivered = false, delivered
		if r.inFlight[q.report.AttemptID]--; r.inFlight[q.report.AttemptID] <= 0 {
			delete(r.inFlight, q.report.AttemptID)
		}
	}
	if delivered {
		r.queue = slices.DeleteFunc(r.queue, func(q *queuedReport) bool { return q.delivered })
	}
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
