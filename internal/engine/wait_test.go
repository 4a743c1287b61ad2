package engine_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baton-sched/baton/client/vocab"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/kinds/wait"
	"github.com/baton-sched/baton/internal/store"
)

const loadOrders = `name: load-orders
tasks:
  - {name: load, run: load}
`

// startWaits runs the servers' loop that starts server-run tasks, for the
// wait kind, until it starts nothing more.
func (x *env) startWaits() int {
	x.t.Helper()
	total := 0
	for {
		n, err := x.e.StartServerTasks(x.ctx, vocab.KindWait, 100)
		if err != nil {
			x.t.Fatalf("start waits: %v", err)
		}
		if n == 0 {
			return total
		}
		total += n
	}
}

func (x *env) checkWaits(c engine.WaitCheck) engine.WaitCheckResult {
	x.t.Helper()
	res, err := x.e.CheckWaits(x.ctx, c)
	if err != nil {
		x.t.Fatalf("check waits: %v", err)
	}
	return res
}

// checkUntil checks waits until cond holds, polling with a deadline: a
// wait is due by the database clock, which tests do not control.
func (x *env) checkUntil(what string, c engine.WaitCheck, cond func() bool) {
	x.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			x.t.Fatalf("timed out waiting for %s", what)
		}
		x.checkWaits(c)
		time.Sleep(20 * time.Millisecond) // poll interval, not a wait for an event
	}
}

func (x *env) waitCount() int64 {
	x.t.Helper()
	var n int64
	err := x.s.Read(x.ctx, func(tx store.Tx) (err error) {
		n, err = tx.Waits().Count(x.ctx)
		return err
	})
	if err != nil {
		x.t.Fatalf("count waits: %v", err)
	}
	return n
}

func (x *env) attempt(runID, id int64) store.Attempt {
	x.t.Helper()
	var as []store.Attempt
	err := x.s.Read(x.ctx, func(tx store.Tx) (err error) {
		as, err = tx.Attempts().ListRun(x.ctx, runID)
		return err
	})
	if err != nil {
		x.t.Fatalf("list attempts: %v", err)
	}
	for _, a := range as {
		if a.ID == id {
			return a
		}
	}
	x.t.Fatalf("no attempt %d in run %d", id, runID)
	return store.Attempt{}
}

// A wait on another workflow's run holds no worker: a worker of capacity
// 1 runs the upstream task while the wait is running; the wait succeeds
// within one interval of the upstream run succeeding (by the events'
// database times), and its downstream task runs.
func TestWaitOnWorkflowRun(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply(loadOrders)
		x.apply(`name: report
tasks:
  - name: upstream-done
    wait: {workflow: load-orders, interval: 1s, timeout: 1h}
  - name: other-day
    wait: {workflow: load-orders, logical_date: "2020-01-01", interval: 1s, timeout: 1h}
  - {name: report, run: report, needs: [upstream-done]}
`)
		run := x.start("report", nil)
		if n := x.startWaits(); n != 2 {
			t.Fatalf("started %d waits, want 2", n)
		}
		ts := x.tasks(run.ID)
		wait := ts["upstream-done"]
		wantState(t, "upstream-done", wait.State, store.TaskRunning)
		if a := x.attempt(run.ID, wait.AttemptID); a.WorkerID != "" || a.State != store.AttemptRunning {
			t.Fatalf("wait attempt %+v, want running and owned by no worker", a)
		}
		if res := x.checkWaits(engine.WaitCheck{}); res.Due != 2 || res.Pushed != 2 {
			t.Fatalf("first check %+v, want both due and pushed on", res)
		}
		// The sweep does not take a wait for a lost worker's attempt.
		if _, err := x.e.Sweep(x.ctx); err != nil {
			t.Fatal(err)
		}
		wantState(t, "wait attempt after a sweep", x.attempt(run.ID, wait.AttemptID).State, store.AttemptRunning)

		// The only worker has room for one task, and the waits take none.
		w := x.worker("a", 1)
		up := x.start("load-orders", nil)
		a := x.claimOne(w)
		if a.RunID != up.ID {
			t.Fatalf("claimed %s of run %d, want load of the upstream run %d", a.Task, a.RunID, up.ID)
		}
		if r := x.finish(w, a, store.AttemptSucceeded, nil); r.Status != engine.Accepted {
			t.Fatalf("finish load: %+v", r)
		}
		wantState(t, "upstream run", x.run(up.ID).State, store.RunSucceeded)

		x.checkUntil("the wait to succeed", engine.WaitCheck{}, func() bool {
			return x.tasks(run.ID)["upstream-done"].State == store.TaskSucceeded
		})
		upDone := x.events(up.ID, "run.succeeded")
		waitDone := x.events(run.ID, "task.succeeded")
		if len(upDone) != 1 || len(waitDone) != 1 {
			t.Fatalf("events: %d run.succeeded, %d task.succeeded, want 1 each", len(upDone), len(waitDone))
		}
		if lag := waitDone[0].At - upDone[0].At; lag < 0 || lag > time.Second.Milliseconds() {
			t.Errorf("the wait succeeded %d ms after the upstream run, want within its 1s interval", lag)
		}
		ts = x.tasks(run.ID)
		wantState(t, "report", ts["report"].State, store.TaskQueued)
		wantState(t, "other-day", ts["other-day"].State, store.TaskRunning)
		if n := x.waitCount(); n != 1 {
			t.Errorf("%d wait rows, want 1 (other-day's)", n)
		}
		if evs := x.events(run.ID, "task.wait"); len(evs) != 2 || !strings.Contains(evs[0].Reason, "a run of load-orders for ") {
			t.Errorf("task.wait events %+v, want 2 saying what they wait for", evs)
		}
	})
}

func TestWaitTimeout(t *testing.T) {
	for _, mode := range []string{"fail", "skip"} {
		t.Run(mode, func(t *testing.T) {
			eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
				x.apply(fmt.Sprintf(`name: sensor
tasks:
  - name: never
    wait: {until: "2999-01-01T00:00:00Z", interval: 1s, timeout: 1s, on_timeout: %s}
  - {name: after, run: after, needs: [never]}
`, mode))
				run := x.start("sensor", nil)
				x.startWaits()
				x.checkUntil("the wait to time out", engine.WaitCheck{}, func() bool {
					return x.tasks(run.ID)["never"].State != store.TaskRunning
				})
				ts := x.tasks(run.ID)
				if evs := x.events(run.ID, "attempt."+store.AttemptTimedOut); len(evs) != 1 {
					t.Errorf("%d attempt.timed_out events, want 1", len(evs))
				}
				if mode == "fail" {
					wantState(t, "never", ts["never"].State, store.TaskFailed)
					wantState(t, "after", ts["after"].State, store.TaskUpstreamFailed)
					wantState(t, "run", x.run(run.ID).State, store.RunFailed)
				} else {
					wantState(t, "never", ts["never"].State, store.TaskSkipped)
					wantState(t, "after", ts["after"].State, store.TaskQueued)
				}
				if n := x.waitCount(); n != 0 {
					t.Errorf("%d wait rows left, want 0", n)
				}
			})
		})
	}
}

func TestWaitUntilReached(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply(`name: sensor
params: {at: {default: "2020-01-01T00:00:00Z"}}
tasks:
  - name: at
    wait: {until: "${{ params.at }}"}
`)
		run := x.start("sensor", nil)
		x.startWaits()
		rt, err := x.e.RenderTask(x.ctx, run.ID, "at", 1)
		c, _ := rt.Payload.(*wait.Condition)
		if err != nil || c == nil || !strings.Contains(c.Describe(), "waiting for the time 2020-01-01T00:00:00Z") {
			t.Errorf("rendered %+v %v, want the wait's condition in words", rt, err)
		}
		if res := x.checkWaits(engine.WaitCheck{}); res.Met != 1 {
			t.Fatalf("check %+v, want the past time met", res)
		}
		wantState(t, "run", x.run(run.ID).State, store.RunSucceeded)
	})
}

func TestWaitHTTP(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		var ready atomic.Bool
		var calls atomic.Int64
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			if r.Header.Get("X-Region") != "eu" {
				http.Error(w, "no region", http.StatusBadRequest)
				return
			}
			if !ready.Load() {
				fmt.Fprint(w, "warming up")
				return
			}
			fmt.Fprint(w, "status: ready")
		}))
		defer srv.Close()
		check := engine.WaitCheck{HTTPClient: srv.Client()}
		x.apply(fmt.Sprintf(`name: sensor
params: {region: {default: eu}}
tasks:
  - name: api
    wait:
      http:
        url: %s/status
        headers: {X-Region: "${{ params.region }}"}
        status: 200
        body_contains: ready
      interval: 1s
`, srv.URL))
		run := x.start("sensor", nil)
		x.startWaits()
		if res := x.checkWaits(check); res.HTTP != 1 || res.Met != 0 || res.Pushed != 1 || calls.Load() != 1 {
			t.Fatalf("first check %+v after %d requests, want one HTTP check, not met", res, calls.Load())
		}
		ready.Store(true)
		x.checkUntil("the HTTP wait to succeed", check, func() bool {
			return x.tasks(run.ID)["api"].State == store.TaskSucceeded
		})
		wantState(t, "run", x.run(run.ID).State, store.RunSucceeded)
		if n := x.waitCount(); n != 0 {
			t.Errorf("%d wait rows left, want 0", n)
		}
	})
}

// Cancelling the run ends the wait: its attempt is cancelled with the
// run's, and the next check drops its row.
func TestWaitCancel(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply(`name: sensor
tasks:
  - name: never
    wait: {until: "2999-01-01T00:00:00Z"}
`)
		run := x.start("sensor", nil)
		x.startWaits()
		id := x.tasks(run.ID)["never"].AttemptID
		if err := x.e.CancelRun(x.ctx, run.ID, "user:test", ""); err != nil {
			t.Fatal(err)
		}
		wantState(t, "attempt", x.attempt(run.ID, id).State, store.AttemptCancelled)
		if n := x.waitCount(); n != 1 {
			t.Fatalf("%d wait rows, want 1 until the next check", n)
		}
		if res := x.checkWaits(engine.WaitCheck{}); res.Dropped != 1 {
			t.Errorf("check %+v, want the row dropped", res)
		}
		if n := x.waitCount(); n != 0 {
			t.Errorf("%d wait rows, want 0", n)
		}
	})
}
