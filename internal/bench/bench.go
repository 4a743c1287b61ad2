package bench

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Config says what to measure and where.
type Config struct {
	// Store is "postgres" or "sqlite".
	Store string
	// AdminDSN is the Postgres server the bench creates its database on
	// (and drops it from afterwards).
	AdminDSN string
	// Dir holds the SQLite file and the workers' directories.
	Dir string
	// Duration of each sustained throughput measurement (default 60s);
	// Window the period throughput is reported per (default 5s).
	Duration time.Duration
	Window   time.Duration
	// Workers and their capacity in CU (defaults 4 and 500).
	Workers  int
	Capacity float64
	// PoolSize bounds the Postgres connection pool (default
	// postgres.DefaultMaxConns).
	PoolSize int32
	// Shim runs the task shim for shell tasks (see worker.Config.Shim).
	Shim []string
	// Only lists the scenarios to run (default: all). See Scenarios.
	Only []string
	// FailoverTrials is how many worker kills the failover scenario times
	// (default 20; Postgres only). Binary is the baton binary it runs.
	FailoverTrials int
	Binary         string
	// Backlog is the queue depth the backlog scenario builds (default
	// 100,000 tasks); History the attempts the history scenario stores
	// (default 1,000,000) before timing API reads, each APIRequests times
	// (default 100); Fleet the simulated workers heartbeating against one
	// server process (default 500).
	Backlog     int64
	History     int64
	APIRequests int
	Fleet       int
	// UIRequests is how many times the ui scenario renders each page of
	// the web UI over the history (default 50).
	UIRequests int
	// ScaleWorkers are the worker counts the scale scenario measures noop
	// throughput with (default 1, 2, 4, 8).
	ScaleWorkers []int
	// PlainHTTP turns TLS off for every scenario; by default the server
	// serves HTTPS and demands the workers' client certificates, as in
	// production (authentication is always on). The tls scenario measures
	// both in the same run whatever this says.
	PlainHTTP bool
	// SQLiteSynchronous is the embedded store's synchronous mode, FULL
	// (the default, as in production) or NORMAL (the mode before commits
	// were made durable), to price durable commits on the same machine.
	SQLiteSynchronous string
	// TLSRounds is how many interleaved pairs (plain HTTP, then TLS) the
	// tls scenario runs (default 2).
	TLSRounds int
	// FeatureRounds is how many rounds (every feature on, then each off)
	// the features scenario runs (default 1).
	FeatureRounds int
	Logger        *slog.Logger
	// Progress receives a line as each scenario starts and ends.
	Progress func(format string, args ...any)

	// servers is how many servers an environment runs on its database
	// (default 1; the features scenario runs 2, so that a heartbeat has
	// another server to be hedged to); noDeadlines and noHedge switch
	// measurement features off.
	servers     int
	noDeadlines bool
	noHedge     bool
}

// Scenarios are the measurements, in the order they run.
var Scenarios = []string{"baseline", "noop", "shell", "dag", "latency", "lateness", "backlog", "history", "ui", "scale", "fleet",
	"failover", "tls", "features"}

func (c Config) withDefaults() Config {
	c.Duration = cmp.Or(c.Duration, 60*time.Second)
	c.Window = cmp.Or(c.Window, 5*time.Second)
	c.Workers = cmp.Or(c.Workers, 4)
	c.Capacity = cmp.Or(c.Capacity, 500)
	c.FailoverTrials = cmp.Or(c.FailoverTrials, 20)
	c.Backlog = cmp.Or(c.Backlog, 100_000)
	c.History = cmp.Or(c.History, 1_000_000)
	c.APIRequests = cmp.Or(c.APIRequests, 100)
	c.Fleet = cmp.Or(c.Fleet, 500)
	c.UIRequests = cmp.Or(c.UIRequests, 50)
	c.TLSRounds = cmp.Or(c.TLSRounds, 2)
	c.FeatureRounds = cmp.Or(c.FeatureRounds, 1)
	if len(c.ScaleWorkers) == 0 {
		c.ScaleWorkers = []int{1, 2, 4, 8}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Progress == nil {
		c.Progress = func(string, ...any) {}
	}
	if len(c.Only) == 0 {
		c.Only = Scenarios
	}
	return c
}

func (c Config) wants(scenario string) bool { return slices.Contains(c.Only, scenario) }

// Report is what one run of the bench measured on one store.
type Report struct {
	Store    string    `json:"store"`
	Machine  Machine   `json:"machine"`
	Started  time.Time `json:"started"`
	Duration string    `json:"duration"`

	Baseline *Throughput `json:"baseline,omitempty"`
	Noop     *Throughput `json:"noop,omitempty"`
	Shell    *Throughput `json:"shell,omitempty"`
	FanOut   *DAG        `json:"fan_out,omitempty"`
	Chain    *DAG        `json:"chain,omitempty"`
	// LatencyLow and LatencyHalfPeak: task ready → attempt running.
	LatencyLow *Summary `json:"latency_low,omitempty"`
	// CommitLow: a one-row insert's commit, at the same low rate.
	CommitLow       *Summary `json:"commit_latency_low,omitempty"`
	LatencyHalfPeak *Summary `json:"latency_half_peak,omitempty"`
	HalfPeakRate    float64  `json:"half_peak_rate,omitempty"`
	// HalfPeakP99Ratio is the p99 of dispatch at half peak over the p99
	// of a bare commit (CommitLow).
	HalfPeakP99Ratio float64 `json:"half_peak_p99_to_commit_p99,omitempty"`
	// LatencySplit: the stages of dispatch at half peak, timed apart.
	LatencySplit []StageSplit `json:"latency_split_half_peak,omitempty"`
	// GateWaitHalfPeak: the mean wait for the write gate at half peak, per
	// class (the first server's).
	GateWaitHalfPeak map[string]time.Duration `json:"gate_wait_half_peak_ns,omitempty"`
	// Lateness: a schedule's due time → its run created.
	Lateness *Lateness   `json:"schedule_lateness,omitempty"`
	Backlog  *Backlog    `json:"backlog,omitempty"`
	History  *APILatency `json:"history,omitempty"`
	// UI: the web UI's pages rendered over the history.
	UI    *UILatency `json:"ui,omitempty"`
	Fleet *Fleet     `json:"fleet,omitempty"`
	// Scale: noop throughput with 1, 2, 4, 8 workers (Config.ScaleWorkers).
	Scale []ScalePoint `json:"scale,omitempty"`
	// ScaleRatio is the noop rate with the most workers over that with 2.
	ScaleRatio float64 `json:"scale_most_to_2_workers,omitempty"`
	// Failover: SIGKILL of a worker → its task running elsewhere.
	Failover *Summary `json:"failover,omitempty"`
	// CrashRestart: SIGKILL of a worker started again at once → its
	// task running again.
	CrashRestart *Summary `json:"crash_restart,omitempty"`
	// TLS: noop throughput and dispatch latency with and without TLS.
	TLS *TLSCost `json:"tls,omitempty"`
	// Features: what deadlines and hedged renewals cost, each against the
	// same measurements with it off.
	Features *FeatureCost `json:"features,omitempty"`
}

// Machine describes where the figures were taken.
type Machine struct {
	CPUs int    `json:"cpus"`
	OS   string `json:"os"`
	Go   string `json:"go"`
	Host string `json:"host"`
}

// Run runs the scenarios of cfg on a fresh database and reports.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg = cfg.withDefaults()
	host, _ := os.Hostname()
	label := cfg.Store
	if cfg.Store == "sqlite" && strings.EqualFold(cfg.SQLiteSynchronous, "NORMAL") {
		label = "sqlite (synchronous NORMAL)" // not the mode Baton runs with: say so on every figure
	}
	r := &Report{Store: label, Started: time.Now(),
		Machine: Machine{CPUs: runtime.NumCPU(), OS: runtime.GOOS + "/" + runtime.GOARCH, Go: runtime.Version(), Host: host}}
	db, err := newDatabase(ctx, cfg.Store, cfg.AdminDSN, cfg.Dir)
	if err != nil {
		return nil, err
	}
	defer db.drop()
	step := func(name string, f func() error) error {
		if !cfg.wants(name) {
			return nil
		}
		cfg.Progress("%s: %s...", cfg.Store, name)
		start := time.Now()
		if err := f(); err != nil {
			return fmt.Errorf("%s on %s: %w", name, cfg.Store, err)
		}
		cfg.Progress("%s: %s done in %v", cfg.Store, name, time.Since(start).Round(time.Second))
		return nil
	}
	err = step("baseline", func() error {
		r.Baseline, err = baseline(ctx, db, cfg)
		return err
	})
	if err != nil {
		return nil, err
	}
	e, err := startEnv(ctx, db, cfg, cfg.Workers, cfg.Capacity)
	if err != nil {
		return nil, err
	}
	defer e.stop()
	for _, s := range []struct {
		name string
		f    func() error
	}{
		{"noop", func() (err error) { r.Noop, err = e.sustained(ctx, cfg, "bench-noop", r.Baseline); return err }},
		{"shell", func() (err error) { r.Shell, err = e.sustained(ctx, cfg, "bench-shell", r.Baseline); return err }},
		{"dag", func() (err error) { r.FanOut, r.Chain, err = e.dags(ctx); return err }},
		{"latency", func() error { return e.latencies(ctx, cfg, r) }},
		{"lateness", func() (err error) { r.Lateness, err = e.lateness(ctx, max(cfg.Duration/3, 5*time.Second)); return err }},
		{"backlog", func() (err error) { r.Backlog, err = e.backlog(ctx, cfg.Backlog); return err }},
		{"history", func() (err error) {
			r.History, err = e.history(ctx, cfg.History, cfg.APIRequests, max(cfg.Duration/4, 2*cfg.Window))
			return err
		}},
		{"ui", func() (err error) { r.UI, err = e.uiPages(ctx, cfg.History, cfg.UIRequests); return err }},
	} {
		if err := step(s.name, s.f); err != nil {
			return nil, err
		}
	}
	e.stop()
	err = step("scale", func() (err error) {
		r.Scale, err = scale(ctx, cfg)
		r.ScaleRatio = r.scaleRatio()
		return err
	})
	if err != nil {
		return nil, err
	}
	err = step("fleet", func() (err error) { r.Fleet, err = fleet(ctx, cfg, cfg.Fleet, cfg.Duration/2); return err })
	if err != nil {
		return nil, err
	}
	if cfg.Store == "postgres" {
		err = step("failover", func() (err error) { r.CrashRestart, r.Failover, err = failover(ctx, cfg); return err })
		if err != nil {
			return nil, err
		}
	}
	err = step("tls", func() (err error) { r.TLS, err = tlsCost(ctx, cfg); return err })
	if err != nil {
		return nil, err
	}
	err = step("features", func() (err error) { r.Features, err = featureCost(ctx, cfg); return err })
	if err != nil {
		return nil, err
	}
	r.Duration = time.Since(r.Started).Round(time.Second).String()
	return r, nil
}
