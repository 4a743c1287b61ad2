package workflow

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/baton-sched/baton/client/vocab"
	"github.com/baton-sched/baton/internal/kinds/approval"
	"github.com/baton-sched/baton/internal/kinds/subworkflow"
	"github.com/google/go-cmp/cmp"
)

func ptr[T any](v T) *T { return &v }

const etlYAML = `# Nightly ETL.
name: nightly-etl
description: Load yesterday's orders.
params:
  day: ""            # required? no: empty default
  region: eu
  batch: 500
  dry_run: false
  ratio: 1.10
  token:             # required: no default
  target:
    default: warehouse
    description: Where to load.
  mode:
    description: Required, with a description.
defaults:
  timeout: 1h
  retry: {strategy: fixed, max_attempts: 3, delay: 30s}
  group: etl
  cu: 2
  env:
    REGION: ${{ params.region }}
  labels: {os: linux}
  zones: {deny: [eu-central-2]}
tasks:
  - name: extract
    run: ./extract.sh --day ${{ run.scheduled_date }}
    retry: none
  - name: transform-a
    needs: [extract]
    run: |
      ./transform.sh a ${{ tasks.extract.outputs.file }}
    cu: 0.5
    priority: -2
  - name: transform-b
    needs: [extract]
    run: ./transform.sh b ${{ tasks.extract.outputs.file }}
    env: {REGION: us, PART: 2}
    timeout: 1d12h
  - name: load
    needs: [transform-a, transform-b]
    rerunnable: false
    group: db
    labels: {disk: ssd, gpus: 2}
    zones:
      allow: [eu-west-1, eu-west-2]
    priority: 10
    run: >-
      ./load.sh ${{ tasks.transform-a.outputs.file }}
      ${{ tasks.extract.outputs.file }} $${{ not a template }}
    retry:
      strategy: none
`

func etlDefinition() *Definition {
	return &Definition{
		Name:        "nightly-etl",
		Description: "Load yesterday's orders.",
		Params: map[string]Param{
			"day":     {Default: ptr("")},
			"region":  {Default: ptr("eu")},
			"batch":   {Default: ptr("500")},
			"dry_run": {Default: ptr("false")},
			"ratio":   {Default: ptr("1.10")},
			"token":   {},
			"target":  {Default: ptr("warehouse"), Description: "Where to load."},
			"mode":    {Description: "Required, with a description."},
		},
		Defaults: Defaults{
			Timeout: Duration(time.Hour),
			Retry:   &Retry{Strategy: "fixed", MaxAttempts: 3, Delay: Duration(30 * time.Second)},
			Group:   "etl",
			CU:      2,
			Env:     map[string]string{"REGION": "${{ params.region }}"},
			Labels:  map[string]string{"os": "linux"},
			Zones:   &Zones{Deny: []string{"eu-central-2"}},
		},
		Tasks: []Task{
			{Name: "extract", Run: "./extract.sh --day ${{ run.scheduled_date }}", Retry: &Retry{Strategy: "none"}},
			{Name: "transform-a", Needs: []string{"extract"}, Run: "./transform.sh a ${{ tasks.extract.outputs.file }}\n", CU: 0.5, Priority: -2},
			{
				Name: "transform-b", Needs: []string{"extract"}, Run: "./transform.sh b ${{ tasks.extract.outputs.file }}",
				Env: map[string]string{"REGION": "us", "PART": "2"}, Timeout: Duration(36 * time.Hour),
			},
			{
				Name: "load", Needs: []string{"transform-a", "transform-b"}, Rerunnable: ptr(false), Group: "db", Priority: 10,
				Labels: map[string]string{"disk": "ssd", "gpus": "2"},
				Zones:  &Zones{Allow: []string{"eu-west-1", "eu-west-2"}},
				Run:    "./load.sh ${{ tasks.transform-a.outputs.file }} ${{ tasks.extract.outputs.file }} $${{ not a template }}",
				Retry:  &Retry{Strategy: "none"},
			},
		},
	}
}

func mustParse(t *testing.T, src string) *Definition {
	t.Helper()
	d, err := Parse("test.yaml", []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return d
}

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want *Definition
	}{
		{"etl", etlYAML, etlDefinition()},
		{
			"minimal",
			"name: x\ntasks:\n  - name: a\n    run: echo hi\n",
			&Definition{Name: "x", Tasks: []Task{{Name: "a", Run: "echo hi"}}},
		},
		{
			"flow style",
			`{name: "0", tasks: [{name: a, run: a}, {name: b_2, run: b, needs: [a], rerunnable: true}]}`,
			&Definition{Name: "0", Tasks: []Task{{Name: "a", Run: "a"}, {Name: "b_2", Run: "b", Needs: []string{"a"}, Rerunnable: ptr(true)}}},
		},
		{
			"anchors and merge keys",
			`name: x
defaults:
  retry: &r {strategy: fixed, max_attempts: 2}
tasks:
  - &base
    name: a
    run: a
    group: g
  - <<: *base
    name: b
    retry: *r
`,
			&Definition{
				Name:     "x",
				Defaults: Defaults{Retry: &Retry{Strategy: "fixed", MaxAttempts: 2}},
				Tasks: []Task{
					{Name: "a", Run: "a", Group: "g"},
					{Name: "b", Run: "a", Group: "g", Retry: &Retry{Strategy: "fixed", MaxAttempts: 2}},
				},
			},
		},
		{
			"scalars everywhere",
			`name: x
params:
  big: 12345678901234567890
  hex: 0x10
  yes_word: yes
  date: 2024-01-02
tasks:
  - name: a
    run: a
    priority: 3.0
    cu: 1e-1
    timeout: "0"
    env: {A: 1, B: true, C: 1.5}
`,
			&Definition{
				Name: "x",
				Params: map[string]Param{
					"big": {Default: ptr("12345678901234567890")}, "hex": {Default: ptr("16")},
					"yes_word": {Default: ptr("yes")}, "date": {Default: ptr("2024-01-02")},
				},
				Tasks: []Task{{Name: "a", Run: "a", Priority: 3, CU: 0.1, Env: map[string]string{"A": "1", "B": "true", "C": "1.5"}}},
			},
		},
		{
			"placement",
			`name: x
defaults:
  labels:
    os: linux
    example.com/tier: "2"
  zones:
    allow: [eu-west-1, eu-west-1, EU_2.b]
tasks:
  - name: a
    run: a
    labels:
      gpus: 2
      ratio: 1.50
      ssd: true
      spot: false
      empty: ""
      os: ubuntu/22.04
      L.a_b-c/D: x
  - name: b
    run: b
    labels: {}
    zones:
      deny: [eu-west-1]
  - name: c
    run: c
    zones: {allow: [a], deny: [b, b]}
`,
			&Definition{
				Name: "x",
				Defaults: Defaults{
					Labels: map[string]string{"os": "linux", "example.com/tier": "2"},
					Zones:  &Zones{Allow: []string{"eu-west-1", "eu-west-1", "EU_2.b"}},
				},
				Tasks: []Task{
					{Name: "a", Run: "a", Labels: map[string]string{
						"gpus": "2", "ratio": "1.50", "ssd": "true", "spot": "false", "empty": "", "os": "ubuntu/22.04", "L.a_b-c/D": "x",
					}},
					{Name: "b", Run: "b", Zones: &Zones{Deny: []string{"eu-west-1"}}},
					{Name: "c", Run: "c", Zones: &Zones{Allow: []string{"a"}, Deny: []string{"b", "b"}}},
				},
			},
		},
		{
			"longest label and zone",
			"name: x\ntasks:\n  - name: a\n    run: a\n    labels: {" + label64[1:] + ": " + label64[1:] + "}\n    zones: {allow: [" + label64[1:] + "]}\n",
			&Definition{Name: "x", Tasks: []Task{{
				Name: "a", Run: "a", Labels: map[string]string{label64[1:]: label64[1:]}, Zones: &Zones{Allow: []string{label64[1:]}},
			}}},
		},
		{
			"retry strategies",
			`name: x
defaults:
  retry:
    strategy: exponential
    max_attempts: 6
    delay: 10s
    factor: 1.5
    max_delay: 5m
    jitter: 0.2
tasks:
  - name: inherit
    run: a
  - name: exp-minimal
    run: b
    retry: {strategy: exponential, max_attempts: 3, delay: 1s}
  - name: exp-full
    run: c
    retry:
      strategy: exponential
      max_attempts: 2
      delay: 1m
      max_delay: 1m
      factor: 3
      jitter: 1
      retry_on: [lost, timed_out, failed]
  - name: exp-no-jitter
    run: d
    retry: {strategy: exponential, max_attempts: 4, delay: 500ms, jitter: 0, factor: 1.0000001, max_delay: 2d}
  - name: rate
    run: e
    retry:
      strategy: failure_rate
      max_failures: 4
      interval: 10m
      delay: 30s
      retry_on: [failed, lost]
  - name: rate-at-once
    run: f
    retry: {strategy: failure_rate, max_failures: 1, interval: 1d, delay: "0"}
  - name: fixed-timeouts
    run: g
    retry: {strategy: fixed, max_attempts: 2, retry_on: [timed_out]}
  - name: never
    run: h
    retry: {strategy: none}
`,
			&Definition{
				Name: "x",
				Defaults: Defaults{Retry: &Retry{
					Strategy: "exponential", MaxAttempts: 6, Delay: Duration(10 * time.Second),
					Factor: 1.5, MaxDelay: Duration(5 * time.Minute), Jitter: 0.2,
				}},
				Tasks: []Task{
					{Name: "inherit", Run: "a"},
					{Name: "exp-minimal", Run: "b", Retry: &Retry{Strategy: "exponential", MaxAttempts: 3, Delay: Duration(time.Second)}},
					{Name: "exp-full", Run: "c", Retry: &Retry{
						Strategy: "exponential", MaxAttempts: 2, Delay: Duration(time.Minute), MaxDelay: Duration(time.Minute),
						Factor: 3, Jitter: 1, RetryOn: []string{"lost", "timed_out", "failed"},
					}},
					{Name: "exp-no-jitter", Run: "d", Retry: &Retry{
						Strategy: "exponential", MaxAttempts: 4, Delay: Duration(500 * time.Millisecond), Factor: 1.0000001, MaxDelay: Duration(48 * time.Hour),
					}},
					{Name: "rate", Run: "e", Retry: &Retry{
						Strategy: "failure_rate", MaxFailures: 4, Interval: Duration(10 * time.Minute), Delay: Duration(30 * time.Second),
						RetryOn: []string{"failed", "lost"},
					}},
					{Name: "rate-at-once", Run: "f", Retry: &Retry{Strategy: "failure_rate", MaxFailures: 1, Interval: Duration(24 * time.Hour)}},
					{Name: "fixed-timeouts", Run: "g", Retry: &Retry{Strategy: "fixed", MaxAttempts: 2, RetryOn: []string{"timed_out"}}},
					{Name: "never", Run: "h", Retry: &Retry{Strategy: "none"}},
				},
			},
		},
		{
			"task name of 100 characters",
			"name: x\ntasks:\n  - name: " + strings.Repeat("a", 100) + "\n    run: a\n",
			&Definition{Name: "x", Tasks: []Task{{Name: strings.Repeat("a", 100), Run: "a"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustParse(t, tt.src)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse mismatch (-want +got):\n%s", diff)
			}
			// The engine stores definitions as JSON and reads them back.
			b, err := json.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			back, err := Parse("stored.json", b)
			if err != nil {
				t.Fatalf("Parse(json.Marshal(def)): %v\n%s", err, b)
			}
			if diff := cmp.Diff(got, back); diff != "" {
				t.Errorf("JSON round trip mismatch (-parsed +stored):\n%s", diff)
			}
		})
	}
}

// fanOut returns a workflow where one task fans out to n and back to one.
func fanOut(n int) string {
	var b strings.Builder
	b.WriteString("name: fan\ntasks:\n  - name: start\n    run: ./start\n")
	var mids []string
	for i := range n {
		name := fmt.Sprintf("mid-%02d", i)
		mids = append(mids, name)
		fmt.Fprintf(&b, "  - name: %s\n    needs: [start]\n    run: ./mid %d ${{ tasks.start.outputs.shard }}\n", name, i)
	}
	fmt.Fprintf(&b, "  - name: end\n    needs: [%s]\n    run: ./end\n", strings.Join(mids, ", "))
	return b.String()
}

func TestParseFanOut(t *testing.T) {
	d := mustParse(t, fanOut(50))
	g := d.Graph()
	if len(g.Nodes) != 52 {
		t.Fatalf("got %d nodes, want 52", len(g.Nodes))
	}
	start, end := g.Nodes[0], g.Nodes[51]
	if start.Name != "start" || end.Name != "end" {
		t.Fatalf("first/last = %s/%s, want start/end", start.Name, end.Name)
	}
	var mids []int
	for i := 1; i <= 50; i++ {
		mids = append(mids, i)
		n := g.Nodes[i]
		if want := fmt.Sprintf("mid-%02d", i-1); n.Name != want {
			t.Errorf("node %d = %s, want %s", i, n.Name, want)
		}
		if diff := cmp.Diff([]int{0}, n.Upstream); diff != "" {
			t.Errorf("%s upstream (-want +got):\n%s", n.Name, diff)
		}
		if diff := cmp.Diff([]int{51}, n.Downstream); diff != "" {
			t.Errorf("%s downstream (-want +got):\n%s", n.Name, diff)
		}
		if diff := cmp.Diff([]string{"start"}, n.OutputRefs()); diff != "" {
			t.Errorf("%s output refs (-want +got):\n%s", n.Name, diff)
		}
	}
	if diff := cmp.Diff(mids, start.Downstream); diff != "" {
		t.Errorf("start downstream (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(mids, end.Upstream); diff != "" {
		t.Errorf("end upstream (-want +got):\n%s", diff)
	}
}

// TestParseJSON checks that JSON parses to the same definition as the
// equivalent YAML, and that a parsed definition survives a JSON round trip
// (the engine stores definitions as JSON).
func TestParseJSON(t *testing.T) {
	want := etlDefinition()
	b, err := json.MarshalIndent(want, "", "\t")
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse("etl.json", b)
	if err != nil {
		t.Fatalf("Parse(JSON): %v\n%s", err, b)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("JSON parse mismatch (-want +got):\n%s", diff)
	}

	var viaStd Definition
	if err := json.Unmarshal(b, &viaStd); err != nil {
		t.Fatalf("json.Unmarshal: %v", err)
	}
	if diff := cmp.Diff(want, &viaStd); diff != "" {
		t.Errorf("json.Unmarshal mismatch (-want +got):\n%s", diff)
	}
}

func TestParseJSONShorthands(t *testing.T) {
	src := `{
	"name": "x",
	"params": {"day": "today", "n": 3, "flag": true, "req": null, "full": {"default": 2, "description": "d"}},
	"defaults": {"retry": "none", "timeout": "2d"},
	"tasks": [
		{"name": "a", "run": "echo \ud83d\ude00 \u00e9", "retry": {"strategy": "fixed", "max_attempts": 2, "delay": "90s"}},
		{"name": "b", "run": "b", "retry": {"strategy": "exponential", "max_attempts": 5, "delay": "1s", "factor": 2.5, "max_delay": "1h", "jitter": 0.25, "retry_on": ["failed"]}},
		{"name": "c", "run": "c", "retry": {"strategy": "failure_rate", "max_failures": 3, "interval": "5m", "delay": "10s", "retry_on": ["timed_out", "lost"]}}
	]
}`
	want := &Definition{
		Name: "x",
		Params: map[string]Param{
			"day": {Default: ptr("today")}, "n": {Default: ptr("3")}, "flag": {Default: ptr("true")},
			"req": {}, "full": {Default: ptr("2"), Description: "d"},
		},
		Defaults: Defaults{Retry: &Retry{Strategy: "none"}, Timeout: Duration(48 * time.Hour)},
		Tasks: []Task{
			{
				Name: "a", Run: "echo 😀 é",
				Retry: &Retry{Strategy: "fixed", MaxAttempts: 2, Delay: Duration(90 * time.Second)},
			},
			{
				Name: "b", Run: "b",
				Retry: &Retry{
					Strategy: "exponential", MaxAttempts: 5, Delay: Duration(time.Second), Factor: 2.5,
					MaxDelay: Duration(time.Hour), Jitter: 0.25, RetryOn: []string{"failed"},
				},
			},
			{
				Name: "c", Run: "c",
				Retry: &Retry{
					Strategy: "failure_rate", MaxFailures: 3, Interval: Duration(5 * time.Minute),
					Delay: Duration(10 * time.Second), RetryOn: []string{"timed_out", "lost"},
				},
			},
		},
	}
	got, err := Parse("x.json", []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Parse mismatch (-want +got):\n%s", diff)
	}
	var viaStd Definition
	if err := json.Unmarshal([]byte(src), &viaStd); err != nil {
		t.Fatalf("json.Unmarshal: %v", err)
	}
	if diff := cmp.Diff(want, &viaStd); diff != "" {
		t.Errorf("json.Unmarshal mismatch (-want +got):\n%s", diff)
	}
}

func TestParseJSONLines(t *testing.T) {
	src := "{\n  \"name\": \"x\",\n  \"tasks\": [\n    {\"name\": \"a\", \"run\": \"a\"},\n    {\"name\": \"b\",\n     \"run\": \"b\", \"needs\": [\"zz\"]}\n  ]\n}\n"
	_, err := Parse("x.json", []byte(src))
	want := `x.json:6: tasks[1].needs[0]: unknown task "zz"`
	if err == nil || err.Error() != want {
		t.Errorf("Parse error = %v, want %s", err, want)
	}
}

func TestValidationErrorFormat(t *testing.T) {
	e := &ValidationError{Filename: "etl.yaml", Problems: []Problem{
		{Path: "tasks[2].needs[0]", Line: 12, Message: `unknown task "extrct"`},
		{Path: "params.day", Message: "no line"},
		{Line: 3, Message: "no path"},
	}}
	want := "etl.yaml:12: tasks[2].needs[0]: unknown task \"extrct\"\netl.yaml: params.day: no line\netl.yaml:3: no path"
	if got := e.Error(); got != want {
		t.Errorf("Error() =\n%s\nwant\n%s", got, want)
	}
	e.Filename = ""
	want = "12: tasks[2].needs[0]: unknown task \"extrct\"\nparams.day: no line\n3: no path"
	if got := e.Error(); got != want {
		t.Errorf("Error() without filename =\n%s\nwant\n%s", got, want)
	}
}

func TestParseNoopTask(t *testing.T) {
	def, err := Parse("noop.yaml", []byte("name: x\ntasks:\n  - {name: join, noop: true}\n  - {name: after, needs: [join], run: echo done}\n"))
	if err != nil {
		t.Fatal(err)
	}
	g := def.Graph()
	if g.Nodes[0].Kind != vocab.KindNoop || g.Nodes[0].Run != "" || g.Nodes[1].Kind == vocab.KindNoop {
		t.Errorf("nodes %+v, want the first a noop and the second a command", g.Nodes)
	}
	spec, err := json.Marshal(def)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Parse("noop.json", spec)
	if err != nil || again.Tasks[0].Kind != vocab.KindNoop {
		t.Errorf("noop did not survive the JSON round trip: %s %v", spec, err)
	}
}

func TestParseSlotsAndSubWorkflows(t *testing.T) {
	src := `name: x
params:
  day: {default: "1"}
defaults:
  slot: warehouse
tasks:
  - {name: load, run: load}
  - {name: light, run: light, slot: api}
  - name: child
    needs: [load]
    workflow: nightly
    params: {day: "${{ params.day }}", mode: full}
`
	def, err := Parse("x.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	g := def.Graph()
	byName := map[string]Node{}
	for _, n := range g.Nodes {
		byName[n.Name] = n
	}
	if byName["load"].Slot != "warehouse" || byName["light"].Slot != "api" {
		t.Errorf("slots %q and %q, want the default warehouse and the task's api", byName["load"].Slot, byName["light"].Slot)
	}
	child := byName["child"]
	sub, _ := child.Spec.(*subworkflow.Block)
	if sub == nil || sub.Workflow != "nightly" || child.Group != SubWorkflowGroup || sub.Params["mode"] != "full" ||
		sub.Params["day"] != "${{ params.day }}" {
		t.Errorf("sub-workflow node %+v, want workflow nightly in group %s with its params", child, SubWorkflowGroup)
	}
	spec, err := json.Marshal(def)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Parse("x.json", spec)
	if sub, _ := again.Tasks[2].Spec.(*subworkflow.Block); err != nil || sub == nil || sub.Workflow != "nightly" || again.Defaults.Slot != "warehouse" {
		t.Errorf("fields did not survive the JSON round trip: %s %v", spec, err)
	}
}

func TestParseApproval(t *testing.T) {
	src := `name: x
params:
  date: {default: "2026-01-01"}
tasks:
  - {name: build, run: build, env: {A: b}}
  - name: sign-off
    needs: [build]
    labels: {disk: ssd}
    approval:
      message: "Load ${{ params.date }} into prod?"
      timeout: 4h
      default: reject
  - name: ask
    approval: {message: "go?"}
`
	def, err := Parse("x.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	g := def.Graph()
	byName := map[string]Node{}
	for _, n := range g.Nodes {
		byName[n.Name] = n
	}
	n := byName["sign-off"]
	b, ok := n.Spec.(*approval.Block)
	if n.Kind != vocab.KindApproval || n.Group != approval.Group || n.Labels != nil || !ok {
		t.Fatalf("approval node %+v, want kind approval in group %s without labels", n, approval.Group)
	}
	if b.Message != "Load ${{ params.date }} into prod?" || b.Timeout.Std() != 4*time.Hour || b.Default != vocab.DecisionReject {
		t.Errorf("approval block %+v", *b)
	}
	if a, ok := byName["ask"].Spec.(*approval.Block); !ok || a.Timeout != 0 || a.Default != "" {
		t.Errorf("approval without timeout: %+v", a)
	}
	spec, err := json.Marshal(def)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Parse("x.json", spec)
	if err != nil {
		t.Fatalf("approval did not survive the JSON round trip: %s %v", spec, err)
	}
	if a, ok := again.Tasks[1].Spec.(*approval.Block); !ok || a.Default != vocab.DecisionReject || a.Timeout.Std() != 4*time.Hour {
		t.Errorf("approval did not survive the JSON round trip: %s", spec)
	}
}

func TestParseResources(t *testing.T) {
	d, err := Parse("x.yaml", []byte("name: x\ntasks:\n  - name: a\n    run: ./tools/a.sh\n    resources: [tools, config@3]\n  - {name: b, run: b}\n"))
	if err != nil {
		t.Fatal(err)
	}
	g := d.Graph()
	want := []ResourceRef{{Name: "tools"}, {Name: "config", Version: 3}}
	if !slices.Equal(g.Nodes[0].Resources, want) {
		t.Errorf("resources %v, want %v", g.Nodes[0].Resources, want)
	}
	if g.Nodes[1].Resources != nil {
		t.Errorf("task b has resources %v, want none", g.Nodes[1].Resources)
	}
	if got := want[1].String(); got != "config@3" {
		t.Errorf("String() = %q", got)
	}
}

func TestResourcesRoundTrip(t *testing.T) {
	d, err := Parse("x.yaml", []byte("name: x\ntasks:\n  - name: a\n    run: a\n    resources: [tools, config@3]\n"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"resources":["tools","config@3"]`) {
		t.Errorf("JSON %s: want the references as written", b)
	}
	again, err := Parse("x.json", b)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(again.Tasks[0].Resources, d.Tasks[0].Resources) {
		t.Errorf("round trip: %v, want %v", again.Tasks[0].Resources, d.Tasks[0].Resources)
	}
}
