package workflow

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/baton-sched/baton/client/vocab"
	khttp "github.com/baton-sched/baton/internal/kinds/http"
	"github.com/baton-sched/baton/internal/kinds/subworkflow"
	"github.com/baton-sched/baton/internal/taskkind"
	"github.com/google/go-cmp/cmp"
)

func TestRender(t *testing.T) {
	scope := Scope{
		Params:        map[string]string{"day": "2024-03-01", "empty": ""},
		RunID:         42,
		Workflow:      "nightly-etl",
		ScheduledTime: time.Date(2024, 3, 1, 23, 30, 0, 0, time.FixedZone("CST", 8*3600)),
		Task:          "load",
		Attempt:       2,
		Outputs: map[string]map[string]string{
			"extract": {"file": "/data/x.csv", "rows": "10"},
		},
	}
	tests := []struct {
		name    string
		tmpl    string
		want    string
		wantErr string
	}{
		{name: "no expressions", tmpl: "echo hi", want: "echo hi"},
		{name: "empty", tmpl: "", want: ""},
		{name: "param", tmpl: "--day ${{ params.day }}", want: "--day 2024-03-01"},
		{name: "no spaces", tmpl: "${{params.day}}", want: "2024-03-01"},
		{name: "lots of spaces", tmpl: "${{   params.day\t}}", want: "2024-03-01"},
		{name: "empty param", tmpl: "[${{ params.empty }}]", want: "[]"},
		{name: "run", tmpl: "${{ run.id }} ${{ run.workflow }}", want: "42 nightly-etl"},
		{name: "scheduled time in UTC", tmpl: "${{ run.scheduled_time }}", want: "2024-03-01T15:30:00Z"},
		{name: "scheduled date in UTC", tmpl: "${{ run.scheduled_date }}", want: "2024-03-01"},
		{name: "task", tmpl: "${{ task.name }}#${{ task.attempt }}", want: "load#2"},
		{name: "output", tmpl: "./load.sh ${{ tasks.extract.outputs.file }} ${{ tasks.extract.outputs.rows }}", want: "./load.sh /data/x.csv 10"},
		{name: "escape", tmpl: "echo '$${{ params.day }}'", want: "echo '${{ params.day }}'"},
		{name: "escape then expression", tmpl: "$${{ x }} ${{ params.day }}", want: "${{ x }} 2024-03-01"},
		{name: "dollars", tmpl: "echo $HOME $$ ${HOME} $${HOME}", want: "echo $HOME $$ ${HOME} $${HOME}"},
		{name: "closing braces alone", tmpl: "awk '{print}}'", want: "awk '{print}}'"},
		{name: "multi-line", tmpl: "a\n${{ params.day }}\nb", want: "a\n2024-03-01\nb"},
		{name: "missing output", tmpl: "${{ tasks.extract.outputs.path }}", wantErr: `tasks.extract.outputs.path: task extract has no output "path"`},
		{name: "missing task outputs", tmpl: "${{ tasks.other.outputs.file }}", wantErr: `tasks.other.outputs.file: task other has no output "file"`},
		{name: "missing param", tmpl: "${{ params.region }}", wantErr: `params.region: parameter "region" has no value`},
		{
			name:    "every missing reference",
			tmpl:    "${{ params.a }} ${{ params.b }} ${{ params.a }}",
			wantErr: `params.a: parameter "a" has no value; params.b: parameter "b" has no value`,
		},
		{name: "malformed", tmpl: "${{ nope }}", wantErr: "nope: unknown reference"},
		{name: "unterminated", tmpl: "${{ params.day", wantErr: "unterminated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Render(tt.tmpl, scope)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Render error = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if got != tt.want {
				t.Errorf("Render = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestOutputRefs(t *testing.T) {
	tests := []struct {
		name string
		node Node
		want []string
	}{
		{"none", Node{Run: "echo ${{ params.x }} $${{ tasks.a.outputs.b }}"}, nil},
		{"run", Node{Run: "${{ tasks.b.outputs.x }} ${{ tasks.a.outputs.y }} ${{ tasks.b.outputs.z }}"}, []string{"a", "b"}},
		{"env", Node{Run: "x", Env: map[string]string{"A": "${{ tasks.c.outputs.f }}", "B": "${{tasks.a.outputs.f}}"}}, []string{"a", "c"}},
		{"sub-workflow params", Node{Kind: vocab.KindWorkflow, Spec: &subworkflow.Block{Workflow: "child", Params: map[string]string{"batch": "${{ tasks.prep.outputs.batch }}"}}}, []string{"prep"}},
		{"http", Node{Kind: vocab.KindHTTP, Spec: &khttp.Block{URL: "${{ tasks.u.outputs.x }}", Body: "${{ tasks.b.outputs.x }}",
			Headers: map[string]string{"H": "${{ tasks.h.outputs.x }}"}}}, []string{"b", "h", "u"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.node.OutputRefs()); diff != "" {
				t.Errorf("OutputRefs (-want +got):\n%s", diff)
			}
		})
	}
}

// TestOutputRefsScansEveryTemplate guards against a new template field of
// Node (or of its http request) that OutputRefs does not scan: each string
// field outside the known plain ones refers to an output of a task named
// after the field, and OutputRefs must name them all.
func TestOutputRefsScansEveryTemplate(t *testing.T) {
	plain := map[string]bool{ // fields that are not templates
		"Name": true, "Group": true, "TriggerRule": true, "Slot": true, "Workflow": true,
		"Labels": true, "ZonesAllow": true, "ZonesDeny": true, "Method": true, "Kind": true,
	}
	var want []string
	var fill func(v reflect.Value)
	fill = func(v reflect.Value) {
		for i := range v.NumField() {
			f, name := v.Field(i), v.Type().Field(i).Name
			if plain[name] {
				continue
			}
			tmpl := "${{ tasks." + strings.ToLower(name) + ".outputs.k }}"
			switch {
			case f.Kind() == reflect.String:
				f.SetString(tmpl)
			case f.Type() == reflect.TypeFor[map[string]string]():
				f.Set(reflect.ValueOf(map[string]string{"k": tmpl}))
			case f.Type() == reflect.TypeFor[taskkind.Spec](): // the http kind's block
				h := &khttp.Block{}
				fill(reflect.ValueOf(h).Elem())
				f.Set(reflect.ValueOf(h))
				continue
			default:
				continue
			}
			want = append(want, strings.ToLower(name))
		}
	}
	var n Node
	fill(reflect.ValueOf(&n).Elem())
	slices.Sort(want)
	if diff := cmp.Diff(want, n.OutputRefs()); diff != "" {
		t.Errorf("OutputRefs misses a template field (-want +got):\n%s", diff)
	}
}

// TestRenderTransitiveOutputs checks that outputs of any ancestor may be
// used, not just of direct upstream tasks.
func TestRenderTransitiveOutputs(t *testing.T) {
	d := mustParse(t, `name: x
tasks:
  - {name: a, run: a}
  - {name: b, run: b, needs: [a]}
  - name: c
    needs: [b]
    run: ./c ${{ tasks.a.outputs.f }} ${{ tasks.b.outputs.g }}
`)
	c := d.Graph().Nodes[2]
	got, err := Render(c.Run, Scope{Outputs: map[string]map[string]string{"a": {"f": "1"}, "b": {"g": "2"}}})
	if err != nil || got != "./c 1 2" {
		t.Errorf("Render = %q, %v; want \"./c 1 2\"", got, err)
	}
}
