package bench_test

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/baton-sched/baton/internal/bench"
	"github.com/baton-sched/baton/internal/store/storetest"
)

// TestPeersCompare builds the peer benchmark (bench/peers, its own module)
// and runs the comparison at a tiny scale: two rounds of River then Baton,
// each measured with its cost, and the ratios and medians computed from
// them. It checks the shape, not the speed.
func TestPeersCompare(t *testing.T) {
	river := filepath.Join(t.TempDir(), "river-bench")
	build := exec.Command("go", "build", "-o", river, ".")
	build.Dir = filepath.Join("..", "..", "bench", "peers")
	build.Env = append(build.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the peer benchmark: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	c, err := bench.Compare(ctx, bench.PeersConfig{
		River: river, AdminDSN: storetest.AdminDSN(), Rounds: 2, Duration: 2 * time.Second, Window: time.Second,
		Dir: t.TempDir(), Workers: 2, Capacity: 50,
		Progress: func(format string, args ...any) { t.Logf(format, args...) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.RiverVersion != "v0.51.2" || len(c.Rounds) != 2 {
		t.Fatalf("comparison of River %q in %d rounds, want v0.51.2 in 2", c.RiverVersion, len(c.Rounds))
	}
	var ratios []float64
	for i, r := range c.Rounds {
		if r.River == nil || r.River.Tasks <= 0 {
			t.Fatalf("round %d: river %+v, want jobs done", i+1, r.River)
		}
		for name, tp := range map[string]*bench.Throughput{"river": r.River, "baton": r.Baton} {
			if tp == nil || len(tp.Windows) != 2 || tp.Cost == nil {
				t.Fatalf("round %d: %s %+v, want 2 windows and their cost", i+1, name, tp)
			}
			// (Baton runs under the race detector here: a loaded machine
			// may see no task done in 2s. WAL per task is net of the
			// cluster's idle rate, which other tests writing to the same
			// PostgreSQL can push above the load's: the raw WAL is checked.)
			cost := tp.Cost
			if cost.Tasks != tp.Tasks || cost.Samples == 0 || tp.Tasks > 0 && (cost.CPUPerTask <= 0 || cost.WALBytes <= 0 || cost.WALPerTask < 0) {
				t.Errorf("round %d: %s cost %+v, want CPU and WAL per task of its %d tasks, sampled", i+1, name, cost, tp.Tasks)
			}
		}
		if want := r.Baton.PerSecond / r.River.PerSecond; r.Ratio != want {
			t.Errorf("round %d: ratio %v, want %v", i+1, r.Ratio, want)
		}
		ratios = append(ratios, r.Ratio)
	}
	slices.Sort(ratios)
	if want := (ratios[0] + ratios[1]) / 2; c.Ratio != want {
		t.Errorf("median ratio %v, want %v", c.Ratio, want)
	}
	if c.River.PerSecond <= 0 || c.River.CPUPerTask <= 0 || c.River.WALPerTask < 0 {
		t.Errorf("medians river %+v baton %+v, want throughput, CPU and WAL", c.River, c.Baton)
	}
	var out bytes.Buffer
	if err := bench.WritePeers(&out, c); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"median", "Baton / River", "round 2 river jobs/s per window"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
	t.Logf("\n%s", out.String())
}
