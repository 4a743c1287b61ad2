package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"time"
)

// Features the features scenario switches off one at a time: what each
// costs the noop scenario. The first two are the measurement config
// section's switches; TLS is the server's and workers' (authentication
// has no switch: its share is measured, see FeatureCost.AuthTLSCPU).
const (
	featureDeadlines = "deadlines"       // engine transaction and PostgreSQL session timeouts
	featureHedging   = "hedged_renewals" // heartbeats hedged to the next server
	featureTLS       = "tls"             // HTTPS, mTLS for the workers
)

// featureList is the order of a features round: everything on, then each
// feature off.
var featureList = []string{"", featureDeadlines, featureHedging, featureTLS}

// featureServers is how many servers a features environment runs: two,
// so that a heartbeat not answered in time has another server to be
// hedged to (the workers spread over both).
const featureServers = 2

// FeatureCost is what this round's features cost: the noop scenario and
// dispatch latency at lowRate with every feature on and with each one
// off, in FeatureRounds interleaved rounds, each on a fresh database with
// two servers; per feature, the medians with it over those without it.
type FeatureCost struct {
	Rounds []FeatureRound `json:"rounds"`
	// Ratios maps a feature to its ratios, on over off.
	Ratios map[string]FeatureRatio `json:"ratios"`
	// AuthTLSCPU is what authentication and TLS together cost: the
	// median CPU per task with everything on over the median of the TLS-off
	// rounds' CPU per task less their time checking credentials (the
	// server cannot run without authentication, so its share is measured
	// inside the rounds). AuthShare is that share's median in the TLS-off
	// rounds. Both 0 without CPU figures (SQLite).
	AuthTLSCPU float64 `json:"auth_tls_cpu_per_task_ratio,omitempty"`
	AuthShare  float64 `json:"auth_share,omitempty"`
}

// FeatureRound is one measurement: Off names the feature switched off, ""
// for none.
type FeatureRound struct {
	Off        string  `json:"off,omitempty"`
	PerSecond  float64 `json:"per_second"`
	CPUPerTask float64 `json:"cpu_per_task_us,omitempty"`
	IdleInTx   float64 `json:"idle_in_tx_mean,omitempty"`
	// AuthPerTask is the servers' time checking credentials during the
	// sustained run, per task, in microseconds.
	AuthPerTask float64 `json:"auth_per_task_us"`
	Latency     Summary `json:"latency"`
	LoadAvg     float64 `json:"load_average"`
}

// FeatureRatio is a feature's cost: the medians with it over without it
// (0 where either is missing).
type FeatureRatio struct {
	Throughput float64 `json:"throughput"`
	CPUPerTask float64 `json:"cpu_per_task,omitempty"`
	LatencyP99 float64 `json:"latency_p99"`
}

func featureCost(ctx context.Context, cfg Config) (*FeatureCost, error) {
	out := &FeatureCost{Ratios: map[string]FeatureRatio{}}
	for i := range cfg.FeatureRounds {
		for _, off := range featureList {
			r, err := featureRound(ctx, cfg, i, off)
			if err != nil {
				return nil, fmt.Errorf("round %d (%s off): %w", i+1, offName(off), err)
			}
			cfg.Progress("%s: features round %d, %s off: %s, dispatch p99 %v", cfg.Store, i+1, offName(off),
				perSecond(r.PerSecond), short(r.Latency.P99))
			out.Rounds = append(out.Rounds, r)
		}
	}
	for _, f := range featureList[1:] {
		out.Ratios[f] = FeatureRatio{
			Throughput: out.ratio(f, func(r FeatureRound) float64 { return r.PerSecond }),
			CPUPerTask: out.ratio(f, func(r FeatureRound) float64 { return r.CPUPerTask }),
			LatencyP99: out.ratio(f, func(r FeatureRound) float64 { return float64(r.Latency.P99) }),
		}
	}
	var on, plain []authSample
	for _, r := range out.Rounds {
		switch r.Off {
		case "":
			on = append(on, authSample{cpu: r.CPUPerTask, auth: r.AuthPerTask})
		case featureTLS:
			plain = append(plain, authSample{cpu: r.CPUPerTask, auth: r.AuthPerTask})
		}
	}
	out.AuthTLSCPU, out.AuthShare = authTLSCPU(on, plain)
	return out, nil
}

func offName(off string) string {
	if off == "" {
		return "nothing"
	}
	return off
}

func featureRound(ctx context.Context, cfg Config, i int, off string) (FeatureRound, error) {
	c := cfg
	c.Dir = filepath.Join(cfg.Dir, "features", strconv.Itoa(i), offName(off))
	c.Duration = cfg.Duration / 2
	c.servers = featureServers
	c.noDeadlines = off == featureDeadlines
	c.noHedge = off == featureHedging
	c.PlainHTTP = off == featureTLS // TLS on in the other rounds, whatever --no-tls says
	r := FeatureRound{Off: off, LoadAvg: loadAverage()}
	db, err := newDatabase(ctx, c.Store, c.AdminDSN, c.Dir)
	if err != nil {
		return r, err
	}
	defer db.drop()
	e, err := startEnv(ctx, db, c, c.Workers, c.Capacity)
	if err != nil {
		return r, err
	}
	defer e.stop()
	authBefore := e.authCost()
	t, err := e.sustained(ctx, c, "bench-noop", nil)
	if err != nil {
		return r, err
	}
	if t.Tasks > 0 {
		r.AuthPerTask = float64(e.authCost()-authBefore) / 1e3 / float64(t.Tasks)
	}
	r.PerSecond = t.PerSecond
	if t.Cost != nil {
		r.CPUPerTask, r.IdleInTx = t.Cost.CPUPerTask, t.Cost.IdleInTx
	}
	lat, err := e.paced(ctx, lowRate, max(cfg.Duration/6, 2*time.Second))
	if err != nil {
		return r, err
	}
	r.Latency = *lat
	return r, nil
}

// ratio is the median of f over the rounds with every feature on over its
// median over those with feature off (0 if either is 0).
func (fc *FeatureCost) ratio(feature string, f func(FeatureRound) float64) float64 {
	var on, off []float64
	for _, r := range fc.Rounds {
		switch r.Off {
		case "":
			on = append(on, f(r))
		case feature:
			off = append(off, f(r))
		}
	}
	a, b := medianOf(on), medianOf(off)
	if a == 0 || b == 0 {
		return 0
	}
	return a / b
}
