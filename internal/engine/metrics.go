package engine

import (
	"maps"
	"strings"
	"sync"

	"github.com/baton-sched/baton/internal/store"
)

// The engine measures what its transitions show (it holds no metrics
// library: the server exports these as Prometheus metrics). A transaction
// collects its observations; they count once it commits.

// Histogram is a snapshot of a histogram: how many observations, their
// sum in seconds, and per upper bound how many were at most that.
type Histogram struct {
	Count   uint64
	Sum     float64
	Buckets map[float64]uint64 // cumulative
}

// Bucket upper bounds, in seconds, of the engine's histograms.
var (
	LatenessBuckets       = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300}
	ClaimToRunningBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}
	FailoverBuckets       = []float64{0.25, 0.5, 1, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 60, 120, 300}
	TaskDurationBuckets   = []float64{0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 1800, 3600, 7200, 14400, 43200, 86400}
)

// Metrics is a snapshot of what this engine measured since it started.
type Metrics struct {
	// Lateness: how long after its fire time (due time plus jitter) each
	// run the schedule loop fired was created.
	Lateness Histogram
	// ClaimToRunning: from an attempt's dispatch (its claim) to its
	// worker's start report.
	ClaimToRunning Histogram
	// Failover: from a task's requeue after a lost attempt to its next
	// attempt running.
	Failover Histogram
	// TaskDuration by final state (succeeded, failed): from the task's
	// first dispatch to the end of its last attempt.
	TaskDuration map[string]Histogram
	// ReportsRefused: worker reports refused (fenced), by reason:
	// unknown_attempt, other_worker, or attempt_<state> for an attempt
	// that already moved on.
	ReportsRefused map[string]int64
	// RenewalsFailed: lease renewals (heartbeats) that failed, by reason:
	// worker_gone (the worker was declared lost or stopped) or error (not
	// counted when the caller went away first).
	RenewalsFailed map[string]int64
	// GateWait by class (claim, report, start): how long the calls that
	// pass the write gate waited for a permit (see gate.go); empty when
	// the gate is off.
	GateWait map[string]Histogram
}

type histKind int

const (
	histLateness histKind = iota
	histClaimToRunning
	histFailover
	histTaskDuration
	histGateWait
)

var histBuckets = map[histKind][]float64{
	histLateness: LatenessBuckets, histClaimToRunning: ClaimToRunningBuckets,
	histFailover: FailoverBuckets, histTaskDuration: TaskDurationBuckets, histGateWait: GateWaitBuckets,
}

// observation is one measure a transaction took, counted at commit.
type observation struct {
	kind    histKind
	label   string
	seconds float64
}

type histKey struct {
	kind  histKind
	label string
}

type hist struct {
	count  uint64
	sum    float64
	counts []uint64 // per bucket, not cumulative
}

type meter struct {
	mu      sync.Mutex
	hists   map[histKey]*hist
	refused map[string]int64
	renew   map[string]int64
}

func (m *meter) observe(obs []observation, refused []string) {
	if len(obs) == 0 && len(refused) == 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, o := range obs {
		k := histKey{o.kind, o.label}
		h := m.hists[k]
		if h == nil {
			if m.hists == nil {
				m.hists = map[histKey]*hist{}
			}
			h = &hist{counts: make([]uint64, len(histBuckets[o.kind]))}
			m.hists[k] = h
		}
		h.count++
		h.sum += o.seconds
		for i, ub := range histBuckets[o.kind] {
			if o.seconds <= ub {
				h.counts[i]++
				break
			}
		}
	}
	for _, r := range refused {
		if m.refused == nil {
			m.refused = map[string]int64{}
		}
		m.refused[r]++
	}
}

func (m *meter) renewFailed(reason string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.renew == nil {
		m.renew = map[string]int64{}
	}
	m.renew[reason]++
}

func (m *meter) snapshot(k histKey) Histogram {
	bounds := histBuckets[k.kind]
	h := m.hists[k]
	out := Histogram{Buckets: make(map[float64]uint64, len(bounds))}
	var cum uint64
	for i, ub := range bounds {
		if h != nil {
			cum += h.counts[i]
		}
		out.Buckets[ub] = cum
	}
	if h != nil {
		out.Count, out.Sum = h.count, h.sum
	}
	return out
}

// Metrics returns what this engine measured since it started.
func (e *Engine) Metrics() Metrics {
	m := &e.meter
	m.mu.Lock()
	defer m.mu.Unlock()
	out := Metrics{
		Lateness:       m.snapshot(histKey{kind: histLateness}),
		ClaimToRunning: m.snapshot(histKey{kind: histClaimToRunning}),
		Failover:       m.snapshot(histKey{kind: histFailover}),
		TaskDuration:   map[string]Histogram{},
		ReportsRefused: maps.Clone(m.refused),
		RenewalsFailed: maps.Clone(m.renew),
	}
	for _, st := range []string{store.TaskSucceeded, store.TaskFailed} {
		out.TaskDuration[st] = m.snapshot(histKey{histTaskDuration, st})
	}
	if e.gate.n > 0 {
		out.GateWait = map[string]Histogram{}
		for _, c := range GateClasses {
			out.GateWait[c] = m.snapshot(histKey{histGateWait, c})
		}
	}
	return out
}

// observe records a measure of this transaction, in milliseconds of the
// database clock (negative values, from clock steps, count as 0).
func (o *op) observe(kind histKind, label string, ms int64) {
	o.obs = append(o.obs, observation{kind: kind, label: label, seconds: float64(max(ms, 0)) / 1000})
}

// taskEnded records the duration of a task that ran and ended in state.
func (o *op) taskEnded(task store.Task, a store.Attempt, state string) {
	if task.StartedAt > 0 && a.FinishedAt > 0 {
		o.observe(histTaskDuration, state, a.FinishedAt-task.StartedAt)
	}
}

// refused counts a worker report refused, with its reason (see
// Metrics.ReportsRefused); a is the attempt, if found.
func (o *op) refused(a *store.Attempt, workerID string) {
	reason := "unknown_attempt"
	switch {
	case a == nil:
	case a.WorkerID != workerID:
		reason = "other_worker"
	default:
		reason = "attempt_" + a.State
	}
	o.refusals = append(o.refusals, reason)
}

// firedBySchedule reports whether the schedule loop created a run (not a
// trigger or a backfill, whose due times are not when they were asked for).
func firedBySchedule(r store.ScheduledRun) bool { return strings.HasPrefix(r.CreatedBy, "schedule:") }
