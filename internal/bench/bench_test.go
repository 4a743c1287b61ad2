package bench_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/baton-sched/baton/internal/bench"
	"github.com/baton-sched/baton/internal/store/storetest"
)

// binary is the baton binary the fleet and failover scenarios run.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "baton-bench-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "baton")
	build := exec.Command("go", "build", "-o", binary, "github.com/baton-sched/baton/cmd/baton")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build baton: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// TestEveryScenarioRuns runs the whole bench at a tiny scale on both
// stores: it checks that every scenario completes and reports what it
// measured, not how fast (figures come from `make bench`).
func TestEveryScenarioRuns(t *testing.T) {
	for _, st := range []string{"postgres", "sqlite"} {
		t.Run(st, func(t *testing.T) {
			t.Parallel()
			// (About 2.5 minutes on a quiet machine; a saturated one has
			// taken twice that.)
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
			defer cancel()
			cfg := bench.Config{
				Store: st, AdminDSN: storetest.AdminDSN(), Dir: t.TempDir(),
				Duration: 3 * time.Second, Window: time.Second, Workers: 2, Capacity: 50,
				Shim: []string{binary, "task-shim"}, Binary: binary, FailoverTrials: 1,
				Backlog: 500, History: 2000, APIRequests: 3, UIRequests: 2, Fleet: 10, ScaleWorkers: []int{1, 2}, TLSRounds: 1,
				Progress: func(format string, args ...any) { t.Logf(format, args...) },
			}
			if !httpPriced(st) {
				cfg.Only = slices.DeleteFunc(slices.Clone(bench.Scenarios), func(s string) bool {
					return s == "tls" || s == "features"
				})
			}
			r, err := bench.Run(ctx, cfg)
			if err != nil {
				t.Fatalf("bench on %s: %v", st, err)
			}
			// (Under the race detector, few runs may finish in a window:
			// every run started was waited for, or Run failed.)
			for name, tp := range map[string]*bench.Throughput{"baseline": r.Baseline, "noop": r.Noop, "shell": r.Shell} {
				if tp == nil || len(tp.Windows) != 3 {
					t.Errorf("%s throughput: %+v, want 3 windows", name, tp)
				}
			}
			if r.Baseline != nil && r.Baseline.Tasks <= 0 {
				t.Errorf("baseline did nothing: %+v", r.Baseline)
			}
			if r.Noop != nil && r.Baseline != nil && r.Noop.RatioToBaseline != r.Noop.PerSecond/r.Baseline.PerSecond {
				t.Errorf("noop ratio to baseline %v, want %v / %v", r.Noop.RatioToBaseline, r.Noop.PerSecond,
					r.Baseline.PerSecond)
			}
			checkCost(t, st, r)
			if r.FanOut == nil || r.FanOut.Total <= 0 || r.Chain == nil || r.Chain.PerHop <= 0 {
				t.Errorf("DAG figures %+v %+v, want both timed", r.FanOut, r.Chain)
			}
			latencies := map[string]*bench.Summary{"dispatch at low load": r.LatencyLow, "commit": r.CommitLow}
			if r.Noop != nil && r.Noop.PerSecond > 0 {
				latencies["dispatch at half peak"] = r.LatencyHalfPeak
			}
			if h := r.LatencyHalfPeak; h != nil && r.HalfPeakP99Ratio != float64(h.P99)/float64(r.CommitLow.P99) {
				t.Errorf("half-peak p99 ratio %v, want %v / %v", r.HalfPeakP99Ratio, h.P99, r.CommitLow.P99)
			}
			if h := r.LatencyHalfPeak; h != nil {
				var sum time.Duration
				for _, st := range r.LatencySplit[:min(5, len(r.LatencySplit))] {
					sum += st.TailMean
				}
				if len(r.LatencySplit) != 6 || sum <= 0 {
					t.Errorf("latency split %+v, want 6 stages, the first five adding up to the slowest's dispatch", r.LatencySplit)
				}
			}
			for name, s := range latencies {
				if s == nil || s.N == 0 || s.P99 < s.P50 || s.Max < s.P99 {
					t.Errorf("%s latency %+v, want a distribution", name, s)
				}
			}
			if l := r.Lateness; l == nil || l.Schedules != 100 || l.Firing.N < 100 || l.Firing.Max < l.Firing.P99 {
				t.Errorf("schedule lateness %+v, want runs of 100 schedules timed", l)
			}
			if b := r.Backlog; b == nil || b.Tasks != 500 || b.DrainRate <= 0 {
				t.Errorf("backlog %+v, want 500 tasks drained", b)
			}
			if h := r.History; h == nil || h.Attempts != 2000 || len(h.Reads) != 6 {
				t.Errorf("history %+v, want 2000 attempts and 6 reads timed", h)
			}
			if u := r.UI; u == nil || u.Attempts != 2000 || len(u.Pages) == 0 {
				t.Errorf("ui %+v, want pages timed over the same history", u)
			}
			if h := r.History; h != nil {
				if x := h.Retention; x == nil || x.Expired != 1000 || x.Deleted <= 0 || x.Batches < 1 ||
					x.Without.Reads.N == 0 || x.With.Reads.N == 0 || x.After.Reads.N == 0 || x.ReadP99Ratio <= 0 {
					t.Errorf("history with retention %+v, want 1000 expired attempts, some deleted, and reads timed in three phases", x)
				}
			}
			// CPU is counted in clock ticks: a second of ten idle workers
			// may round to none.
			if f := r.Fleet; f == nil || f.Heartbeat.N < f.Workers/2 || f.CPU < 0 || f.RSS <= 0 {
				t.Errorf("fleet %+v, want heartbeats timed and the server measured", f)
			}
			if st == "postgres" && (r.Failover == nil || r.Failover.N != 1) {
				t.Errorf("failover %+v, want one trial", r.Failover)
			}
			if st == "postgres" && (r.CrashRestart == nil || r.CrashRestart.N != 1) {
				t.Errorf("crash and restart %+v, want one trial", r.CrashRestart)
			}
			wants := []string{"noop throughput", "dispatch latency", "schedule lateness", "drain the queue",
				"API events of a run", "with over without retention", "heartbeat round trip", "CPU per task",
				"noop with 1 / 2 / 4 / 8 workers"}
			if httpPriced(st) {
				checkTLS(t, r.TLS)
				checkFeatures(t, st, r.Features)
				wants = append(wants, "TLS / plain", "deadlines on / off", "hedged_renewals on / off", "tls on / off")
			} else if r.TLS != nil || r.Features != nil {
				t.Errorf("tls %+v, features %+v on %s: want them left out", r.TLS, r.Features, st)
			}
			var table bytes.Buffer
			if err := bench.WriteTable(&table, []*bench.Report{r}); err != nil {
				t.Fatal(err)
			}
			for _, want := range wants {
				if !strings.Contains(table.String(), want) {
					t.Errorf("table lacks %q:\n%s", want, table.String())
				}
			}
		})
	}
}

// httpPriced says whether the test runs the tls and features scenarios on
// store. They price the HTTP layer (TLS, authentication, deadlines, hedged
// renewals), which is the same over both stores, so the test runs them on
// PostgreSQL only: on SQLite, under the race detector, they took about 80
// of its 216 s, the longest part of `make test` after the chaos package.
// `make bench` runs them on both.
func httpPriced(store string) bool { return store == "postgres" }

// checkCost checks the cost measured with the noop runs and the scale
// scenario's points.
func checkCost(t *testing.T, store string, r *bench.Report) {
	t.Helper()
	if r.Noop == nil || r.Noop.Cost == nil {
		t.Fatalf("noop %+v, want its cost", r.Noop)
	}
	c := r.Noop.Cost
	// (Under the race detector a loaded machine may finish no task in the
	// tiny windows: then there is no cost per task to check.)
	if c.Tasks != r.Noop.Tasks || c.CPUPerTask != c.ProcessCPU+c.DatabaseCPU || c.Tasks > 0 && c.ProcessCPU <= 0 {
		t.Errorf("noop cost %+v, want the process's CPU per task of %d tasks", c, r.Noop.Tasks)
	}
	if store == "postgres" && (c.Samples == 0 || c.Backends == 0 || c.Tasks > 0 && (c.DatabaseCPU <= 0 || c.WALBytes <= 0 || c.WALPerTask < 0)) {
		// (WAL per task is net of the cluster's idle rate, which other
		// tests writing to the same PostgreSQL can push above the load's.)
		t.Errorf("noop cost %+v, want the backends' CPU, WAL and samples on postgres", c)
	}
	if len(r.Scale) != 2 || r.Scale[0].Workers != 1 || r.Scale[1].Workers != 2 {
		t.Fatalf("scale %+v, want points of 1 and 2 workers", r.Scale)
	}
	for _, p := range r.Scale {
		if len(p.Windows) == 0 || p.Cost == nil || p.Cost.Tasks != p.Tasks {
			t.Errorf("scale with %d workers: %+v, want windows and their cost", p.Workers, p.Throughput)
		}
	}
	if r.ScaleRatio != 0 {
		t.Errorf("scale ratio %v with 2 workers the most, want none", r.ScaleRatio)
	}
}

// checkFeatures checks the features scenario: a round with every feature
// on, then one with each off, measured, and each feature's ratios; on
// PostgreSQL, what authentication and TLS cost together.
func checkFeatures(t *testing.T, store string, c *bench.FeatureCost) {
	t.Helper()
	if c == nil || len(c.Rounds) != 4 || c.Rounds[0].Off != "" || c.Rounds[1].Off != "deadlines" ||
		c.Rounds[2].Off != "hedged_renewals" || c.Rounds[3].Off != "tls" {
		t.Fatalf("features %+v, want rounds with nothing, deadlines, hedged renewals and TLS off", c)
	}
	on := c.Rounds[0]
	for i, r := range c.Rounds {
		if r.Latency.N == 0 || r.PerSecond < 0 {
			t.Errorf("features round %+v, want its throughput and dispatch latency measured", r)
		}
		// A loaded machine may finish no task within a short round.
		if r.PerSecond > 0 && r.AuthPerTask <= 0 {
			t.Errorf("features round %+v: no time checking credentials measured", r)
		}
		if i == 0 {
			continue
		}
		x, ok := c.Ratios[r.Off]
		if !ok {
			t.Errorf("no ratios for %s", r.Off)
		}
		if on.PerSecond > 0 && r.PerSecond > 0 && x.Throughput != on.PerSecond/r.PerSecond {
			t.Errorf("%s throughput ratio %v, want %v / %v", r.Off, x.Throughput, on.PerSecond, r.PerSecond)
		}
		if want := float64(on.Latency.P99) / float64(r.Latency.P99); r.Latency.P99 > 0 && on.Latency.P99 > 0 && x.LatencyP99 != want {
			t.Errorf("%s p99 ratio %v, want %v", r.Off, x.LatencyP99, want)
		}
	}
	plain := c.Rounds[3]
	if store == "postgres" && on.CPUPerTask > 0 && plain.CPUPerTask > 0 {
		if want := on.CPUPerTask / (plain.CPUPerTask - plain.AuthPerTask); c.AuthTLSCPU != want {
			t.Errorf("auth+TLS CPU per task ratio %v, want %v", c.AuthTLSCPU, want)
		}
	}
}

// checkTLS checks the tls scenario: one plain and one TLS round, measured,
// and the ratios of their figures.
func checkTLS(t *testing.T, c *bench.TLSCost) {
	t.Helper()
	if c == nil || len(c.Rounds) != 2 || c.Rounds[0].TLS || !c.Rounds[1].TLS {
		t.Fatalf("tls %+v, want a plain round, then a TLS one", c)
	}
	plain, tls := c.Rounds[0], c.Rounds[1]
	for _, r := range c.Rounds {
		if r.Latency.N == 0 || r.PerSecond < 0 {
			t.Errorf("tls round %+v, want its throughput and dispatch latency measured", r)
		}
	}
	if plain.PerSecond > 0 && tls.PerSecond > 0 && c.ThroughputRatio != tls.PerSecond/plain.PerSecond {
		t.Errorf("throughput ratio %v, want %v / %v", c.ThroughputRatio, tls.PerSecond, plain.PerSecond)
	}
	if plain.CPUPerTask > 0 && tls.CPUPerTask > 0 && c.CPUPerTaskRatio != tls.CPUPerTask/plain.CPUPerTask {
		t.Errorf("CPU per task ratio %v, want %v / %v", c.CPUPerTaskRatio, tls.CPUPerTask, plain.CPUPerTask)
	}
	for _, r := range c.Rounds {
		// A loaded machine may finish no task within a short round.
		if r.PerSecond > 0 && r.AuthPerTask <= 0 {
			t.Errorf("tls round %+v: no time checking credentials measured", r)
		}
	}
	if plain.CPUPerTask > 0 && tls.CPUPerTask > 0 {
		if want := tls.CPUPerTask / (plain.CPUPerTask - plain.AuthPerTask); c.AuthTLSCPURatio != want {
			t.Errorf("auth+TLS CPU per task ratio %v, want %v", c.AuthTLSCPURatio, want)
		}
	}
	if want := float64(tls.Latency.P99) / float64(plain.Latency.P99); plain.Latency.P99 > 0 && c.LatencyP99Ratio != want {
		t.Errorf("p99 ratio %v, want %v", c.LatencyP99Ratio, want)
	}
}
