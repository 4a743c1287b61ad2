package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v4"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/auth"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/server"
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/storetest"
)

const metricsWorkload = `name: obs
tasks:
  - name: ok
    run: "true"
  - name: bad
    run: "false"
  - name: moved
    run: "true"
  - name: waits
    group: nobody
    run: "true"
`

// TestMetricsOfDeployFilesExist runs a small workload on a live server,
// a lost worker included, scrapes /metrics with a viewer token and checks
// that every metric the Grafana dashboard and the Prometheus rules name
// exists, with help text, and that the workload shows in them.
func TestMetricsOfDeployFilesExist(t *testing.T) {
	want := deployMetricNames(t)
	storetest.ForEach(t, func(t *testing.T, s store.Store) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		srv := server.New(engine.New(s, engine.Config{LeaseTTL: time.Second}),
			server.Config{Addr: "127.0.0.1:0", SweepInterval: 100 * time.Millisecond})
		if err := srv.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(srv.Stop)
		admin, join := issueTestTokens(t, s)
		viewer, err := server.IssueToken(ctx, s, "prometheus", auth.RoleViewer)
		if err != nil {
			t.Fatal(err)
		}
		c, err := client.New([]string{srv.URL()}, client.WithToken(admin), client.WithJoinToken(join))
		if err != nil {
			t.Fatal(err)
		}
		workerID := runMetricsWorkload(ctx, t, c)

		var fams map[string]*dto.MetricFamily
		deadline := time.Now().Add(30 * time.Second)
		for {
			fams = scrape(t, srv.URL()+"/metrics", viewer)
			missing := slices.DeleteFunc(slices.Clone(want), func(n string) bool { return fams[n] != nil })
			if len(missing) == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("/metrics lacks %v, named by deploy/grafana/baton.json or deploy/prometheus/alerts.yaml", missing)
			}
			time.Sleep(100 * time.Millisecond) // poll: the stats loop reads every few seconds
		}
		for name, f := range fams {
			if strings.HasPrefix(name, "baton_") && f.GetHelp() == "" {
				t.Errorf("%s has no help text", name)
			}
		}
		checks := []struct {
			name   string
			labels map[string]string
			min    float64
		}{
			{"baton_claim_to_running_seconds", nil, 3},
			{"baton_failover_seconds", nil, 1},
			{"baton_task_duration_seconds", map[string]string{"state": "succeeded"}, 2},
			{"baton_task_duration_seconds", map[string]string{"state": "failed"}, 1},
			{"baton_reports_refused_total", map[string]string{"reason": "attempt_lost"}, 1},
			{"baton_lease_renewals_failed_total", map[string]string{"reason": "worker_gone"}, 1},
			{"baton_queue_tasks", map[string]string{"group": "nobody", "zone": "any"}, 1},
			{"baton_http_requests_total", map[string]string{"route": "/api/v1/runs/{id}", "method": "GET", "code": "200"}, 1},
			{"baton_loop_duration_seconds", map[string]string{"loop": "sweeper"}, 1},
			{"baton_db_pool_connections", map[string]string{"state": "max"}, 1},
		}
		for _, ch := range checks {
			if got := metricValue(fams[ch.name], ch.labels); got < ch.min {
				t.Errorf("%s%v = %g, want at least %g", ch.name, ch.labels, got, ch.min)
			}
		}
		if age := metricValue(fams["baton_sweep_age_seconds"], nil); age < 0 || age > 30 {
			t.Errorf("baton_sweep_age_seconds = %g, want the few seconds since this server swept", age)
		}
		// Routes are patterns: no raw path (a run's or a worker's id) is a
		// label value.
		for _, m := range fams["baton_http_requests_total"].GetMetric() {
			for _, l := range m.GetLabel() {
				if v := l.GetValue(); l.GetName() == "route" && (rawID.MatchString(v) || strings.Contains(v, workerID)) {
					t.Errorf("route label %q holds a raw path", v)
				}
			}
		}
	})
}

// runMetricsWorkload runs the obs workflow: ok succeeds, bad fails, moved
// is lost with its worker and runs again on another, waits stays queued
// (no worker of its group). It returns the lost worker's id.
func runMetricsWorkload(ctx context.Context, t *testing.T, c *client.Client) string {
	t.Helper()
	if _, err := c.Apply(ctx, []client.SourceFile{{Filename: "obs.yaml", Content: metricsWorkload}}); err != nil {
		t.Fatal(err)
	}
	run, err := c.StartRun(ctx, "obs", client.StartRunRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Run(ctx, run.ID); err != nil { // a GET by route pattern
		t.Fatal(err)
	}
	w1, err := c.Register(ctx, client.RegisterRequest{Name: "w1", Zone: "a", Capacity: 3})
	if err != nil {
		t.Fatal(err)
	}
	w2, err := c.Register(ctx, client.RegisterRequest{Name: "w2", Zone: "b", Capacity: 3})
	if err != nil {
		t.Fatal(err)
	}
	as, err := c.Claim(ctx, w1.Worker.ID, client.ClaimRequest{Max: 3, FreeCU: 3, Wait: 5 * time.Second})
	if err != nil || len(as) != 3 {
		t.Fatalf("claim: %+v %v, want 3 attempts", as, err)
	}
	var reports []client.Report
	var lostAttempt int64
	for _, a := range as {
		reports = append(reports, client.Report{AttemptID: a.AttemptID, Kind: "start"})
		switch a.Task {
		case "ok":
			reports = append(reports, client.Report{AttemptID: a.AttemptID, Kind: "finish", State: "succeeded"})
		case "bad":
			reports = append(reports, client.Report{AttemptID: a.AttemptID, Kind: "finish", State: "failed", ExitCode: 1})
		default:
			lostAttempt = a.AttemptID
		}
	}
	if _, err := c.Report(ctx, w1.Worker.ID, reports); err != nil {
		t.Fatal(err)
	}
	// w1 stops heartbeating: its lease expires and moved is lost; w2, in
	// another zone, takes it.
	for moved := false; !moved; {
		if ctx.Err() != nil {
			t.Fatal("the lost task never moved to w2")
		}
		if _, err := c.Heartbeat(ctx, w2.Worker.ID, nil); err != nil {
			t.Fatal(err)
		}
		as, err := c.Claim(ctx, w2.Worker.ID, client.ClaimRequest{Max: 1, FreeCU: 3, Wait: 200 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range as {
			moved = true
			if _, err := c.Report(ctx, w2.Worker.ID, []client.Report{{AttemptID: a.AttemptID, Kind: "start"},
				{AttemptID: a.AttemptID, Kind: "finish", State: "succeeded"}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The lost worker comes back: its heartbeat and its late report are
	// refused.
	if _, err := c.Heartbeat(ctx, w1.Worker.ID, []int64{lostAttempt}); !client.IsGone(err) {
		t.Errorf("heartbeat of the lost worker: %v, want gone", err)
	}
	if res, err := c.Report(ctx, w1.Worker.ID, []client.Report{{AttemptID: lostAttempt, Kind: "finish",
		State: "succeeded"}}); err == nil && (len(res) != 1 || res[0].Status != http.StatusConflict) {
		t.Errorf("late report of the lost attempt: %+v, want refused", res)
	}
	return w1.Worker.ID
}

// deployMetricNames returns the baton_ metrics the dashboard's and the
// alerting rules' expressions name (histogram series by their family).
func deployMetricNames(t *testing.T) []string {
	t.Helper()
	var exprs []string
	b, err := os.ReadFile("../../deploy/grafana/baton.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash any
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("deploy/grafana/baton.json: %v", err)
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if s, ok := x.(string); ok && k == "expr" {
					exprs = append(exprs, s)
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(dash)
	b, err = os.ReadFile("../../deploy/prometheus/alerts.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert string `yaml:"alert"`
				Expr  string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(b, &rules); err != nil {
		t.Fatalf("deploy/prometheus/alerts.yaml: %v", err)
	}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			exprs = append(exprs, r.Expr)
		}
	}
	if len(exprs) < 20 {
		t.Fatalf("found %d expressions in the deploy files, want the dashboard's and the rules'", len(exprs))
	}
	seen := map[string]bool{}
	for _, e := range exprs {
		for _, n := range metricName.FindAllString(e, -1) {
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				n = strings.TrimSuffix(n, suffix)
			}
			seen[n] = true
		}
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range seen {
			if !yield(n) {
				return
			}
		}
	})
	return names
}

var (
	metricName = regexp.MustCompile(`\bbaton_[a-zA-Z0-9_]+`)
	rawID      = regexp.MustCompile(`/[0-9]+(/|$)`)
)

func scrape(t *testing.T, url, token string) map[string]*dto.MetricFamily {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET /metrics: %s %s", resp.Status, b)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return fams
}

// metricValue sums the values (counts, for histograms) of f's metrics
// whose labels include labels.
func metricValue(f *dto.MetricFamily, labels map[string]string) float64 {
	var sum float64
	for _, m := range f.GetMetric() {
		match := 0
		for _, l := range m.GetLabel() {
			if v, ok := labels[l.GetName()]; ok && v == l.GetValue() {
				match++
			}
		}
		if match != len(labels) {
			continue
		}
		switch {
		case m.Histogram != nil:
			sum += float64(m.GetHistogram().GetSampleCount())
		case m.Counter != nil:
			sum += m.GetCounter().GetValue()
		case m.Gauge != nil:
			sum += m.GetGauge().GetValue()
		}
	}
	return sum
}
