package engine_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store"
)

// Short leases so that expiry happens within a test; the sweeper is driven
// by the test.
var fastLeases = engine.Config{LeaseTTL: 300 * time.Millisecond, DispatchTimeout: time.Minute}

const loader = `
name: loader
tasks:
  - name: copy
    run: ./copy
  - name: load
    rerunnable: false
    run: ./load
`

func TestLostRerunnableTaskRunsElsewhere(t *testing.T) {
	eachStore(t, fastLeases, func(t *testing.T, x *env) {
		x.apply(`
name: copy
tasks:
  - name: copy
    run: ./copy
`)
		run := x.start("copy", nil)
		dead := x.worker("b", 1)
		first := x.claimOne(dead)
		x.report(dead, engine.Report{AttemptID: first.AttemptID, Kind: engine.ReportStart})
		alive := x.worker("a", 1)
		// The other worker keeps heartbeating; the dead one does not.
		x.sweepUntil("the attempt to be lost", func() bool {
			if _, err := x.e.Heartbeat(x.ctx, alive.ID, nil); err != nil {
				t.Fatalf("heartbeat: %v", err)
			}
			return x.tasks(run.ID)["copy"].State == store.TaskQueued
		})
		task := x.tasks(run.ID)["copy"]
		if task.Lost != 1 || task.AvoidZone != "b" || task.AvoidWorker != dead.ID {
			t.Errorf("requeued task: lost %d avoid %q/%q", task.Lost, task.AvoidWorker, task.AvoidZone)
		}
		second := x.claimOne(alive)
		if second.Number != 2 {
			t.Errorf("second attempt number %d", second.Number)
		}
		if r := x.finish(alive, second, store.AttemptSucceeded, nil); r.Status != engine.Accepted {
			t.Fatalf("finish on the live worker: %+v", r)
		}
		// The dead worker's late report is refused: it was superseded.
		late := x.report(dead, engine.Report{AttemptID: first.AttemptID, Kind: engine.ReportFinish,
			State: store.AttemptSucceeded})
		if late[0].Status != engine.Fenced || late[0].State != store.AttemptLost {
			t.Errorf("late report: %+v, want fenced (attempt lost)", late[0])
		}
		if n := len(x.events(run.ID, "attempt.report_refused")); n != 1 {
			t.Errorf("refused-report events: %d, want 1", n)
		}
		wantState(t, "run", x.run(run.ID).State, store.RunSucceeded)
		if _, err := x.e.Heartbeat(x.ctx, dead.ID, []int64{first.AttemptID}); !isGone(err) {
			t.Errorf("heartbeat of a lost worker: %v, want ErrWorkerGone", err)
		}
	})
}

func TestLostNonRerunnableTaskFails(t *testing.T) {
	eachStore(t, fastLeases, func(t *testing.T, x *env) {
		x.apply(loader)
		run := x.start("loader", nil)
		dead := x.worker("b", 2)
		as := x.claim(dead, 2)
		if len(as) != 2 {
			t.Fatalf("claimed %d, want 2", len(as))
		}
		x.sweepUntil("both attempts to be lost", func() bool {
			ts := x.tasks(run.ID)
			return ts["load"].State == store.TaskFailed && ts["copy"].State == store.TaskQueued
		})
		load := x.tasks(run.ID)["load"]
		if load.Reason != "lost" || load.Attempts != 1 {
			t.Errorf("load: reason %q attempts %d, want lost after 1", load.Reason, load.Attempts)
		}
		if n := len(x.events(run.ID, "alert.task_lost")); n != 1 {
			t.Errorf("alert events: %d, want 1", n)
		}
		alive := x.worker("a", 2)
		got := x.claim(alive, 2)
		if len(got) != 1 || got[0].Task != "copy" {
			t.Fatalf("after loss, claimable: %+v, want only copy (load must never restart)", got)
		}
		x.finish(alive, got[0], store.AttemptSucceeded, nil)
		wantState(t, "run", x.run(run.ID).State, store.RunFailed)
	})
}

func TestMaxLostBoundsLosses(t *testing.T) {
	cfg := fastLeases
	cfg.MaxLost = 2
	eachStore(t, cfg, func(t *testing.T, x *env) {
		x.apply(`
name: poison
tasks:
  - {name: p, run: ./crash-the-machine}
`)
		run := x.start("poison", nil)
		for i := 1; i <= 2; i++ {
			w := x.worker("a", 1)
			x.claimOne(w)
			x.sweepUntil("attempt to be lost", func() bool {
				return x.tasks(run.ID)["p"].Lost == int64(i) || x.tasks(run.ID)["p"].State == store.TaskFailed
			})
		}
		p := x.tasks(run.ID)["p"]
		wantState(t, "poison task", p.State, store.TaskFailed)
		if p.Reason != "lost: 2 attempts lost (max_lost 2)" {
			t.Errorf("reason %q", p.Reason)
		}
	})
}

func TestDispatchedButNeverStartedIsLost(t *testing.T) {
	cfg := engine.Config{LeaseTTL: time.Minute, DispatchTimeout: 100 * time.Millisecond}
	eachStore(t, cfg, func(t *testing.T, x *env) {
		x.apply(`
name: one
tasks:
  - {name: t, run: x}
`)
		run := x.start("one", nil)
		w := x.worker("a", 1)
		a := x.claimOne(w) // the response "never arrives": no start report
		// While the worker lists it as its own, it is not lost, however late.
		x.sweepUntil("the dispatch timeout to pass", func() bool {
			beat := x.beat(w, a.AttemptID)
			if len(beat.Kill) != 0 {
				t.Fatalf("heartbeat kill list %v while the worker has the attempt", beat.Kill)
			}
			var ls []store.LiveAttempt
			err := x.s.Read(x.ctx, func(tx store.Tx) (err error) { ls, err = tx.Attempts().Live(x.ctx, w.ID, 100, 0); return err })
			return err == nil && len(ls) == 1 && ls[0].Overdue
		})
		wantState(t, "task the worker has", x.tasks(run.ID)["t"].State, store.TaskRunning)
		// A heartbeat that does not list it says it never arrived.
		x.beat(w)
		wantState(t, "task", x.tasks(run.ID)["t"].State, store.TaskQueued)
		if evs := x.events(run.ID, "attempt.lost"); len(evs) != 1 || !strings.Contains(evs[0].Reason, "never received") {
			t.Errorf("attempt.lost events %+v", evs)
		}
	})
}

func TestStoppedWorkerAttemptsAreLostAtOnce(t *testing.T) {
	cfg := engine.Config{LeaseTTL: time.Hour}
	eachStore(t, cfg, func(t *testing.T, x *env) {
		x.apply(`
name: one
tasks:
  - {name: t, run: x}
`)
		run := x.start("one", nil)
		w := x.worker("a", 1)
		x.claimOne(w)
		if err := x.e.StopWorker(x.ctx, w.ID, nil); err != nil {
			t.Fatal(err)
		}
		// No sweep: the stop itself hands the task on, despite an hour-long lease.
		wantState(t, "task", x.tasks(run.ID)["t"].State, store.TaskQueued)
		if evs := x.events(run.ID, "attempt.lost"); len(evs) != 1 || evs[0].Reason != "worker shut down" {
			t.Errorf("attempt.lost events %+v", evs)
		}
	})
}

// TestStopCallsOffAttemptsTheWorkerNeverReceived: a worker that stops
// gives up the claim it has in flight, which may have committed all the
// same. Its stop lists what it holds: an attempt it holds is lost (a task
// that is not rerunnable fails), one still dispatched that it does not
// hold never reached it, so it is called off and its task, not rerunnable
// either, queued again without counting a loss; a stop that does not say
// what it holds loses both.
func TestStopCallsOffAttemptsTheWorkerNeverReceived(t *testing.T) {
	cfg := engine.Config{LeaseTTL: time.Hour}
	for _, says := range []bool{true, false} {
		t.Run(fmt.Sprintf("says what it holds %v", says), func(t *testing.T) {
			eachStore(t, cfg, func(t *testing.T, x *env) {
				x.apply(`
name: two
tasks:
  - {name: a, run: x, rerunnable: false}
  - {name: b, run: x, rerunnable: false}
`)
				run := x.start("two", nil)
				w := x.worker("a", 2)
				held, unreceived := x.claimOne(w), x.claimOne(w)
				var list []int64
				if says {
					list = []int64{held.AttemptID}
				}
				if err := x.e.StopWorker(x.ctx, w.ID, list); err != nil {
					t.Fatal(err)
				}
				ts := x.tasks(run.ID)
				wantState(t, "task held", ts[held.Task].State, store.TaskFailed)
				lost, cancelled := x.events(run.ID, "attempt.lost"), x.events(run.ID, "attempt.cancelled")
				if !says {
					wantState(t, "task never received", ts[unreceived.Task].State, store.TaskFailed)
					if len(lost) != 2 || len(cancelled) != 0 {
						t.Errorf("attempt.lost %d, attempt.cancelled %d events, want 2 and 0", len(lost), len(cancelled))
					}
					return
				}
				u := ts[unreceived.Task]
				wantState(t, "task never received", u.State, store.TaskQueued)
				if u.Lost != 0 || u.Preempted != 1 || u.AvoidWorker != "" {
					t.Errorf("task never received: lost %d, preempted %d, avoids %q; want 0, 1, none",
						u.Lost, u.Preempted, u.AvoidWorker)
				}
				if len(lost) != 1 || lost[0].AttemptID != held.AttemptID {
					t.Errorf("attempt.lost events %+v, want the held attempt's alone", lost)
				}
				if len(cancelled) != 1 || cancelled[0].AttemptID != unreceived.AttemptID ||
					!strings.Contains(cancelled[0].Reason, "never received") {
					t.Errorf("attempt.cancelled events %+v, want the unreceived attempt's, never received", cancelled)
				}
				again := x.claimOne(x.worker("b", 1))
				if again.Task != unreceived.Task || again.Number != 2 {
					t.Errorf("claimed %s attempt %d, want %s attempt 2", again.Task, again.Number, unreceived.Task)
				}
			})
		})
	}
}

func TestOrphanCheckCatchesAttemptsOfGoneWorkers(t *testing.T) {
	cfg := engine.Config{LeaseTTL: time.Hour, OrphanCheck: time.Nanosecond}
	eachStore(t, cfg, func(t *testing.T, x *env) {
		x.apply("name: one\ntasks:\n  - {name: t, run: x}\n")
		run := x.start("one", nil)
		w := x.worker("a", 1)
		x.claimOne(w)
		// A worker marked stopped behind the engine's back (an older
		// server, say) still holds its attempt: the safety net finds it.
		err := x.s.InTx(x.ctx, func(tx store.Tx) error {
			_, err := tx.Workers().SetState(x.ctx, w.ID, store.WorkerActive, store.WorkerStopped)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		res, err := x.e.Sweep(x.ctx)
		if err != nil || res.AttemptsLost != 1 {
			t.Fatalf("sweep: %+v %v, want the orphaned attempt lost", res, err)
		}
		wantState(t, "task", x.tasks(run.ID)["t"].State, store.TaskQueued)
	})
}
