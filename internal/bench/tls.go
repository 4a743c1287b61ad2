package bench

import (
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/baton-sched/baton/internal/tlsconf/tlstest"
)

// security is how a bench environment's server and clients talk: HTTPS
// with a CA made for the environment, the server demanding the workers'
// client certificates (mTLS), as in production; or plain HTTP
// (Config.PlainHTTP).
type security struct {
	scheme string
	// server serves HTTPS; client verifies the server (the API client);
	// worker also presents a client certificate. All nil for plain HTTP.
	server, client, worker *tls.Config
}

func newSecurity(cfg Config) (security, error) {
	if cfg.PlainHTTP {
		return security{scheme: "http"}, nil
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return security{}, err
	}
	dir, err := os.MkdirTemp(cfg.Dir, "pki-")
	if err != nil {
		return security{}, err
	}
	set, err := tlstest.Generate(dir)
	if err != nil {
		return security{}, fmt.Errorf("bench pki: %w", err)
	}
	sec := security{scheme: "https"}
	if sec.server, err = set.ServerConfig(true); err == nil {
		if sec.client, err = set.ClientConfig(false); err == nil {
			sec.worker, err = set.ClientConfig(true)
		}
	}
	if err != nil {
		return security{}, fmt.Errorf("bench pki: %w", err)
	}
	return sec, nil
}

// TLSCost is what TLS costs the noop scenario: the same measurements over
// plain HTTP and over TLS (mTLS for the workers), in interleaved rounds
// of fresh databases and servers, and the median ratios TLS / plain.
// Authentication is on in both: the server has no switch to turn it off
// (see docs/performance.md).
type TLSCost struct {
	Rounds []TLSRound `json:"rounds"`
	// ThroughputRatio is the median noop throughput with TLS over that
	// without; LatencyP50Ratio and LatencyP99Ratio are the same for the
	// dispatch latency at 20 runs/s.
	ThroughputRatio float64 `json:"throughput_ratio"`
	LatencyP50Ratio float64 `json:"latency_p50_ratio"`
	LatencyP99Ratio float64 `json:"latency_p99_ratio"`
	// CPUPerTaskRatio is the same for the CPU per task (process and
	// database): less sensitive than throughput to the machine's other
	// load.
	CPUPerTaskRatio float64 `json:"cpu_per_task_ratio,omitempty"`
	// AuthTLSCPURatio is the cost of authentication and TLS together: the
	// median CPU per task with TLS over the median of the plain rounds'
	// CPU per task less their time checking credentials (the server has no
	// switch to turn authentication off, so its share is measured inside
	// the same rounds rather than by a run without it).
	AuthTLSCPURatio float64 `json:"auth_tls_cpu_per_task_ratio,omitempty"`
	// AuthShare is the median share of the CPU per task that checking
	// credentials took in the plain rounds.
	AuthShare float64 `json:"auth_share,omitempty"`
}

// TLSRound is one measurement of TLSCost.
type TLSRound struct {
	TLS        bool    `json:"tls"`
	PerSecond  float64 `json:"per_second"`
	CPUPerTask float64 `json:"cpu_per_task_us,omitempty"`
	// AuthPerTask is the server's time checking credentials during the
	// sustained run, per task, in microseconds.
	AuthPerTask float64 `json:"auth_per_task_us"`
	Latency     Summary `json:"latency"`
	LoadAvg     float64 `json:"load_average"`
}

// tlsCost runs cfg.TLSRounds pairs: plain HTTP, then TLS; each a noop
// sustained run of half the duration, then dispatch latency at lowRate
// for a sixth.
func tlsCost(ctx context.Context, cfg Config) (*TLSCost, error) {
	out := &TLSCost{}
	for i := range cfg.TLSRounds {
		for _, withTLS := range []bool{false, true} {
			r, err := tlsRound(ctx, cfg, i, withTLS)
			if err != nil {
				return nil, fmt.Errorf("round %d (tls %v): %w", i+1, withTLS, err)
			}
			cfg.Progress("%s: tls round %d, tls %v: %s, dispatch p50 %v p99 %v", cfg.Store, i+1, withTLS,
				perSecond(r.PerSecond), short(r.Latency.P50), short(r.Latency.P99))
			out.Rounds = append(out.Rounds, r)
		}
	}
	out.ThroughputRatio = out.ratio(func(r TLSRound) float64 { return r.PerSecond })
	out.LatencyP50Ratio = out.ratio(func(r TLSRound) float64 { return float64(r.Latency.P50) })
	out.LatencyP99Ratio = out.ratio(func(r TLSRound) float64 { return float64(r.Latency.P99) })
	out.CPUPerTaskRatio = out.ratio(func(r TLSRound) float64 { return r.CPUPerTask })
	out.authRatios()
	return out, nil
}

func tlsRound(ctx context.Context, cfg Config, i int, withTLS bool) (TLSRound, error) {
	c := cfg
	c.PlainHTTP = !withTLS
	c.Dir = filepath.Join(cfg.Dir, "tls", strconv.Itoa(i), strconv.FormatBool(withTLS))
	c.Duration = cfg.Duration / 2
	r := TLSRound{TLS: withTLS, LoadAvg: loadAverage()}
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
	if authAfter := e.authCost(); t.Tasks > 0 {
		r.AuthPerTask = float64(authAfter-authBefore) / 1e3 / float64(t.Tasks)
	}
	r.PerSecond = t.PerSecond
	if t.Cost != nil {
		r.CPUPerTask = t.Cost.CPUPerTask
	}
	lat, err := e.paced(ctx, lowRate, max(cfg.Duration/6, 2*time.Second))
	if err != nil {
		return r, err
	}
	r.Latency = *lat
	return r, nil
}

// ratio is the median of f over the TLS rounds over its median over the
// plain ones (0 if either is 0).
func (t *TLSCost) ratio(f func(TLSRound) float64) float64 {
	var on, off []float64
	for _, r := range t.Rounds {
		if r.TLS {
			on = append(on, f(r))
		} else {
			off = append(off, f(r))
		}
	}
	a, b := medianOf(on), medianOf(off)
	if a == 0 || b == 0 {
		return 0
	}
	return a / b
}

// medianOf is the median of xs (the mean of the middle two for an even
// count; 0 for none).
func medianOf(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// authRatios sets AuthShare and AuthTLSCPURatio from the rounds' CPU per
// task (measured on PostgreSQL only; both stay 0 otherwise).
func (t *TLSCost) authRatios() {
	var on, plain []authSample
	for _, r := range t.Rounds {
		s := authSample{cpu: r.CPUPerTask, auth: r.AuthPerTask}
		if r.TLS {
			on = append(on, s)
		} else {
			plain = append(plain, s)
		}
	}
	t.AuthTLSCPURatio, t.AuthShare = authTLSCPU(on, plain)
}

// authSample is a round's CPU per task and its time checking credentials
// per task, in microseconds.
type authSample struct{ cpu, auth float64 }

// authTLSCPU is what authentication and TLS together cost: the median CPU
// per task of the rounds with TLS (on) over the median of the plain
// rounds' CPU per task less their time checking credentials, and the
// median share of that time in the plain rounds. Rounds without a CPU
// figure are left out; both are 0 if either side has none.
func authTLSCPU(on, plain []authSample) (ratio, share float64) {
	var with, bare, shares []float64
	for _, s := range on {
		if s.cpu > 0 {
			with = append(with, s.cpu)
		}
	}
	for _, s := range plain {
		if s.cpu > 0 {
			bare = append(bare, s.cpu-s.auth)
			shares = append(shares, s.auth/s.cpu)
		}
	}
	a, b := medianOf(with), medianOf(bare)
	if a <= 0 || b <= 0 {
		return 0, 0
	}
	return a / b, medianOf(shares)
}
