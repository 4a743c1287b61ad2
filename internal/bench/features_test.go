package bench

import (
	"path/filepath"
	"testing"
)

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
