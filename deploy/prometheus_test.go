package deploy

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"
)

// TestPrometheusRules checks the alerting rules with promtool (check rules,
// and the unit tests of prometheus/alerts_test.yaml), and every query of
// the Grafana dashboard by loading it as a recording rule, so that a
// query that does not parse fails. It needs promtool: `make lint` builds
// it (tools/promtool/go.mod) and sets BATON_PROMTOOL. That every metric
// these files name exists is checked on a live server by
// internal/server's TestMetricsOfDeployFilesExist.
func TestPrometheusRules(t *testing.T) {
	promtool := os.Getenv("BATON_PROMTOOL")
	if promtool == "" {
		t.Skip("BATON_PROMTOOL is not set (make lint builds promtool and sets it)")
	}
	run := func(args ...string) {
		t.Helper()
		out, err := exec.Command(promtool, args...).CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	run("check", "rules", filepath.Join("prometheus", "alerts.yaml"))
	run("test", "rules", filepath.Join("prometheus", "alerts_test.yaml"))

	type rule struct {
		Record string `yaml:"record"`
		Expr   string `yaml:"expr"`
	}
	var rules []rule
	for _, e := range dashboardExprs(t) {
		// Grafana's variables, as Grafana would fill them in.
		e = strings.NewReplacer("$__rate_interval", "1m", "$job", "baton").Replace(e)
		rules = append(rules, rule{Record: "dashboard:query", Expr: e})
	}
	b, err := yaml.Marshal(map[string]any{"groups": []any{map[string]any{"name": "dashboard", "rules": rules}}})
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "dashboard.yaml")
	if err := os.WriteFile(f, b, 0o600); err != nil {
		t.Fatal(err)
	}
	run("check", "rules", "--lint=none", f)
}

// dashboardExprs returns the query of every panel target of the dashboard.
func dashboardExprs(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("grafana", "baton.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("grafana/baton.json: %v", err)
	}
	var out []string
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			out = append(out, tg.Expr)
		}
	}
	if len(out) == 0 {
		t.Fatal("grafana/baton.json has no queries")
	}
	return out
}

// TestDashboard checks the dashboard's form: a data source variable every
// panel uses, unique panel ids, and every query naming a metric.
func TestDashboard(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("grafana", "baton.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		UID        string `json:"uid"`
		Templating struct {
			List []struct {
				Name  string `json:"name"`
				Type  string `json:"type"`
				Query string `json:"query"`
			} `json:"list"`
		} `json:"templating"`
		Panels []struct {
			ID         int    `json:"id"`
			Type       string `json:"type"`
			Title      string `json:"title"`
			Datasource *struct {
				UID string `json:"uid"`
			} `json:"datasource"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	hasDS := false
	for _, v := range d.Templating.List {
		hasDS = hasDS || (v.Name == "datasource" && v.Type == "datasource" && v.Query == "prometheus")
	}
	if !hasDS || d.UID == "" {
		t.Errorf("dashboard: want a uid and a prometheus datasource variable named datasource")
	}
	ids := map[int]bool{}
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d used twice", p.ID)
		}
		ids[p.ID] = true
		if p.Type != "row" && (p.Datasource == nil || p.Datasource.UID != "${datasource}") {
			t.Errorf("panel %q does not use the datasource variable", p.Title)
		}
	}
	for _, e := range dashboardExprs(t) {
		if !strings.Contains(e, "baton_") && !strings.Contains(e, "process_") && !strings.Contains(e, "go_") {
			t.Errorf("query %q names no metric of Baton's", e)
		}
	}
}
