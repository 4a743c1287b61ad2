package workflow

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/baton-sched/baton/internal/retry"
)

func TestRetryJSON(t *testing.T) {
	var r Retry
	if err := json.Unmarshal([]byte(`"none"`), &r); err != nil || !cmp.Equal(r, NoRetry()) {
		t.Errorf(`Unmarshal("none") = %+v, %v`, r, err)
	}
	if err := json.Unmarshal([]byte(`"always"`), &r); err == nil {
		t.Error(`Unmarshal("always") succeeded, want error`)
	}
	tests := []struct {
		name   string
		policy Retry
		json   string
	}{
		{"none", NoRetry(), `{"strategy":"none"}`},
		{"fixed", Retry{Strategy: "fixed", MaxAttempts: 3, Delay: Duration(90 * time.Second)},
			`{"strategy":"fixed","max_attempts":3,"delay":"1m30s"}`},
		{"fixed without delay", Retry{Strategy: "fixed", MaxAttempts: 3}, `{"strategy":"fixed","max_attempts":3}`},
		{"exponential", Retry{
			Strategy: "exponential", MaxAttempts: 5, Delay: Duration(time.Second), Factor: 1.5,
			MaxDelay: Duration(2 * Day), Jitter: 0.1, RetryOn: []string{"failed", "lost"},
		}, `{"strategy":"exponential","max_attempts":5,"delay":"1s","factor":1.5,"max_delay":"2d","jitter":0.1,"retry_on":["failed","lost"]}`},
		{"failure_rate", Retry{Strategy: "failure_rate", MaxFailures: 4, Interval: Duration(10 * time.Minute), Delay: Duration(time.Minute)},
			`{"strategy":"failure_rate","delay":"1m","max_failures":4,"interval":"10m"}`},
		// The delay failure_rate requires is written even when zero.
		{"failure_rate at once", Retry{Strategy: "failure_rate", MaxFailures: 4, Interval: Duration(time.Hour), RetryOn: []string{"timed_out"}},
			`{"strategy":"failure_rate","max_failures":4,"interval":"1h","retry_on":["timed_out"],"delay":"0s"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.policy)
			if err != nil || string(b) != tt.json {
				t.Errorf("Marshal = %s, %v; want %s", b, err, tt.json)
			}
			var back Retry
			if err := json.Unmarshal([]byte(tt.json), &back); err != nil {
				t.Fatalf("Unmarshal(%s): %v", tt.json, err)
			}
			if diff := cmp.Diff(tt.policy, back); diff != "" {
				t.Errorf("Unmarshal(%s) mismatch (-want +got):\n%s", tt.json, diff)
			}
			// What is stored parses back to the same policy.
			src := `{"name": "x", "tasks": [{"name": "a", "run": "a", "retry": ` + tt.json + `}]}`
			d, err := Parse("stored.json", []byte(src))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(&tt.policy, d.Tasks[0].Retry); diff != "" {
				t.Errorf("Parse mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRetryInStep checks that schema.json, Retry, the strategies table and
// package retry agree on the strategies, their fields and the outcomes.
func TestRetryInStep(t *testing.T) {
	var s struct {
		Defs struct {
			Retry struct {
				AnyOf []struct {
					Properties map[string]json.RawMessage `json:"properties"`
				} `json:"anyOf"`
			} `json:"retry"`
			Outcome struct {
				Enum []string `json:"enum"`
			} `json:"retry_outcome"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(Schema(), &s); err != nil {
		t.Fatal(err)
	}
	if len(s.Defs.Retry.AnyOf) != 2 {
		t.Fatalf("schema retry has %d forms, want 2 (\"none\" and an object)", len(s.Defs.Retry.AnyOf))
	}
	schemaFields := slices.Sorted(maps.Keys(s.Defs.Retry.AnyOf[1].Properties))

	var structFields []string
	rt := reflect.TypeFor[Retry]()
	for i := range rt.NumField() {
		name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
		structFields = append(structFields, name)
	}
	slices.Sort(structFields)
	if diff := cmp.Diff(schemaFields, structFields); diff != "" {
		t.Errorf("schema retry properties and Retry's JSON fields differ (-schema +Retry):\n%s", diff)
	}
	if diff := cmp.Diff(schemaFields, slices.Sorted(slices.Values(append([]string{"strategy"}, retryFields...)))); diff != "" {
		t.Errorf("schema retry properties and retryFields differ (-schema +retryFields):\n%s", diff)
	}

	used := map[string]bool{}
	for name, spec := range strategies {
		for _, f := range slices.Concat(spec.required, spec.optional) {
			if !slices.Contains(retryFields, f) {
				t.Errorf("strategy %s uses %q, which is not a retry field", name, f)
			}
			used[f] = true
		}
		// Package retry knows the strategy: it does not give up on a
		// first failure for not knowing it.
		d := retry.Policy{Strategy: name, MaxAttempts: 2, MaxFailures: 1}.Next(retry.History{Failures: 1})
		if strings.Contains(d.Reason, "unknown") {
			t.Errorf("package retry does not know strategy %s: %+v", name, d)
		}
	}
	for _, f := range retryFields {
		if !used[f] {
			t.Errorf("no strategy uses %s", f)
		}
	}

	if diff := cmp.Diff(s.Defs.Outcome.Enum, retryOutcomes); diff != "" {
		t.Errorf("schema retry_outcome and retryOutcomes differ (-schema +Go):\n%s", diff)
	}
	if diff := cmp.Diff(retry.Outcomes(), retryOutcomes); diff != "" {
		t.Errorf("retry.Outcomes and retryOutcomes differ (-retry +workflow):\n%s", diff)
	}
	for name, pair := range map[string][2]string{
		"none": {StrategyNone, retry.None}, "fixed": {StrategyFixed, retry.Fixed},
		"exponential": {StrategyExponential, retry.Exponential}, "failure_rate": {StrategyFailureRate, retry.FailureRate},
		"failed": {OutcomeFailed, retry.Failed}, "timed_out": {OutcomeTimedOut, retry.TimedOut}, "lost": {OutcomeLost, retry.Lost},
	} {
		if pair[0] != name || pair[1] != name {
			t.Errorf("%s: workflow says %q, retry %q", name, pair[0], pair[1])
		}
	}
}

// TestGraphRetry checks that every node carries its whole policy: the
// task's own, else the default one, else none.
func TestGraphRetry(t *testing.T) {
	d := mustParse(t, `name: x
defaults:
  retry:
    strategy: exponential
    max_attempts: 6
    delay: 10s
    max_delay: 5m
    jitter: 0.2
    retry_on: [failed, timed_out]
tasks:
  - name: inherit
    run: a
  - name: own
    run: b
    retry: {strategy: failure_rate, max_failures: 4, interval: 10m, delay: 30s}
  - name: never
    run: c
    retry: none
`)
	want := []Retry{
		{Strategy: "exponential", MaxAttempts: 6, Delay: Duration(10 * time.Second), MaxDelay: Duration(5 * time.Minute), Jitter: 0.2, RetryOn: []string{"failed", "timed_out"}},
		{Strategy: "failure_rate", MaxFailures: 4, Interval: Duration(10 * time.Minute), Delay: Duration(30 * time.Second)},
		NoRetry(),
	}
	for i, n := range d.Graph().Nodes {
		if diff := cmp.Diff(want[i], n.Retry); diff != "" {
			t.Errorf("%s retry mismatch (-want +got):\n%s", n.Name, diff)
		}
	}
	plain := mustParse(t, "name: x\ntasks: [{name: a, run: a}]\n")
	if got := plain.Graph().Nodes[0].Retry; !cmp.Equal(got, NoRetry()) {
		t.Errorf("retry of a task without policy = %+v, want none", got)
	}
}
