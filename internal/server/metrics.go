package server

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/engine"
)

// placementCollector exports zone health and capacity, read from the
// database at each scrape, so every server reports the same figures.
type placementCollector struct {
	engine *engine.Engine
}

var (
	zoneStateDesc = prometheus.NewDesc("baton_zone_state",
		"1 for the zone's current health state (healthy, degraded, down), 0 for the others.",
		[]string{"zone", "state"}, nil)
	zoneWorkersDesc = prometheus.NewDesc("baton_zone_workers",
		"Workers of the zone: live, or lost recently and not back.", []string{"zone", "status"}, nil)
	zoneCordonedDesc = prometheus.NewDesc("baton_zone_cordoned",
		"1 when the zone is cordoned (no new placements).", []string{"zone"}, nil)
	capacityDesc = prometheus.NewDesc("baton_capacity_cu",
		"Capacity in CU per zone and group: live, registered (live plus lost, not replaced) and used.",
		[]string{"zone", "group", "kind"}, nil)
	availabilityDesc = prometheus.NewDesc("baton_availability_ratio",
		"Resource availability ratio, live CU / registered CU, per group over all zones.", []string{"group"}, nil)
	zoneAvailabilityDesc = prometheus.NewDesc("baton_zone_availability_ratio",
		"Resource availability ratio, live CU / registered CU, per zone.", []string{"zone"}, nil)
)

func (c placementCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{zoneStateDesc, zoneWorkersDesc, zoneCordonedDesc, capacityDesc,
		availabilityDesc, zoneAvailabilityDesc} {
		ch <- d
	}
}

func (c placementCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p, err := c.engine.Placement(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(zoneStateDesc, err)
		return
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for _, z := range p.Zones {
		for _, st := range []string{engine.ZoneHealthy, engine.ZoneDegraded, engine.ZoneDown} {
			gauge(zoneStateDesc, boolValue(z.State == st), z.Name, st)
		}
		gauge(zoneWorkersDesc, float64(z.Workers), z.Name, "live")
		gauge(zoneWorkersDesc, float64(z.Lost), z.Name, "lost")
		gauge(zoneCordonedDesc, boolValue(z.Cordoned), z.Name)
		gauge(zoneAvailabilityDesc, z.Availability(), z.Name)
		for _, g := range z.Groups {
			gauge(capacityDesc, g.LiveCU, z.Name, g.Group, "live")
			gauge(capacityDesc, g.RegisteredCU, z.Name, g.Group, "registered")
			gauge(capacityDesc, g.UsedCU, z.Name, g.Group, "used")
		}
	}
	for _, g := range p.Groups {
		gauge(availabilityDesc, g.Availability(), g.Group)
	}
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// newRegistry returns the registry /metrics serves: Go and process
// metrics and Baton's own. Each server has its own, so several servers
// may live in one process (tests, baton dev).
func newRegistry(e *engine.Engine, build client.BuildInfo) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		placementCollector{engine: e}, engineCollector{engine: e}, buildInfoGauge(build), serversCollector{st: e.Store()})
	return reg
}

// buildInfoGauge is baton_build_info, 1, labelled with the build: during a
// rolling upgrade it shows which server runs which version.
func buildInfoGauge(b client.BuildInfo) prometheus.Gauge {
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "baton_build_info",
		Help:        "Always 1; the labels name the build this server runs.",
		ConstLabels: prometheus.Labels{"version": b.Version, "commit": b.Commit, "goversion": b.GoVersion}})
	g.Set(1)
	return g
}
