package http

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/egress"
	"github.com/baton-sched/baton/internal/taskkind"
)

// maxBody bounds the answer kept as the task's "body" output.
const maxBody = 64 << 10

// execute sends the attempt's request: it succeeds when the status is
// expected, with outputs "status" and "body".
func execute(ctx context.Context, x taskkind.Execution) taskkind.Result {
	var h client.HTTPRequest
	if err := x.Payload(&h); err != nil {
		return taskkind.Result{Failure: "http attempt without a request"}
	}
	req, err := http.NewRequestWithContext(ctx, h.Method, h.URL, strings.NewReader(h.Body))
	if err != nil {
		return taskkind.Result{Failure: "http request: " + err.Error()}
	}
	for k, v := range h.Headers {
		req.Header.Set(k, v)
	}
	start := time.Now()
	resp, err := x.HTTPClient().Do(req)
	if err != nil {
		// The task's log tells no refused address from a closed port;
		// the worker's log has the cause.
		opaque := egress.Opaque(ctx, err)
		x.Log().Warn("http task failed", "err", egress.Detail(err))
		x.Note(fmt.Sprintf("%s %s: %v", h.Method, egress.Redact(h.URL), opaque))
		return taskkind.Result{Failure: opaque.Error()}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return taskkind.Result{Failure: "read the answer: " + err.Error()}
	}
	if len(body) > maxBody {
		body = body[:maxBody]
		x.Note(fmt.Sprintf("answer longer than %d bytes: the body output keeps the start", maxBody))
	}
	x.Note(fmt.Sprintf("%s %s: %s in %v", h.Method, egress.Redact(h.URL), resp.Status, time.Since(start).Round(time.Millisecond)))
	if len(body) > 0 {
		x.Write("stdout", body)
	}
	outputs := map[string]string{"status": strconv.Itoa(resp.StatusCode), "body": string(body)}
	if !expected(resp.StatusCode, h.ExpectStatus) {
		want := "2xx"
		if len(h.ExpectStatus) > 0 {
			want = fmt.Sprint(h.ExpectStatus)
		}
		return taskkind.Result{Failure: fmt.Sprintf("status %d, expected %s", resp.StatusCode, want), Outputs: outputs}
	}
	return taskkind.Result{Outputs: outputs}
}

// expected reports whether status is one of want, or a 2xx when want is
// empty.
func expected(status int, want []int) bool {
	if len(want) == 0 {
		return status >= 200 && status < 300
	}
	return slices.Contains(want, status)
}
