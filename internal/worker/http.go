package worker

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/egress"
)

// maxHTTPBody bounds the answer kept as the task's "body" output.
const maxHTTPBody = 64 << 10

// runHTTP sends an http attempt's request and reports how it went: it
// succeeds when the status is expected, with outputs "status" and "body".
// Without a timeout of its own, a request has a minute.
func (a *Agent) runHTTP(at *attempt, log *slog.Logger) {
	timeout := at.asg.Timeout
	if timeout <= 0 {
		timeout = time.Minute
	}
	a.inProcess(at, log, timeout, func(ctx context.Context) (exitResult, map[string]string, bool) {
		res, outputs := a.send(ctx, at)
		return res, outputs, false
	})
}

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

// send does the request; a result with ShimError is a failure, with its
// reason.
func (a *Agent) send(ctx context.Context, at *attempt) (exitResult, map[string]string) {
	h := at.asg.HTTP
	id := at.asg.AttemptID
	if h == nil {
		return exitResult{ShimError: "http attempt without a request"}, nil
	}
	req, err := http.NewRequestWithContext(ctx, h.Method, h.URL, strings.NewReader(h.Body))
	if err != nil {
		return exitResult{ShimError: "http request: " + err.Error()}, nil
	}
	for k, v := range h.Headers {
		req.Header.Set(k, v)
	}
	start := time.Now()
	resp, err := a.httpTasks.Do(req)
	if err != nil {
		// The task's log tells no refused address from a closed port;
		// the worker's log has the cause.
		opaque := egress.Opaque(ctx, err)
		a.log.Warn("http task failed", "attempt_id", id, "err", egress.Detail(err))
		a.logs.note(id, fmt.Sprintf("%s %s: %v", h.Method, egress.Redact(h.URL), opaque))
		return exitResult{ShimError: opaque.Error()}, nil
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxHTTPBody+1))
	if err != nil {
		return exitResult{ShimError: "read the answer: " + err.Error()}, nil
	}
	if len(body) > maxHTTPBody {
		body = body[:maxHTTPBody]
		a.logs.note(id, fmt.Sprintf("answer longer than %d bytes: the body output keeps the start", maxHTTPBody))
	}
	a.logs.note(id, fmt.Sprintf("%s %s: %s in %v", h.Method, egress.Redact(h.URL), resp.Status, time.Since(start).Round(time.Millisecond)))
	if len(body) > 0 {
		a.logs.write(id, "stdout", body)
	}
	outputs := map[string]string{"status": strconv.Itoa(resp.StatusCode), "body": string(body)}
	if !expected(resp.StatusCode, h.ExpectStatus) {
		want := "2xx"
		if len(h.ExpectStatus) > 0 {
			want = fmt.Sprint(h.ExpectStatus)
		}
		return exitResult{ShimError: fmt.Sprintf("status %d, expected %s", resp.StatusCode, want)}, outputs
	}
	return exitResult{}, outputs
}

// expected reports whether status is one of want, or a 2xx when want is
// empty.
func expected(status int, want []int) bool {
	if len(want) == 0 {
		return status >= 200 && status < 300
	}
	return slices.Contains(want, status)
}
