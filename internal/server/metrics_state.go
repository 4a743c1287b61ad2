package server

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/baton-sched/baton/client/vocab"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store"
)

// statsInterval is how often a server reads the queue and outbox figures
// it exports: a scrape reads the last figures, never the database.
const statsInterval = 5 * time.Second

var (
	queueDesc = prometheus.NewDesc("baton_queue_tasks",
		"Queued tasks (ready, not held), by group and allowed zones (any: no zone constraint).",
		[]string{"group", "zone"}, nil)
	queueOldestDesc = prometheus.NewDesc("baton_queue_oldest_seconds",
		"How long the oldest queued task has been ready, by group and allowed zones.", []string{"group", "zone"}, nil)
	alertsDesc = prometheus.NewDesc("baton_alerts_undelivered",
		"Alerts in the outbox, not delivered: pending (still tried) or failed (given up).", []string{"state"}, nil)
	alertsOldestDesc = prometheus.NewDesc("baton_alerts_undelivered_oldest_seconds",
		"Age of the oldest undelivered alert, by state.", []string{"state"}, nil)
	sweepAgeDesc = prometheus.NewDesc("baton_sweep_age_seconds",
		"Time since any server last swept (expired leases): above a few seconds, no server is sweeping.", nil, nil)
	statsAgeDesc = prometheus.NewDesc("baton_stats_refreshed_timestamp_seconds",
		"When this server last read the queue, outbox and sweep figures from the database (Unix time).", nil, nil)
	poolConnsDesc = prometheus.NewDesc("baton_db_pool_connections",
		"Database connections of this server, by pool and state (in_use, idle, max).", []string{"pool", "state"}, nil)
	poolWaitsDesc = prometheus.NewDesc("baton_db_pool_waits_total",
		"Connection acquisitions that found none free and waited, by pool.", []string{"pool"}, nil)
	poolWaitDesc = prometheus.NewDesc("baton_db_pool_wait_seconds_total",
		"Total time spent waiting for a free connection, by pool.", []string{"pool"}, nil)
)

// stateStats holds the figures the stats loop last read: the queue per
// group and zone, the outbox, the sweep's age. Groups and zones seen once
// stay exported (at 0 when empty) so that their series do not vanish.
type stateStats struct {
	engine *engine.Engine
	log    *slog.Logger

	mu      sync.Mutex
	queue   map[[2]string]store.QueueDepth
	alerts  map[string]store.AlertBacklog
	sweepMs int64 // -1: no sweep yet
	at      time.Time
}

func newStateStats(e *engine.Engine, log *slog.Logger) *stateStats {
	return &stateStats{engine: e, log: log, queue: map[[2]string]store.QueueDepth{},
		alerts: map[string]store.AlertBacklog{}}
}

// RunOnce reads the figures in one read transaction.
func (s *stateStats) RunOnce(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, statsInterval)
	defer cancel()
	var queue []store.QueueDepth
	var alerts []store.AlertBacklog
	var mark store.LoopMark
	err := s.engine.Store().Read(ctx, func(tx store.Tx) error {
		var err error
		if queue, err = tx.Stats().QueueDepth(ctx); err != nil {
			return err
		}
		if alerts, err = tx.Stats().UndeliveredAlerts(ctx); err != nil {
			return err
		}
		mark, err = tx.Marks().Get(ctx, "sweep")
		return err
	})
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, q := range s.queue {
		s.queue[k] = store.QueueDepth{Group: q.Group, ZonesAllow: q.ZonesAllow}
	}
	for _, q := range queue {
		s.queue[[2]string{q.Group, q.ZonesAllow}] = q
	}
	s.alerts = map[string]store.AlertBacklog{vocab.AlertPending: {State: vocab.AlertPending}, vocab.AlertFailed: {State: vocab.AlertFailed}}
	for _, a := range alerts {
		s.alerts[a.State] = a
	}
	s.sweepMs, s.at = -1, time.Now()
	if mark.At > 0 { // 0: no server swept yet (a new database)
		s.sweepMs = mark.Now - mark.At
	}
	return nil
}

func (s *stateStats) run(ctx context.Context) {
	if err := s.RunOnce(ctx); err != nil && ctx.Err() == nil {
		s.log.Warn("read the queue and outbox figures for /metrics", "err", err)
	}
}

func (s *stateStats) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{queueDesc, queueOldestDesc, alertsDesc, alertsOldestDesc, sweepAgeDesc,
		statsAgeDesc, poolConnsDesc, poolWaitsDesc, poolWaitDesc} {
		ch <- d
	}
}

func (s *stateStats) Collect(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	if p, ok := s.engine.Store().(store.Pooled); ok {
		for _, st := range p.PoolStats() {
			gauge(poolConnsDesc, float64(st.InUse), st.Name, "in_use")
			gauge(poolConnsDesc, float64(st.Idle), st.Name, "idle")
			gauge(poolConnsDesc, float64(st.Max), st.Name, "max")
			ch <- prometheus.MustNewConstMetric(poolWaitsDesc, prometheus.CounterValue, float64(st.Waits), st.Name)
			ch <- prometheus.MustNewConstMetric(poolWaitDesc, prometheus.CounterValue, st.Wait.Seconds(), st.Name)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.at.IsZero() {
		return // not read yet
	}
	for _, q := range s.queue {
		zone := strings.Trim(q.ZonesAllow, ",")
		if zone == "" {
			zone = "any"
		}
		gauge(queueDesc, float64(q.Tasks), q.Group, zone)
		gauge(queueOldestDesc, float64(q.OldestMs)/1000, q.Group, zone)
	}
	for _, a := range s.alerts {
		gauge(alertsDesc, float64(a.Alerts), a.State)
		gauge(alertsOldestDesc, float64(a.OldestMs)/1000, a.State)
	}
	if s.sweepMs >= 0 {
		gauge(sweepAgeDesc, float64(s.sweepMs)/1000)
	}
	gauge(statsAgeDesc, float64(s.at.UnixNano())/1e9)
}
