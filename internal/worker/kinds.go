package worker

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/client/vocab"
	_ "github.com/baton-sched/baton/internal/kinds/all" // every task kind
	"github.com/baton-sched/baton/internal/taskkind"
)

// An Executor runs the attempts of one task kind on a worker. Run gets an
// attempt whose claim still holds a valid lease (left: lease) and takes
// it to its end: it reports the start, writes the output through the
// agent's log shipper, honours the attempt's timeout and the kill orders
// (the attempt's proc or cancel), and queues exactly one finish report,
// or none when the attempt was superseded (see finishReport).
type Executor interface {
	Run(a *Agent, at *attempt, lease time.Duration, log *slog.Logger)
}

// executorKinds lists the kinds this worker runs, sorted, for the claim:
// shell (built in) and every registered kind the servers do not run. It
// is computed at the first claim, after every package's init registered
// its kinds.
var executorKinds = sync.OnceValue(workerKinds)

func workerKinds() []string {
	out := []string{vocab.KindShell}
	for _, k := range taskkind.All() {
		if !k.Server() && k.Name != vocab.KindShell {
			out = append(out, k.Name)
		}
	}
	slices.Sort(out)
	return out
}

// executorOf returns the executor of kind: shell, built in, for an
// assignment that names no kind; the registered kind's (taskkind.Kind.
// Execute); a refusing one for a kind this worker does not know (a newer
// server's).
func executorOf(kind string) Executor {
	if kind == "" || kind == vocab.KindShell {
		return shellExecutor{}
	}
	k, ok := taskkind.Lookup(kind)
	switch {
	case !ok || k.Server():
		return unknownExecutor{kind: kind}
	case k.Execute == nil:
		return instantExecutor{}
	}
	return kindExecutor{kind: k}
}

// shellExecutor runs the command with /bin/sh under the shim.
type shellExecutor struct{}

func (shellExecutor) Run(a *Agent, at *attempt, lease time.Duration, log *slog.Logger) {
	a.runShell(at, lease, log)
}

// kindExecutor runs a registered kind's Execute in this process
// (inProcess): the kill order and the timeout (the kind's default when
// the assignment sets none) cancel its context.
type kindExecutor struct{ kind *taskkind.Kind }

func (x kindExecutor) Run(a *Agent, at *attempt, _ time.Duration, log *slog.Logger) {
	timeout := at.asg.Timeout
	if timeout <= 0 {
		timeout = x.kind.DefaultTimeout
	}
	a.inProcess(at, log, timeout, func(ctx context.Context) (exitResult, map[string]string, bool) {
		r := x.kind.Execute(ctx, execution{a: a, at: at, log: attemptLog(a.log, &at.asg, true)})
		return exitResult{ShimError: r.Failure}, r.Outputs, r.TimedOut
	})
}

// execution is the taskkind.Execution of one attempt.
type execution struct {
	a   *Agent
	at  *attempt
	log *slog.Logger
}

func (x execution) Payload(v any) error           { return x.at.asg.DecodePayload(v) }
func (x execution) Timeout() time.Duration        { return x.at.asg.Timeout }
func (x execution) Note(line string)              { x.a.logs.note(x.at.asg.AttemptID, line) }
func (x execution) Write(stream string, p []byte) { x.a.logs.write(x.at.asg.AttemptID, stream, p) }
func (x execution) Log() *slog.Logger             { return x.log }
func (x execution) HTTPClient() *http.Client      { return x.a.httpTasks }
func (x execution) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	return x.a.cfg.Egress.Dialer().DialContext(ctx, network, addr)
}

// instantExecutor runs a kind with nothing to run (noop): the attempt
// starts and succeeds at once.
type instantExecutor struct{}

func (instantExecutor) Run(a *Agent, at *attempt, _ time.Duration, _ *slog.Logger) {
	id := at.asg.AttemptID
	a.reports.add(at.workerID, client.Report{AttemptID: id, Kind: "start"})
	a.reports.add(at.workerID, client.Report{AttemptID: id, Kind: "finish", State: vocab.AttemptSucceeded})
}

// unknownExecutor fails an attempt of a kind this worker cannot run.
type unknownExecutor struct{ kind string }

func (u unknownExecutor) Run(a *Agent, at *attempt, _ time.Duration, log *slog.Logger) {
	id := at.asg.AttemptID
	reason := "this worker does not run tasks of kind " + u.kind + " (upgrade it)"
	log.Error("attempt of an unknown kind", "kind", u.kind)
	a.reports.add(at.workerID, client.Report{AttemptID: id, Kind: "start"})
	a.reports.add(at.workerID, client.Report{AttemptID: id, Kind: "finish", State: vocab.AttemptFailed, Reason: reason})
}
