package engine_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store"
)

// named registers a worker with a name, labels and capacity.
func (x *env) named(name, zone string, capacity float64, labels map[string]string) store.Worker {
	x.t.Helper()
	w, err := x.e.RegisterWorker(x.ctx, engine.WorkerSpec{Name: name, Zone: zone, Capacity: capacity, Labels: labels})
	if err != nil {
		x.t.Fatalf("register worker %s: %v", name, err)
	}
	return w
}

func (x *env) beat(w store.Worker, running ...int64) engine.Beat {
	x.t.Helper()
	b, err := x.e.Heartbeat(x.ctx, w.ID, running)
	if err != nil {
		x.t.Fatalf("heartbeat of %s: %v", w.Name, err)
	}
	return b
}

func taskNames(as []engine.Assignment) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.Task)
	}
	slices.Sort(out)
	return out
}

const constrained = `
name: constrained
defaults:
  zones: {deny: [c]}
tasks:
  - {name: anywhere, run: x, zones: {allow: [a, b, c]}}
  - {name: not-c, run: x}
  - {name: gpu-in-b, run: x, labels: {gpu: true}, zones: {allow: [b]}}
`

func TestClaimHonoursLabelsAndZones(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply(constrained)
		x.start("constrained", nil)
		c := x.named("c1", "c", 10, nil)
		bPlain := x.named("b1", "b", 10, map[string]string{"gpu": "false"})
		if got := taskNames(x.claim(c, 10)); !slices.Equal(got, []string{"anywhere"}) {
			t.Errorf("zone c claimed %v, want only the task that allows c", got)
		}
		if got := taskNames(x.claim(bPlain, 10)); !slices.Equal(got, []string{"not-c"}) {
			t.Errorf("zone b without a gpu claimed %v, want not-c", got)
		}
		a := x.named("a1", "a", 10, map[string]string{"gpu": "true"})
		if got := x.claim(a, 10); len(got) != 0 {
			t.Errorf("zone a with a gpu claimed %v, want nothing: gpu-in-b allows zone b only", taskNames(got))
		}
		// The constrained task waits (it never fails) until a worker fits.
		gpu := x.named("b2", "b", 10, map[string]string{"gpu": "true", "disk": "ssd"})
		if got := taskNames(x.claim(gpu, 10)); !slices.Equal(got, []string{"gpu-in-b"}) {
			t.Errorf("zone b with a gpu claimed %v, want gpu-in-b", got)
		}
	})
}

func TestRegisterRefusesBadZoneAndLabels(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		for _, spec := range []engine.WorkerSpec{
			{Zone: "a,b"},
			{Zone: "zone with spaces"},
			{Labels: map[string]string{"gpu type": "a100"}},
		} {
			if _, err := x.e.RegisterWorker(x.ctx, spec); !isInvalid(err) {
				t.Errorf("register %+v: %v, want an invalid request", spec, err)
			}
		}
	})
}

func TestCordonedZoneGetsNoNewWork(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply(chain)
		run := x.start("chain", nil)
		b := x.named("b1", "b", 4, nil)
		z, err := x.e.CordonZone(x.ctx, "b", true, "user:ops", "network maintenance")
		if err != nil || !z.Cordoned {
			t.Fatalf("cordon: %+v %v", z, err)
		}
		if got := x.claim(b, 10); len(got) != 0 {
			t.Errorf("a cordoned zone claimed %v", taskNames(got))
		}
		if _, err := x.e.CordonZone(x.ctx, "b", true, "user:ops", "again"); err != nil {
			t.Errorf("cordon twice: %v", err)
		}
		if _, err := x.e.CordonZone(x.ctx, "b", false, "user:ops", ""); err != nil {
			t.Fatal(err)
		}
		if got := taskNames(x.claim(b, 10)); !slices.Equal(got, []string{"a"}) {
			t.Errorf("after uncordon claimed %v, want a", got)
		}
		cordoned, uncordoned := x.events(0, "zone.cordoned"), x.events(0, "zone.uncordoned")
		if len(cordoned) != 1 || cordoned[0].Actor != "user:ops" || cordoned[0].Zone != "b" ||
			cordoned[0].Reason != "network maintenance" || len(uncordoned) != 1 {
			t.Errorf("events: cordoned %+v uncordoned %+v, want one each with actor and zone", cordoned, uncordoned)
		}
		if _, err := x.e.CordonZone(x.ctx, "nowhere", true, "user:ops", ""); !errors.Is(err, engine.ErrNotFound) {
			t.Errorf("cordon an unknown zone: %v, want ErrNotFound", err)
		}
		wantState(t, "run", x.run(run.ID).State, store.RunRunning)
	})
}

// loseIn claims the one-task run's task on a worker of zone and lets its
// lease expire, so the task is requeued avoiding that zone.
func (x *env) loseIn(zone string, keepAlive ...store.Worker) store.Run {
	x.t.Helper()
	x.apply("name: one\ntasks:\n  - {name: t, run: x}\n")
	run := x.start("one", nil)
	dead := x.named("dead-"+zone, zone, 1, nil)
	x.claimOne(dead)
	x.sweepUntil("the attempt to be lost", func() bool {
		for _, w := range keepAlive {
			x.beat(w)
		}
		return x.tasks(run.ID)["t"].State == store.TaskQueued
	})
	return run
}

func TestLostTaskPrefersAnotherZone(t *testing.T) {
	t.Run("while another zone can serve", func(t *testing.T) {
		eachStore(t, fastLeases, func(t *testing.T, x *env) {
			b := x.named("b1", "b", 4, nil)
			a := x.named("a1", "a", 4, nil)
			run := x.loseIn("b", a, b)
			if got := x.claim(b, 10); len(got) != 0 {
				t.Errorf("the zone that lost the attempt claimed it again at once, with zone a live")
			}
			got := x.claimOne(a)
			if got.Number != 2 {
				t.Errorf("attempt number %d, want 2", got.Number)
			}
			wantState(t, "task", x.tasks(run.ID)["t"].State, store.TaskRunning)
		})
	})
	t.Run("when no other zone can", func(t *testing.T) {
		eachStore(t, fastLeases, func(t *testing.T, x *env) {
			b := x.named("b1", "b", 4, nil)
			x.loseIn("b", b)
			if got := x.claim(b, 10); len(got) != 1 {
				t.Errorf("the only zone left did not take the task: %v", taskNames(got))
			}
		})
	})
	t.Run("after the avoid window", func(t *testing.T) {
		cfg := fastLeases
		cfg.AvoidWindow = time.Millisecond
		eachStore(t, cfg, func(t *testing.T, x *env) {
			b := x.named("b1", "b", 4, nil)
			a := x.named("a1", "a", 4, nil)
			x.loseIn("b", a, b)
			if got := x.claim(b, 10); len(got) != 1 {
				t.Errorf("after the window the avoided zone still cannot take the task: %v", taskNames(got))
			}
		})
	})
}

const twoKinds = `
name: two-kinds
tasks:
  - {name: copy, run: x}
  - {name: load, run: x, rerunnable: false}
`

func TestDrainWorkerWithReschedule(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply(twoKinds)
		run := x.start("two-kinds", nil)
		w := x.named("b1", "b", 4, nil)
		as := x.claim(w, 10)
		if len(as) != 2 {
			t.Fatalf("claimed %d, want 2", len(as))
		}
		for _, a := range as {
			x.report(w, engine.Report{AttemptID: a.AttemptID, Kind: engine.ReportStart})
		}
		byTask := map[string]engine.Assignment{as[0].Task: as[0], as[1].Task: as[1]}
		drained, err := x.e.DrainWorker(x.ctx, w.ID, engine.DrainOptions{Reschedule: true, Reason: "kernel upgrade"}, "user:ops")
		if err != nil || drained.State != store.WorkerDraining {
			t.Fatalf("drain: %+v %v", drained, err)
		}
		beat := x.beat(w, as[0].AttemptID, as[1].AttemptID)
		if beat.State != store.WorkerDraining || !slices.Equal(beat.Preempt, []int64{byTask["copy"].AttemptID}) || len(beat.Kill) != 0 {
			t.Errorf("heartbeat after drain: %+v, want draining and only the rerunnable attempt to preempt", beat)
		}
		// The worker stops it and says so; the task runs again elsewhere,
		// and the move counts neither as a failure nor as a loss.
		res := x.report(w, engine.Report{AttemptID: byTask["copy"].AttemptID, Kind: engine.ReportFinish,
			State: store.AttemptCancelled, Reason: "preempted"})
		if res[0].Status != engine.Accepted {
			t.Fatalf("cancelled report: %+v", res[0])
		}
		copyTask := x.tasks(run.ID)["copy"]
		if copyTask.State != store.TaskQueued || copyTask.Preempted != 1 || copyTask.Lost != 0 {
			t.Errorf("preempted task: %+v, want queued with preempted 1", copyTask)
		}
		if got := x.claim(w, 10); len(got) != 0 {
			t.Errorf("a draining worker claimed %v", taskNames(got))
		}
		other := x.named("a1", "a", 4, nil)
		if got := x.claimOne(other); got.Task != "copy" || got.Number != 2 {
			t.Errorf("elsewhere: %+v, want copy's attempt 2", got)
		}
		// The task that is not rerunnable finishes where it runs.
		if r := x.finish(w, byTask["load"], store.AttemptSucceeded, nil); r.Status != engine.Accepted {
			t.Errorf("finish of load on the draining worker: %+v", r)
		}
		if n := len(x.events(run.ID, "attempt.stop_requested")); n != 1 {
			t.Errorf("stop_requested events: %d, want 1", n)
		}
		if evs := x.events(0, "worker.draining"); len(evs) != 1 || evs[0].Actor != "user:ops" {
			t.Errorf("worker.draining events %+v, want one by user:ops", evs)
		}
		if err := x.e.StopWorker(x.ctx, w.ID, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := x.e.DrainWorker(x.ctx, w.ID, engine.DrainOptions{}, "user:ops"); !errors.Is(err, engine.ErrWorkerGone) {
			t.Errorf("drain of a stopped worker: %v, want ErrWorkerGone", err)
		}
	})
}

func TestDrainZone(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply(fanout(4))
		x.start("fanout", nil)
		b1, b2 := x.named("b1", "b", 4, nil), x.named("b2", "b", 4, nil)
		a := x.named("a1", "a", 4, nil)
		z, err := x.e.DrainZone(x.ctx, "b", engine.DrainOptions{Reason: "decommission"}, "user:ops")
		if err != nil || !z.Cordoned {
			t.Fatalf("drain zone: %+v %v", z, err)
		}
		for _, w := range []store.Worker{b1, b2} {
			if beat := x.beat(w); beat.State != store.WorkerDraining {
				t.Errorf("%s after the zone drain: %s", w.Name, beat.State)
			}
			if got := x.claim(w, 10); len(got) != 0 {
				t.Errorf("%s claimed %v", w.Name, taskNames(got))
			}
		}
		if got := x.claim(a, 10); len(got) != 1 {
			t.Errorf("zone a claimed %v, want the root task", taskNames(got))
		}
		if n := len(x.events(0, "worker.draining")); n != 2 {
			t.Errorf("worker.draining events: %d, want 2", n)
		}
	})
}

func TestZoneHealthAndAvailability(t *testing.T) {
	eachStore(t, fastLeases, func(t *testing.T, x *env) {
		var all []store.Worker
		for _, zone := range []string{"a", "b", "c"} {
			for _, n := range []string{"1", "2"} {
				all = append(all, x.named(zone+n, zone, 4, nil))
			}
		}
		if ch, err := x.e.RecordZoneHealth(x.ctx); err != nil || len(ch) != 0 {
			t.Fatalf("a healthy fleet: changes %v %v", ch, err)
		}
		live := func(ws ...store.Worker) []store.Worker { return ws }(all[0], all[1], all[4], all[5])
		x.sweepUntil("zone b's workers to be lost", func() bool {
			for _, w := range live {
				x.beat(w)
			}
			p, err := x.e.Placement(x.ctx)
			if err != nil {
				t.Fatal(err)
			}
			return zoneStatus(p, "b").Lost == 2
		})
		changes, err := x.e.RecordZoneHealth(x.ctx)
		if err != nil || len(changes) != 1 || changes[0] != (engine.ZoneChange{Zone: "b", OldState: "healthy", NewState: "down"}) {
			t.Fatalf("changes %v %v, want b down", changes, err)
		}
		if again, _ := x.e.RecordZoneHealth(x.ctx); len(again) != 0 {
			t.Errorf("recorded again: %v", again)
		}
		p, err := x.e.Placement(x.ctx)
		if err != nil {
			t.Fatal(err)
		}
		b, group := zoneStatus(p, "b"), p.Groups[0]
		if b.State != engine.ZoneDown || b.Availability() != 0 || b.RegisteredCU != 8 {
			t.Errorf("zone b: %+v, want down with 0 of 8 CU", b)
		}
		if group.Group != "default" || group.LiveCU != 16 || group.RegisteredCU != 24 {
			t.Errorf("group figures: %+v, want 16 of 24 CU", group)
		}
		if evs := x.events(0, "zone.down"); len(evs) != 1 || evs[0].Zone != "b" {
			t.Errorf("zone.down events: %+v", evs)
		}

		// One b worker comes back under its name: degraded; both: up.
		x.named("b1", "b", 4, nil)
		if ch, _ := x.e.RecordZoneHealth(x.ctx); len(ch) != 1 || ch[0].NewState != engine.ZoneDegraded {
			t.Errorf("one of two back: %v, want b degraded", ch)
		}
		x.named("b2", "b", 4, nil)
		if ch, _ := x.e.RecordZoneHealth(x.ctx); len(ch) != 1 || ch[0].NewState != engine.ZoneHealthy {
			t.Errorf("both back: %v, want b healthy", ch)
		}
		p, _ = x.e.Placement(x.ctx)
		if g := p.Groups[0]; g.Availability() != 1 || g.LiveCU != 24 {
			t.Errorf("after the return: %+v, want 24 of 24 CU", g)
		}
		if n := len(x.events(0, "zone.up")); n != 1 {
			t.Errorf("zone.up events: %d, want 1", n)
		}
	})
}

func zoneStatus(p engine.Placement, name string) engine.ZoneStatus {
	for _, z := range p.Zones {
		if z.Name == name {
			return z
		}
	}
	return engine.ZoneStatus{}
}

func TestSweepAfterOutageExtendsLeases(t *testing.T) {
	cfg := engine.Config{LeaseTTL: time.Second, ResumeAfter: 1500 * time.Millisecond}
	eachStore(t, cfg, func(t *testing.T, x *env) {
		x.apply("name: one\ntasks:\n  - {name: t, run: x}\n")
		run := x.start("one", nil)
		w := x.named("a1", "a", 1, nil)
		claimed := x.claimOne(w) // its start report is held up by the outage
		if res, err := x.e.Sweep(x.ctx); err != nil || res.Resumed != 0 {
			t.Fatalf("first sweep: %+v %v", res, err)
		}
		// No sweep and no heartbeat for longer than the lease and the
		// outage threshold, as when the database is down.
		deadline := time.Now().Add(10 * time.Second)
		for {
			var m store.LoopMark
			err := x.s.Read(x.ctx, func(tx store.Tx) (err error) { m, err = tx.Marks().Get(x.ctx, "sweep"); return err })
			if err != nil {
				t.Fatal(err)
			}
			if time.Duration(m.Now-m.At)*time.Millisecond > cfg.ResumeAfter {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the database clock did not move")
			}
			time.Sleep(20 * time.Millisecond) // poll interval
		}
		res, err := x.e.Sweep(x.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if res.Resumed < cfg.ResumeAfter || res.LeasesExtended != 1 || res.WorkersLost != 0 {
			t.Errorf("sweep after the outage: %+v, want the lease extended and nobody lost", res)
		}
		if n := len(x.events(0, "sweeper.resumed")); n != 1 {
			t.Errorf("sweeper.resumed events: %d, want 1", n)
		}
		// The attempt claimed before the outage gets its dispatch timeout
		// (2 × the lease) again: the next sweep does not lose it.
		if res, err := x.e.Sweep(x.ctx); err != nil || res.AttemptsLost != 0 || res.WorkersLost != 0 {
			t.Errorf("sweep right after the outage: %+v %v, want nothing lost", res, err)
		}
		x.beat(w, claimed.AttemptID) // the worker renews within its extended lease
		if r := x.finish(w, claimed, store.AttemptSucceeded, nil); r.Status != engine.Accepted {
			t.Errorf("the held-up reports after the outage: %+v, want accepted", r)
		}
		wantState(t, "run", x.run(run.ID).State, store.RunSucceeded)
		// Without heartbeats, regular sweeps find it lost a lease later.
		x.sweepUntil("the silent worker to be lost", func() bool {
			return len(x.events(0, "worker.lost")) == 1
		})
	})
}

func TestPriorityOrderWhenCapacityIsShort(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply(`
name: prio
tasks:
  - {name: low, run: x}
  - {name: high, run: x, priority: 5}
`)
		start := func(priority int64) store.Run {
			st, err := x.e.StartRun(x.ctx, engine.StartRequest{Workflow: "prio", Priority: priority, Actor: "user:test"})
			if err != nil {
				t.Fatal(err)
			}
			return st.Run
		}
		older, urgent, newer := start(0), start(10), start(0)
		w := x.named("a1", "a", 1, nil)
		type claimed struct {
			run  int64
			task string
		}
		var got []claimed
		for range 6 { // one CU: one task at a time
			a := x.claimOne(w)
			got = append(got, claimed{a.RunID, a.Task})
			x.finish(w, a, store.AttemptSucceeded, nil)
		}
		want := []claimed{
			{urgent.ID, "high"}, {urgent.ID, "low"}, // run priority first
			{older.ID, "high"}, {newer.ID, "high"}, // then task priority, then age
			{older.ID, "low"}, {newer.ID, "low"},
		}
		if !slices.Equal(got, want) {
			t.Errorf("placement order %v, want %v", got, want)
		}
	})
}
