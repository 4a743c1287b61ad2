package engine_test

import (
	"context"
	"errors"
	"regexp"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/storetest"
	"github.com/baton-sched/baton/internal/workflow"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// env is an engine on a fresh store with helpers that play the part of
// users and workers.
type env struct {
	t   *testing.T
	ctx context.Context
	e   *engine.Engine
	s   store.Store
}

// eachStore runs f against an engine on every dialect.
func eachStore(t *testing.T, cfg engine.Config, f func(t *testing.T, x *env)) {
	storetest.ForEach(t, func(t *testing.T, s store.Store) {
		f(t, &env{t: t, ctx: context.Background(), e: engine.New(s, cfg), s: s})
	})
}

func (x *env) apply(src string) engine.Applied {
	x.t.Helper()
	out, err := x.e.Apply(x.ctx, []engine.Source{{Filename: "test.yaml", Text: []byte(src)}}, "user:test")
	if err != nil {
		x.t.Fatalf("apply: %v", err)
	}
	return out[0]
}

func (x *env) start(workflow string, params map[string]string) store.Run {
	x.t.Helper()
	st, err := x.e.StartRun(x.ctx, engine.StartRequest{Workflow: workflow, Params: params, Actor: "user:test"})
	if err != nil {
		x.t.Fatalf("start %s: %v", workflow, err)
	}
	return st.Run
}

func (x *env) worker(zone string, capacity float64) store.Worker {
	x.t.Helper()
	w, err := x.e.RegisterWorker(x.ctx, engine.WorkerSpec{Name: "w-" + zone, Zone: zone, Capacity: capacity})
	if err != nil {
		x.t.Fatalf("register worker: %v", err)
	}
	return w
}

func (x *env) claim(w store.Worker, max int) []engine.Assignment {
	x.t.Helper()
	as, err := x.e.Claim(x.ctx, engine.ClaimRequest{WorkerID: w.ID, Max: max, FreeCU: w.Capacity})
	if err != nil {
		x.t.Fatalf("claim: %v", err)
	}
	return as
}

// claimOne claims exactly one assignment, failing the test otherwise.
func (x *env) claimOne(w store.Worker) engine.Assignment {
	x.t.Helper()
	as := x.claim(w, 1)
	if len(as) != 1 {
		x.t.Fatalf("claim: got %d assignments, want 1", len(as))
	}
	return as[0]
}

func (x *env) report(w store.Worker, rs ...engine.Report) []engine.ReportResult {
	x.t.Helper()
	res, err := x.e.Report(x.ctx, w.ID, rs)
	if err != nil {
		x.t.Fatalf("report: %v", err)
	}
	return res
}

// finish starts and ends an attempt in one batch, as a fast worker does.
func (x *env) finish(w store.Worker, a engine.Assignment, state string, outputs map[string]string) engine.ReportResult {
	x.t.Helper()
	res := x.report(w,
		engine.Report{AttemptID: a.AttemptID, Kind: engine.ReportStart},
		engine.Report{AttemptID: a.AttemptID, Kind: engine.ReportFinish, State: state, Outputs: outputs})
	return res[1]
}

// runAll claims and succeeds tasks until nothing is claimable.
func (x *env) runAll(w store.Worker) int {
	x.t.Helper()
	n := 0
	for {
		as := x.claim(w, 100)
		if len(as) == 0 {
			return n
		}
		for _, a := range as {
			if r := x.finish(w, a, store.AttemptSucceeded, nil); r.Status != engine.Accepted {
				x.t.Fatalf("finish %s: %+v", a.Task, r)
			}
			n++
		}
	}
}

func (x *env) run(id int64) store.Run {
	x.t.Helper()
	var r store.Run
	err := x.s.Read(x.ctx, func(tx store.Tx) (err error) {
		r, err = tx.Runs().Get(x.ctx, id)
		return err
	})
	if err != nil {
		x.t.Fatalf("get run %d: %v", id, err)
	}
	return r
}

func (x *env) tasks(runID int64) map[string]store.Task {
	x.t.Helper()
	var ts []store.Task
	err := x.s.Read(x.ctx, func(tx store.Tx) (err error) {
		ts, err = tx.Tasks().ListRun(x.ctx, runID)
		return err
	})
	if err != nil {
		x.t.Fatalf("list tasks: %v", err)
	}
	out := map[string]store.Task{}
	for _, t := range ts {
		out[t.Name] = t
	}
	return out
}

func (x *env) events(runID int64, kind string) []store.Event {
	x.t.Helper()
	var es []store.Event
	err := x.s.Read(x.ctx, func(tx store.Tx) (err error) {
		es, err = tx.Events().List(x.ctx, store.EventFilter{RunID: runID, Kind: kind, Limit: 10000})
		return err
	})
	if err != nil {
		x.t.Fatalf("list events: %v", err)
	}
	return es
}

// sweepUntil sweeps until cond holds, polling with a deadline: leases
// expire by the database clock, which tests do not control.
func (x *env) sweepUntil(what string, cond func() bool) {
	x.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			x.t.Fatalf("timed out waiting for %s", what)
		}
		if _, err := x.e.Sweep(x.ctx); err != nil {
			x.t.Fatalf("sweep: %v", err)
		}
		time.Sleep(20 * time.Millisecond) // poll interval, not a wait for an event
	}
}

func wantState(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s: state %q, want %q", what, got, want)
	}
}

func isInvalid(err error) bool {
	var ie *engine.InvalidError
	return errors.As(err, &ie)
}

// tplVar is a reference to a template variable in a rendered command.
var tplVar = regexp.MustCompile(`"?\$\{(` + workflow.TemplateVarPrefix + `\d+)\}"?`)

// shellView is a's command as the shell sees it once it expanded the
// template variables (quoted values shown bare), for tests to read.
func shellView(a engine.Assignment) string {
	return tplVar.ReplaceAllStringFunc(a.Command, func(m string) string {
		return a.Env[tplVar.FindStringSubmatch(m)[1]]
	})
}
