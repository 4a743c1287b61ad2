package bench_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/baton-sched/baton/internal/bench"
	"github.com/baton-sched/baton/internal/store/storetest"
)

// TestUIScenario renders every page of the web UI over a small history
// on both stores: each page answers and is timed (the figures come from
// the real run, docs/performance.md).
func TestUIScenario(t *testing.T) {
	for _, st := range []string{"postgres", "sqlite"} {
		t.Run(st, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			r, err := bench.Run(ctx, bench.Config{
				Store: st, AdminDSN: storetest.AdminDSN(), Dir: t.TempDir(), Only: []string{"ui"},
				Workers: 1, Capacity: 10, Shim: []string{binary, "task-shim"}, Binary: binary,
				History: 2000, UIRequests: 3,
			})
			if err != nil {
				t.Fatalf("ui scenario on %s: %v", st, err)
			}
			u := r.UI
			if u == nil || u.Attempts != 2000 {
				t.Fatalf("ui %+v, want pages timed over 2000 attempts", u)
			}
			for _, name := range []string{"overview", "runs", "run", "run with a task panel", "workflows", "workflow (DAG, grid)", "zones"} {
				if s, ok := u.Pages[name]; !ok || s.N != 3 || s.P50 <= 0 || s.Max < s.P99 {
					t.Errorf("page %s: %+v, want 3 renders timed", name, s)
				}
			}
			if len(u.Pages)+len(u.NotServed) != 10 {
				t.Errorf("%d pages timed, %v not served: want every page either", len(u.Pages), u.NotServed)
			}
			var table bytes.Buffer
			if err := bench.WriteTable(&table, []*bench.Report{r}); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(table.String(), "UI page run with a task panel") {
				t.Errorf("table lacks the UI pages:\n%s", table.String())
			}
		})
	}
}
