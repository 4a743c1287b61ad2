package workflow

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// FuzzParse checks that Parse never panics, that it returns either a
// definition or a *ValidationError, that what it accepts compiles, and that
// it reads back the same from its JSON (as the engine stores it; empty and
// absent lists and maps count as the same).
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		etlYAML,
		fanOut(3),
		"name: x\ntasks: [{name: a, run: a}]\n",
		`{"name": "x", "tasks": [{"name": "a", "run": "${{ run.id }}"}]}`,
		"name: x\ntasks:\n  - {name: a, run: a, needs: [b]}\n  - {name: b, run: b, needs: [a]}\n",
		"a: &a [*a]\n",
		"x: &x {<<: *x}\n",
		"name: x\ntasks:\n  - name: a\n    run: ${{ tasks.a.outputs.b }} $${{\n    timeout: 1.5d\n",
		"name: x\ndefaults:\n  labels: {os: linux}\n  zones: {deny: [c]}\ntasks:\n  - {name: a, run: a, labels: {n: 1, b: true}, zones: {allow: [a, a]}}\n",
		"name: x\ntasks:\n  - {name: a, run: a, zones: {allow: [a], deny: [a]}, labels: {\"a b\": \"c d\"}}\n",
		"name: x\ndefaults:\n  retry: {strategy: exponential, max_attempts: 5, delay: 1s, factor: 1.5, max_delay: 1m, jitter: 0.3, retry_on: [failed, lost]}\ntasks: [{name: a, run: a}]\n",
		"name: x\ntasks:\n  - {name: a, run: a, retry: {strategy: failure_rate, max_failures: 2, interval: 10m, delay: \"0\", retry_on: [timed_out]}}\n",
		"name: x\ntasks:\n  - {name: a, run: a, retry: {strategy: fixed, max_attempts: 2, retry_on: [failed, failed], factor: 1}}\n",
		"name: x\nparams: {day: }\nschedule: {cron: \"*/15 * 1 * * *\", timezone: Europe/Berlin, start: 2026-01-01T00:00:00.5+01:00, jitter: 1m, params: {day: 1.10}}\ntasks: [{name: a, run: a}]\n",
		"name: x\nschedules:\n  - {name: a, cron: \"@every 90s\", catchup: all, catchup_window: 1d, overlap: buffer_all, paused: true}\n  - {name: b, cron: \"@daily\", end: 2030-01-01T00:00:00Z}\ntasks: [{name: a, run: a}]\n",
		"",
		"---\n...\n",
		"[",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		d, err := Parse("fuzz.yaml", src)
		if err != nil {
			var verr *ValidationError
			if !errors.As(err, &verr) || len(verr.Problems) == 0 || d != nil {
				t.Fatalf("Parse = %v, %v; want nil and a *ValidationError with problems", d, err)
			}
			_ = err.Error()
			return
		}
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatalf("json.Marshal: %v", err)
		}
		back, err := Parse("stored.json", b)
		if err != nil {
			t.Fatalf("Parse(json.Marshal(def)): %v\n%s", err, b)
		}
		if diff := cmp.Diff(d, back, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("JSON round trip mismatch (-parsed +stored):\n%s", diff)
		}
		g := d.Graph()
		if len(g.Nodes) != len(d.Tasks) {
			t.Fatalf("graph has %d nodes for %d tasks", len(g.Nodes), len(d.Tasks))
		}
		for i, n := range g.Nodes {
			for _, u := range n.Upstream {
				if u >= i {
					t.Fatalf("node %d before its upstream %d", i, u)
				}
			}
			_ = n.OutputRefs()
		}
	})
}
