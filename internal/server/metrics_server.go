package server

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// observability is what a server exports at /metrics beyond the engine's
// figures: its requests, its loops, whether it leads, and the figures the
// stats loop reads from the database.
type observability struct {
	reg   *prometheus.Registry
	http  *httpMetrics
	loops *prometheus.HistogramVec
	stats *stateStats
}

func (s *Server) newObservability() *observability {
	o := &observability{reg: newRegistry(s.engine, s.build), stats: newStateStats(s.engine, s.log)}
	o.http = newHTTPMetrics(o.reg)
	o.loops = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "baton_loop_duration_seconds",
		Help: "Time one pass of a background loop took, by loop; its count rises with every pass, so a " +
			"flat count means the loop does not run (leader-only loops count on the leader alone).",
		Buckets: []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15}},
		[]string{"loop"})
	leader := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "baton_leader",
		Help: "1 while this server holds the loops' leader lease (zone monitor, vacuum), else 0."},
		func() float64 { return boolValue(s.elector != nil && s.elector.Leading()) })
	authChecks := prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "baton_auth_checks_total",
		Help: "Credentials this server has checked (every request but the anonymous routes)."},
		func() float64 { n, _ := s.AuthCost(); return float64(n) })
	authTime := prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "baton_auth_seconds_total",
		Help: "Time this server spent checking credentials (cache, database look-ups, permissions)."},
		func() float64 { _, d := s.AuthCost(); return d.Seconds() })
	o.reg.MustRegister(o.loops, leader, o.stats, authChecks, authTime)
	return o
}

// timed returns fn, timed as loop name.
func (o *observability) timed(name string, fn func(ctx context.Context)) func(ctx context.Context) {
	h := o.loops.WithLabelValues(name)
	return func(ctx context.Context) {
		start := time.Now()
		fn(ctx)
		h.Observe(time.Since(start).Seconds())
	}
}

// timeLoops times the passes of the server's loops; the leader-only ones
// are timed where they are built, so that only their work counts.
func (s *Server) timeLoops() {
	o := s.obs
	s.sweeper.run = o.timed("sweeper", s.sweeper.run)
	s.elector.run = o.timed("elector", s.elector.run)
	s.alerter.run = o.timed("alerts", s.alerter.run)
	s.subflows.run = o.timed("subworkflows", s.subflows.run)
	s.waiter.run = o.timed("waits", s.waiter.run)
	s.prober.run = o.timed("commit_probe", s.prober.run)
	s.retainer.run = o.timed("retention", s.retainer.run)
	s.scheduler.timed = o.timed
	s.statsLoop = &loop{interval: statsInterval, run: o.timed("stats", o.stats.run)}
}
