package taskkind

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Execution is one attempt on a worker, as a kind's Execute sees it; the
// worker implements it. The worker reports the start before Execute and
// the finish after it, masks the attempt's secrets in its log, outputs
// and reason, and cancels ctx on a kill order or the timeout.
type Execution interface {
	// Payload decodes the assignment's rendered payload (what Prepare
	// returned) into v, a pointer.
	Payload(v any) error
	// Timeout is the attempt's timeout (zero: none).
	Timeout() time.Duration
	// Note writes a line of Baton's own to the attempt's log.
	Note(line string)
	// Write writes the task's output to the attempt's log; stream is
	// stdout or stderr.
	Write(stream string, p []byte)
	// Log is the worker's own log, for causes the task's log must not
	// show (which address the egress policy refused).
	Log() *slog.Logger
	// HTTPClient sends requests under the worker's egress policy.
	HTTPClient() *http.Client
	// Dial opens connections under the worker's egress policy.
	Dial(ctx context.Context, network, addr string) (net.Conn, error)
}

// Result is how an attempt's Execute ended.
type Result struct {
	// Failure, when set, fails the attempt with this reason.
	Failure string
	// TimedOut says the failure was the attempt's timeout, seen beside
	// the context's deadline (a database's statement timeout).
	TimedOut bool
	// Outputs are the attempt's outputs, bounded as a shell task's are.
	Outputs map[string]string
}
