package chaos_test

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baton-sched/baton/internal/chaos"
	"github.com/baton-sched/baton/internal/store/storetest"
)

// runScenario runs a scenario file in the given form and logs its report;
// if the scenario failed, the ends of its processes' logs are logged too.
func runScenario(t *testing.T, file string, short bool, change func(*chaos.Scenario)) *chaos.Report {
	t.Helper()
	sc, err := chaos.LoadScenario(file, short)
	if err != nil {
		t.Fatal(err)
	}
	if change != nil {
		change(sc)
	}
	var progress bytes.Buffer
	r := chaos.Run(t.Context(), sc, chaos.Options{Binary: binary, AdminDSN: storetest.AdminDSN(), Dir: t.TempDir(),
		Logger: slog.New(slog.NewTextHandler(&progress, nil))})
	var table bytes.Buffer
	if err := chaos.WriteTable(&table, []*chaos.Report{r}); err != nil {
		t.Fatal(err)
	}
	t.Logf("report:\n%s", table.String())
	if !r.Passed && r.Dir != "" {
		t.Logf("progress:\n%s", progress.String())
		logs, _ := filepath.Glob(filepath.Join(r.Dir, "*.log"))
		for _, l := range logs {
			data, _ := os.ReadFile(l)
			lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
			t.Logf("---- last lines of %s:\n%s", filepath.Base(l), strings.Join(lines[max(0, len(lines)-25):], "\n"))
		}
	}
	return r
}

// TestScenarios runs every scenario of scenarios/ in its short form: each
// must pass. `make chaos` runs them at full length. Here, on a shared and
// loaded test machine under -race, the failover and liveness time bounds
// are left to `make chaos` (the times are still measured and logged, and
// at least Min failovers must happen): the test checks the invariants,
// which do not depend on the machine's speed.
// TestScenarioWithWrongExpectationFails shows the bounds are checked.
func TestScenarios(t *testing.T) {
	invariantsOnly := func(sc *chaos.Scenario) {
		f := &sc.Expect.Failover
		f.P50, f.P99, f.Max = 0, 0, 0
		sc.Expect.Liveness = chaos.LivenessBound{}
	}
	files, err := filepath.Glob("../../scenarios/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		t.Run(name, func(t *testing.T) {
			if sc, err := chaos.LoadScenario(f, true); err == nil && sc.Cluster.WorkersCommit != "" {
				// Building the older workers takes minutes here; the fast
				// check of version skew is in internal/server.
				t.Skip("mixed-version scenario: `make chaos` runs it")
			}
			start := time.Now()
			r := runScenario(t, f, true, invariantsOnly)
			if !r.Passed {
				t.Errorf("scenario %s failed:\n%s", r.Scenario, strings.Join(r.Failures(), "\n"))
			}
			t.Logf("%s took %v", r.Scenario, time.Since(start).Round(time.Millisecond))
		})
	}
}

// TestScenarioWithWrongExpectationFails: the checks can fail. No failover
// takes a millisecond; the scenario that expects one fails, and the
// report says which bound, by how much, and for which task.
func TestScenarioWithWrongExpectationFails(t *testing.T) {
	r := runScenario(t, "testdata/wrong-failover.yaml", false, nil)
	if r.Passed {
		t.Fatal("the scenario passed with a failover bound of 1ms")
	}
	failures := r.Failures()
	if len(failures) != 1 || !strings.HasPrefix(failures[0], "failover: failover max ") ||
		!strings.Contains(failures[0], "exceeds the bound 1ms (run ") {
		t.Errorf("failures %q, want the failover bound alone, clearly", failures)
	}
}
