package engine_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store"
)

const gateFlow = "name: gated\ntasks:\n  - {name: a, noop: true}\n"

// holdGate takes every permit of a gate of n, released at the test's end
// unless the caller releases them first.
func holdGate(t *testing.T, e *engine.Engine, n int) []func() {
	t.Helper()
	var rel []func()
	for range n {
		_, release, err := e.EnterGate(t.Context())
		if err != nil {
			t.Fatalf("take a permit: %v", err)
		}
		var once sync.Once
		r := func() { once.Do(release) }
		rel = append(rel, r)
		t.Cleanup(r)
	}
	return rel
}

// While every permit is taken, heartbeats are served, and claims, reports
// and starts wait within their context and change nothing; a released
// permit lets a waiting claim through.
func TestWriteGateSaturated(t *testing.T) {
	t.Parallel()
	eachStore(t, engine.Config{MaxWriteTx: 2}, func(t *testing.T, x *env) {
		x.apply(gateFlow)
		run := x.start("gated", nil)
		w := x.worker("z1", 4)
		rel := holdGate(t, x.e, 2)

		hctx, cancel := context.WithTimeout(x.ctx, time.Minute)
		defer cancel()
		if _, err := x.e.Heartbeat(hctx, w.ID, nil); err != nil {
			t.Fatalf("heartbeat while the gate is full: %v", err)
		}

		short, cancelShort := context.WithTimeout(x.ctx, 20*time.Millisecond)
		defer cancelShort()
		if as, err := x.e.Claim(short, engine.ClaimRequest{WorkerID: w.ID, Max: 1, FreeCU: 4}); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("claim while the gate is full: %d assignments, err %v; want the context's deadline", len(as), err)
		}
		gone, cancelGone := context.WithCancel(x.ctx)
		cancelGone()
		if _, err := x.e.StartRun(gone, engine.StartRequest{Workflow: "gated", Actor: "user:test"}); !errors.Is(err, context.Canceled) {
			t.Fatalf("start with a cancelled context while the gate is full: err %v, want context.Canceled", err)
		}
		if _, err := x.e.Report(gone, w.ID, []engine.Report{{AttemptID: 1, Kind: engine.ReportStart}}); !errors.Is(err, context.Canceled) {
			t.Fatalf("report with a cancelled context while the gate is full: err %v, want context.Canceled", err)
		}
		if got := x.tasks(run.ID)["a"].State; got != store.TaskQueued {
			t.Fatalf("task after the refused claim: %s, want %s", got, store.TaskQueued)
		}
		if runs := x.runsOf("gated"); len(runs) != 1 {
			t.Fatalf("runs after the refused start: %d, want 1", len(runs))
		}

		type result struct {
			as  []engine.Assignment
			err error
		}
		done := make(chan result, 1)
		go func() {
			as, err := x.e.Claim(hctx, engine.ClaimRequest{WorkerID: w.ID, Max: 1, FreeCU: 4})
			done <- result{as, err}
		}()
		rel[0]()
		select {
		case r := <-done:
			if r.err != nil || len(r.as) != 1 {
				t.Fatalf("claim after a permit was released: %d assignments, err %v; want 1", len(r.as), r.err)
			}
		case <-hctx.Done():
			t.Fatal("claim still waiting after a permit was released")
		}

		m := x.e.Metrics().GateWait
		if m[engine.GateClaim].Count < 2 || m[engine.GateStart].Count < 2 || m[engine.GateReport].Count < 1 {
			t.Errorf("gate waits observed: claim %d, start %d, report %d; want at least 2, 2, 1",
				m[engine.GateClaim].Count, m[engine.GateStart].Count, m[engine.GateReport].Count)
		}
	})
}

// A call whose context already holds a permit takes no second one, so a
// gated call made within another cannot deadlock on the gate.
func TestWriteGateReentrant(t *testing.T) {
	t.Parallel()
	eachStore(t, engine.Config{MaxWriteTx: 1}, func(t *testing.T, x *env) {
		x.apply(gateFlow)
		x.start("gated", nil)
		w := x.worker("z1", 4)
		held, release, err := x.e.EnterGate(x.ctx)
		if err != nil {
			t.Fatalf("take the permit: %v", err)
		}
		defer release()
		ctx, cancel := context.WithTimeout(held, time.Minute)
		defer cancel()
		as, err := x.e.Claim(ctx, engine.ClaimRequest{WorkerID: w.ID, Max: 1, FreeCU: 4})
		if err != nil || len(as) != 1 {
			t.Fatalf("claim holding the permit: %d assignments, err %v; want 1", len(as), err)
		}
	})
}

// Workers claiming and reporting at once through a gate of one finish
// every run.
func TestWriteGateConcurrent(t *testing.T) {
	t.Parallel()
	eachStore(t, engine.Config{MaxWriteTx: 1}, func(t *testing.T, x *env) {
		x.apply(gateFlow)
		const runs = 40
		for range runs {
			x.start("gated", nil)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for i := range 4 {
			w := x.worker(string(rune('a'+i)), 4)
			wg.Go(func() {
				for {
					as, err := x.e.Claim(x.ctx, engine.ClaimRequest{WorkerID: w.ID, Max: 3, FreeCU: 4})
					if err != nil || len(as) == 0 {
						errs <- err
						return
					}
					var rs []engine.Report
					for _, a := range as {
						rs = append(rs, engine.Report{AttemptID: a.AttemptID, Kind: engine.ReportStart},
							engine.Report{AttemptID: a.AttemptID, Kind: engine.ReportFinish, State: store.AttemptSucceeded})
					}
					if _, err := x.e.Report(x.ctx, w.ID, rs); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("worker: %v", err)
			}
		}
		for _, r := range x.runsOf("gated") {
			if r.State != store.RunSucceeded {
				t.Errorf("run %d: %s, want %s", r.ID, r.State, store.RunSucceeded)
			}
		}
	})
}

func TestDefaultWriteTx(t *testing.T) {
	for _, c := range []struct{ pool, procs, want int }{
		{16, 2, 4}, {16, 8, 8}, {4, 2, 2}, {1, 1, 2}, {0, 3, 6}, {100, 16, 32},
	} {
		if got := engine.DefaultWriteTx(c.pool, c.procs); got != c.want {
			t.Errorf("DefaultWriteTx(%d, %d) = %d, want %d", c.pool, c.procs, got, c.want)
		}
	}
}
