package worker

import (
	"context"
	"log/slog"
	"time"

	"github.com/baton-sched/baton/client"
)

// inProcess runs an attempt whose work is a call this process makes (an
// HTTP request, SQL statements): it reports the start, opens the log
// (masking the attempt's secrets), gives call a context that the kill
// order and timeout (if any) cancel, and reports how it ended. call says
// whether a failure was the timeout beside the context's deadline (a
// database's statement timeout, say).
func (a *Agent) inProcess(at *attempt, log *slog.Logger, timeout time.Duration,
	call func(ctx context.Context) (exitResult, map[string]string, bool)) {
	id := at.asg.AttemptID
	a.reports.add(at.workerID, client.Report{AttemptID: id, Kind: "start"})
	a.logs.open(id, at.workerID, newMasker(at.asg.Mask))
	ctx, cancel := context.WithCancel(context.Background())
	if timeout > 0 {
		cancel()
		ctx, cancel = context.WithTimeout(context.Background(), timeout)
	}
	defer cancel()
	a.mu.Lock()
	at.cancel = cancel
	a.mu.Unlock()
	res, outputs, timedOut := call(ctx)
	a.mu.Lock()
	if (timedOut || ctx.Err() == context.DeadlineExceeded) && at.cause == causeNone {
		at.cause = causeTimeout
	}
	at.exited = true
	cause := at.cause
	a.changed.notify()
	a.mu.Unlock()
	<-a.logs.close(id)
	r, ok := finishReport(at, cause, res, outputs)
	if !ok {
		log.Info("attempt superseded: result dropped")
		return
	}
	log.Info("attempt finished", "state", r.State, "reason", r.Reason)
	a.reports.add(at.workerID, r)
}
