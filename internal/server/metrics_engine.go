package server

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/baton-sched/baton/internal/engine"
)

// engineCollector exports what this server's engine measured: the
// transitions it committed and their timings.
type engineCollector struct {
	engine *engine.Engine
}

var (
	eventsDesc = prometheus.NewDesc("baton_events_total",
		"Transitions this server committed, by event kind (task.succeeded, attempt.lost, ...).", []string{"kind"}, nil)
	latenessDesc = prometheus.NewDesc("baton_schedule_lateness_seconds",
		"How long after its fire time (due time plus jitter) each run this server's schedule loop fired was created.",
		nil, nil)
	claimToRunningDesc = prometheus.NewDesc("baton_claim_to_running_seconds",
		"From an attempt's dispatch to a worker (its claim) to the worker's start report, for the attempts this server started.",
		nil, nil)
	failoverDesc = prometheus.NewDesc("baton_failover_seconds",
		"From a task's requeue after its attempt was lost to its next attempt running (lost to running again).",
		nil, nil)
	taskDurationDesc = prometheus.NewDesc("baton_task_duration_seconds",
		"From a task's first dispatch to the end of its last attempt, for the tasks that ran and ended on this server, by final state.",
		[]string{"state"}, nil)
	reportsRefusedDesc = prometheus.NewDesc("baton_reports_refused_total",
		"Worker reports refused (fenced) because their attempt is no longer live on that worker, by reason "+
			"(unknown_attempt, other_worker, attempt_<state>).", []string{"reason"}, nil)
	renewalsFailedDesc = prometheus.NewDesc("baton_lease_renewals_failed_total",
		"Worker lease renewals (heartbeats) this server refused or could not commit, by reason (worker_gone, error).",
		[]string{"reason"}, nil)
	redeliveredDesc = prometheus.NewDesc("baton_attempts_redelivered_total",
		"Attempts this server sent again to their worker because the answer of the claim that dispatched them "+
			"did not reach it (event attempt.redelivered).", nil, nil)
	gateWaitDesc = prometheus.NewDesc("baton_write_gate_wait_seconds",
		"How long the claims, reports and starts of this server waited for a permit of the write gate "+
			"(max_write_tx) before their transaction began, by class (claim, report, start).",
		[]string{"class"}, nil)
)

func (c engineCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{eventsDesc, latenessDesc, claimToRunningDesc, failoverDesc,
		taskDurationDesc, reportsRefusedDesc, renewalsFailedDesc, redeliveredDesc, gateWaitDesc} {
		ch <- d
	}
}

func (c engineCollector) Collect(ch chan<- prometheus.Metric) {
	for kind, n := range c.engine.Counts() {
		ch <- prometheus.MustNewConstMetric(eventsDesc, prometheus.CounterValue, float64(n), kind)
	}
	m := c.engine.Metrics()
	hist := func(d *prometheus.Desc, h engine.Histogram, labels ...string) {
		ch <- prometheus.MustNewConstHistogram(d, h.Count, h.Sum, h.Buckets, labels...)
	}
	hist(latenessDesc, m.Lateness)
	hist(claimToRunningDesc, m.ClaimToRunning)
	hist(failoverDesc, m.Failover)
	for state, h := range m.TaskDuration {
		hist(taskDurationDesc, h, state)
	}
	for class, h := range m.GateWait {
		hist(gateWaitDesc, h, class)
	}
	// Known reasons are exported at 0 so that rate() sees their first one.
	refused := map[string]int64{"unknown_attempt": 0, "other_worker": 0}
	for r, n := range m.ReportsRefused {
		refused[r] = n
	}
	for r, n := range refused {
		ch <- prometheus.MustNewConstMetric(reportsRefusedDesc, prometheus.CounterValue, float64(n), r)
	}
	renew := map[string]int64{"worker_gone": 0, "error": 0}
	for r, n := range m.RenewalsFailed {
		renew[r] = n
	}
	for r, n := range renew {
		ch <- prometheus.MustNewConstMetric(renewalsFailedDesc, prometheus.CounterValue, float64(n), r)
	}
	ch <- prometheus.MustNewConstMetric(redeliveredDesc, prometheus.CounterValue,
		float64(c.engine.Count(engine.EventRedelivered)))
}
