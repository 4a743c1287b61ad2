package worker

import (
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/client/vocab"
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

// executors maps a kind name (vocab.Kind*) to its executor. A new worker
// kind adds its entry here and its file beside this one.
var executors = map[string]Executor{
	vocab.KindShell: shellExecutor{},
	vocab.KindNoop:  noopExecutor{},
	vocab.KindHTTP:  httpExecutor{},
	vocab.KindSQL:   sqlExecutor{},
}

// executorKinds lists the kinds of executors, sorted, for the claim.
var executorKinds = slices.Sorted(maps.Keys(executors))

// executorOf returns the executor of kind: shell for an assignment that
// names no kind, a refusing one for a kind this worker does not know (a
// newer server's).
func executorOf(kind string) Executor {
	if kind == "" {
		return executors[vocab.KindShell]
	}
	if ex, ok := executors[kind]; ok {
		return ex
	}
	return unknownExecutor{kind: kind}
}

// shellExecutor runs the command with /bin/sh under the shim.
type shellExecutor struct{}

func (shellExecutor) Run(a *Agent, at *attempt, lease time.Duration, log *slog.Logger) {
	a.runShell(at, lease, log)
}

// httpExecutor sends the attempt's request (http.go).
type httpExecutor struct{}

func (httpExecutor) Run(a *Agent, at *attempt, _ time.Duration, log *slog.Logger) { a.runHTTP(at, log) }

// noopExecutor runs nothing: the attempt starts and succeeds at once.
type noopExecutor struct{}

func (noopExecutor) Run(a *Agent, at *attempt, _ time.Duration, _ *slog.Logger) {
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
