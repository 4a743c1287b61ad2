package engine_test

import (
	"testing"

	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store"
)

// TestMetricsOfALostTask follows a task lost with its worker and run
// again elsewhere, and a task that fails, through the engine's metrics.
func TestMetricsOfALostTask(t *testing.T) {
	eachStore(t, fastLeases, func(t *testing.T, x *env) {
		x.apply(`
name: m
tasks:
  - name: moved
    run: ./a
  - name: bad
    run: ./b
`)
		run := x.start("m", nil)
		dead := x.worker("b", 2)
		var first engine.Assignment
		for _, a := range x.claim(dead, 2) {
			if a.Task == "moved" {
				first = a
				x.report(dead, engine.Report{AttemptID: a.AttemptID, Kind: engine.ReportStart})
			} else if r := x.finish(dead, a, store.AttemptFailed, nil); r.Status != engine.Accepted {
				t.Fatalf("finish of bad: %+v", r)
			}
		}
		alive := x.worker("a", 1)
		x.sweepUntil("the attempt to be lost", func() bool {
			if _, err := x.e.Heartbeat(x.ctx, alive.ID, nil); err != nil {
				t.Fatalf("heartbeat: %v", err)
			}
			return x.tasks(run.ID)["moved"].State == store.TaskQueued
		})
		if r := x.finish(alive, x.claimOne(alive), store.AttemptSucceeded, nil); r.Status != engine.Accepted {
			t.Fatalf("finish on the live worker: %+v", r)
		}
		x.report(dead, engine.Report{AttemptID: first.AttemptID, Kind: engine.ReportFinish, State: store.AttemptSucceeded})
		x.report(dead, engine.Report{AttemptID: 1 << 40, Kind: engine.ReportStart})
		if _, err := x.e.Heartbeat(x.ctx, dead.ID, nil); !isGone(err) {
			t.Fatalf("heartbeat of the lost worker: %v, want gone", err)
		}

		m := x.e.Metrics()
		if m.ClaimToRunning.Count != 3 {
			t.Errorf("claim to running: %d observations, want 3 (moved twice, bad)", m.ClaimToRunning.Count)
		}
		if m.Failover.Count != 1 || m.Failover.Sum <= 0 || m.Failover.Sum > 10 {
			t.Errorf("failover: %d observations, sum %gs, want one of a few seconds at most", m.Failover.Count, m.Failover.Sum)
		}
		if h := m.TaskDuration[store.TaskSucceeded]; h.Count != 1 || h.Sum < m.Failover.Sum {
			t.Errorf("duration of succeeded tasks: %d, sum %gs, want 1 lasting at least the failover (%gs)",
				h.Count, h.Sum, m.Failover.Sum)
		}
		if h := m.TaskDuration[store.TaskFailed]; h.Count != 1 || h.Buckets[engine.TaskDurationBuckets[len(engine.TaskDurationBuckets)-1]] != 1 {
			t.Errorf("duration of failed tasks: %+v, want 1 observation counted in the buckets", h)
		}
		if m.ReportsRefused["attempt_lost"] != 1 || m.ReportsRefused["unknown_attempt"] != 1 {
			t.Errorf("reports refused: %v, want attempt_lost 1 and unknown_attempt 1", m.ReportsRefused)
		}
		if m.RenewalsFailed["worker_gone"] != 1 {
			t.Errorf("renewals failed: %v, want worker_gone 1", m.RenewalsFailed)
		}
	})
}
