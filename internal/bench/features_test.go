package bench

import (
	"path/filepath"
	"testing"
	"time"
)

// The features scenario's environment has two servers on one database,
// each with its own engine, and the workers spread over both. A sustained
// run there counts the runs that end through either server, so its
// producers keep going and its backlog drains (counting one engine's
// events alone, the runs ended through the other were never seen done).
func TestEnvTwoServersDrain(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Store: "sqlite", Dir: dir, servers: 2, Duration: 2 * time.Second,
		Window: time.Second, Workers: 4, Capacity: 10}.withDefaults()
	db := &database{dialect: "sqlite", dsn: filepath.Join(dir, "bench.db"), drop: func() {}}
	e, err := startEnv(t.Context(), db, cfg, cfg.Workers, cfg.Capacity)
	if err != nil {
		t.Fatal(err)
	}
	defer e.stop()
	if len(e.more) != 1 || e.more[0].Addr() == e.server.Addr() {
		t.Fatalf("%d more servers, want one of its own address", len(e.more))
	}
	start := e.finished()
	tp, err := e.sustained(t.Context(), cfg, "bench-noop", nil)
	if err != nil {
		t.Fatalf("sustained noop on two servers: %v", err)
	}
	first := e.engine.Count("run.succeeded")
	second := e.moreEngines[0].Count("run.succeeded")
	if first == 0 || second == 0 {
		t.Errorf("runs ended through the servers: %d and %d, want some through each", first, second)
	}
	if got := e.finished() - start; got != first+second || got < tp.Tasks {
		t.Errorf("finished %d, want %d + %d, at least the %d measured", got, first, second, tp.Tasks)
	}
}

// With the measurement features off, the environment starts: its workers
// registered.
func TestEnvFeaturesOff(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Store: "sqlite", Dir: dir, noDeadlines: true, noHedge: true}.withDefaults()
	db := &database{dialect: "sqlite", dsn: filepath.Join(dir, "bench.db"), drop: func() {}}
	e, err := startEnv(t.Context(), db, cfg, 2, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer e.stop()
	ws, err := e.api.Workers(t.Context(), false)
	if err != nil || len(ws) != 2 {
		t.Errorf("workers %v, %v; want 2 registered", ws, err)
	}
}

func TestFeatureRatio(t *testing.T) {
	fc := &FeatureCost{Rounds: []FeatureRound{
		{PerSecond: 90}, {Off: featureDeadlines, PerSecond: 100}, {Off: featureHedging, PerSecond: 45},
		{PerSecond: 110}, {Off: featureDeadlines, PerSecond: 100}, {Off: featureHedging, PerSecond: 55},
	}}
	perSec := func(r FeatureRound) float64 { return r.PerSecond }
	if got := fc.ratio(featureDeadlines, perSec); got != 1 {
		t.Errorf("deadlines ratio %v, want median 100 / median 100", got)
	}
	if got := fc.ratio(featureHedging, perSec); got != 2 {
		t.Errorf("hedging ratio %v, want 100 / 50", got)
	}
	if got := fc.ratio(featureHedging, func(FeatureRound) float64 { return 0 }); got != 0 {
		t.Errorf("ratio of nothing measured %v, want 0", got)
	}
}

func TestAuthTLSCPU(t *testing.T) {
	on := []authSample{{cpu: 120}, {cpu: 0}, {cpu: 130}}
	plain := []authSample{{cpu: 100, auth: 10}, {cpu: 0, auth: 5}, {cpu: 110, auth: 10}}
	ratio, share := authTLSCPU(on, plain)
	if ratio != 125.0/95 {
		t.Errorf("ratio %v, want median 125 / median (90, 100)", ratio)
	}
	if want := (0.1 + 10.0/110) / 2; share != want {
		t.Errorf("auth share %v, want %v", share, want)
	}
	if r, s := authTLSCPU(on, []authSample{{cpu: 0}}); r != 0 || s != 0 {
		t.Errorf("without plain CPU: %v, %v; want 0, 0", r, s)
	}
}

// A paced load whose window passed before any run was due (a stalled
// process wakes after it) still starts one run and measures it: the
// latency scenario always has a run to wait for.
func TestPacedAfterStall(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Store: "sqlite", Dir: dir}.withDefaults()
	db := &database{dialect: "sqlite", dsn: filepath.Join(dir, "bench.db"), drop: func() {}}
	e, err := startEnv(t.Context(), db, cfg, 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer e.stop()
	s, err := e.paced(t.Context(), lowRate, 0)
	if err != nil {
		t.Fatalf("paced over an empty window: %v", err)
	}
	if s.N != 1 {
		t.Errorf("%d runs measured, want 1", s.N)
	}
}
