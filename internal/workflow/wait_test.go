package workflow

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/baton-sched/baton/client/vocab"
	"github.com/baton-sched/baton/internal/kinds/wait"
)

func TestParseWait(t *testing.T) {
	src := `name: report
params:
  region: {default: eu}
tasks:
  - name: upstream-done
    wait:
      workflow: load-orders
      interval: 10s
      timeout: 6h
      on_timeout: skip
  - name: api-ready
    wait:
      http:
        url: "https://status.example.com/${{ params.region }}"
        headers: {Authorization: "Bearer ${{ secrets.status_token }}"}
        status: 200
        body_contains: ready
  - name: at-six
    wait:
      until: "${{ run.scheduled_date }}T06:00:00Z"
  - name: same-tick
    wait:
      workflow: load-orders
      logical_date: "${{ run.scheduled_time }}"
  - name: report
    needs: [upstream-done, api-ready, at-six, same-tick]
    run: ./report.sh
`
	def, err := Parse("report.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	nodes := map[string]Node{}
	for _, n := range def.Graph().Nodes {
		nodes[n.Name] = n
	}
	up := nodes["upstream-done"]
	upw, _ := up.Spec.(*wait.Block)
	if up.Kind != vocab.KindWait || up.Group != wait.Group || upw == nil || upw.Workflow != "load-orders" {
		t.Fatalf("upstream-done: kind %s group %s wait %+v, want a wait on load-orders in %s", up.Kind, up.Group, upw, wait.Group)
	}
	if upw.EffectiveInterval() != 10*time.Second || upw.EffectiveTimeout() != 6*time.Hour ||
		upw.OnTimeout != wait.Skip || upw.EffectiveLogicalDate() != "${{ run.scheduled_date }}" {
		t.Errorf("upstream-done: %+v, want 10s, 6h, skip and this run's date", upw)
	}
	at := nodes["at-six"].Spec.(*wait.Block)
	if at.EffectiveInterval() != wait.DefaultInterval.Std() || at.EffectiveTimeout() != wait.DefaultTimeout.Std() {
		t.Errorf("at-six: interval %s timeout %s, want the defaults", at.EffectiveInterval(), at.EffectiveTimeout())
	}
	api := nodes["api-ready"]
	if got := api.SecretRefs(); len(got) != 1 || got[0] != "status_token" {
		t.Errorf("api-ready secrets %v, want [status_token]", got)
	}
	if h := api.Spec.(*wait.Block).HTTP; h.Status != 200 || h.BodyContains != "ready" {
		t.Errorf("api-ready http %+v", h)
	}
}

func TestParseWaitRejects(t *testing.T) {
	tests := []struct {
		name, src, msg, path string
		line                 int
	}{
		{"no condition", "name: x\ntasks:\n  - name: a\n    wait:\n      interval: 1m\n", "give one of workflow, http and until", "tasks[0].wait", 4},
		{"two conditions", "name: x\ntasks:\n  - name: a\n    wait:\n      workflow: b\n      until: \"2026-12-07T06:00:00Z\"\n", "exactly one condition", "tasks[0].wait", 4},
		{"wait and run", "name: x\ntasks:\n  - name: a\n    run: a\n    wait: {workflow: b}\n", "a wait task runs no command", "tasks[0].wait", 5},
		{"interval too short", "name: x\ntasks:\n  - name: a\n    wait:\n      workflow: b\n      interval: 500ms\n", "must be at least 1s", "tasks[0].wait.interval", 6},
		{"interval bad", "name: x\ntasks:\n  - name: a\n    wait:\n      workflow: b\n      interval: often\n", "invalid duration", "tasks[0].wait.interval", 6},
		{"timeout zero", "name: x\ntasks:\n  - name: a\n    wait:\n      workflow: b\n      timeout: 0s\n", "must be positive", "tasks[0].wait.timeout", 6},
		{"on_timeout unknown", "name: x\ntasks:\n  - name: a\n    wait:\n      workflow: b\n      on_timeout: retry\n", `invalid value "retry"`, "tasks[0].wait.on_timeout", 6},
		{"until not a time", "name: x\ntasks:\n  - name: a\n    wait:\n      until: tomorrow\n", "must be an RFC 3339 time", "tasks[0].wait.until", 5},
		{"logical_date not a date", "name: x\ntasks:\n  - name: a\n    wait:\n      workflow: b\n      logical_date: yesterday\n", "must be a date", "tasks[0].wait.logical_date", 6},
		{"logical_date without workflow", "name: x\ntasks:\n  - name: a\n    wait:\n      until: \"2026-12-07T06:00:00Z\"\n      logical_date: \"2026-12-07\"\n", "give workflow too", "tasks[0].wait.logical_date", 6},
		{"workflow bad name", "name: x\ntasks:\n  - name: a\n    wait:\n      workflow: Load Orders\n", "", "tasks[0].wait.workflow", 5},
		{"http url scheme", "name: x\ntasks:\n  - name: a\n    wait:\n      http: {url: \"ftp://x\"}\n", "must start with http:// or https://", "tasks[0].wait.http.url", 5},
		{"http without url", "name: x\ntasks:\n  - name: a\n    wait:\n      http: {status: 200}\n", `missing required field "url"`, "tasks[0].wait.http", 5},
		{"secret in url", "name: x\ntasks:\n  - name: a\n    wait:\n      http:\n        url: \"https://x/${{ secrets.k }}\"\n", "secrets are only allowed in", "tasks[0].wait.http.url", 6},
		{"unknown param", "name: x\ntasks:\n  - name: a\n    wait:\n      until: \"${{ params.at }}\"\n", `parameter "at" is not declared`, "tasks[0].wait.until", 5},
		{"unknown field", "name: x\ntasks:\n  - name: a\n    wait:\n      workflow: b\n      every: 1m\n", `unknown field "every"`, "tasks[0].wait", 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			def, err := Parse("x.yaml", []byte(tt.src))
			if def != nil {
				t.Errorf("Parse returned a definition for bad input")
			}
			var verr *ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("Parse error = %v, want *ValidationError", err)
			}
			for _, p := range verr.Problems {
				if strings.Contains(p.Message, tt.msg) && p.Path == tt.path && p.Line == tt.line {
					return
				}
			}
			t.Errorf("no problem {path %q, line %d, message containing %q} in:\n%v", tt.path, tt.line, tt.msg, err)
		})
	}
}
