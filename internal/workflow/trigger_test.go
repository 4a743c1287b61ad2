package workflow

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseOn(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want On
	}{
		{"one name", "name: x\non:\n  workflow_succeeded: load\ntasks: [{name: a, run: a}]\n",
			On{WorkflowSucceeded: []Upstream{{Workflow: "load"}}}},
		{"list and webhook", "name: x\non:\n  workflow_succeeded: [load, clean]\n  webhook: true\ntasks: [{name: a, run: a}]\n",
			On{WorkflowSucceeded: []Upstream{{Workflow: "load"}, {Workflow: "clean"}}, Webhook: true}},
		{"object with params", "name: x\nparams: {day: null, n: 1}\non:\n  workflow_succeeded:\n    workflow: load\n    params: {day: \"${{ trigger.params.day }}\", n: 2}\ntasks: [{name: a, run: \"echo ${{ params.day }} ${{ trigger.outputs.extract.file }}\"}]\n",
			On{WorkflowSucceeded: []Upstream{{Workflow: "load", Params: map[string]string{"day": "${{ trigger.params.day }}", "n": "2"}}}}},
		{"webhook only", "name: x\non: {webhook: true}\ntasks: [{name: a, run: \"echo ${{ trigger.params.day }}\"}]\n",
			On{Webhook: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			def, err := Parse("x.yaml", []byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			if def.On == nil || !reflect.DeepEqual(*def.On, tt.want) {
				t.Fatalf("On = %+v, want %+v", def.On, tt.want)
			}
			// The canonical JSON the engine stores reads back the same.
			js, err := json.Marshal(def)
			if err != nil {
				t.Fatal(err)
			}
			again, err := Parse("x.json", js)
			if err != nil {
				t.Fatalf("stored JSON %s: %v", js, err)
			}
			if !reflect.DeepEqual(again.On, def.On) {
				t.Fatalf("from JSON On = %+v, want %+v", again.On, def.On)
			}
		})
	}
}

func TestParseOnRejects(t *testing.T) {
	tests := []struct {
		name, src, msg, path string
		line                 int
	}{
		{"empty on", "name: x\non: {}\ntasks: [{name: a, run: a}]\n", "at least 1", "on", 2},
		{"webhook false only", "name: x\non: {webhook: false}\ntasks: [{name: a, run: a}]\n", "no event given", "on", 2},
		{"unknown event", "name: x\non:\n  workflow_failed: y\ntasks: [{name: a, run: a}]\n", `unknown field "workflow_failed"`, "on", 3},
		{"bad name", "name: x\non:\n  workflow_succeeded: Load\ntasks: [{name: a, run: a}]\n", "", "on.workflow_succeeded", 3},
		{"itself", "name: x\non:\n  workflow_succeeded: x\ntasks: [{name: a, run: a}]\n", "cannot trigger itself", "on.workflow_succeeded", 3},
		{"twice", "name: x\non:\n  workflow_succeeded:\n    - y\n    - workflow: y\ntasks: [{name: a, run: a}]\n", "listed twice", "on.workflow_succeeded[1].workflow", 5},
		{"unknown param", "name: x\non:\n  workflow_succeeded:\n    workflow: y\n    params: {dya: 1}\nparams: {day: 1}\ntasks: [{name: a, run: a}]\n", `did you mean "day"`, "on.workflow_succeeded.params.dya", 5},
		{"missing param", "name: x\nparams: {day: null}\non:\n  workflow_succeeded: [y]\ntasks: [{name: a, run: a}]\n", `missing required parameter "day"`, "on.workflow_succeeded[0]", 4},
		{"param refers to params", "name: x\nparams: {day: null}\non:\n  workflow_succeeded:\n    workflow: y\n    params: {day: \"${{ params.day }}\"}\ntasks: [{name: a, run: a}]\n", "only trigger.*", "on.workflow_succeeded.params.day", 6},
		{"bad trigger field", "name: x\non: {webhook: true}\ntasks:\n  - name: a\n    run: echo ${{ trigger.body }}\n", "trigger has kind, run", "tasks[0].run", 5},
		{"trigger without on", "name: x\ntasks:\n  - name: a\n    run: echo ${{ trigger.run }}\n", "declares no trigger", "tasks[0].run", 4},
		{"upstream ref with webhook only", "name: x\non: {webhook: true}\ntasks:\n  - name: a\n    run: echo ${{ trigger.outputs.t.k }}\n", "only runs started by on: workflow_succeeded", "tasks[0].run", 5},
		{"not a list of names", "name: x\non:\n  workflow_succeeded: [1]\ntasks: [{name: a, run: a}]\n", "must be a string or an object", "on.workflow_succeeded[0]", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("x.yaml", []byte(tt.src))
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

func TestRenderTrigger(t *testing.T) {
	up := &TriggerScope{Kind: TriggerWorkflowSucceeded, RunID: 42, Workflow: "load",
		Params: map[string]string{"day": "2026-01-02"}, Outputs: map[string]map[string]string{"extract": {"file": "/a"}}}
	got, err := Render("${{ trigger.kind }} ${{ trigger.workflow }} ${{ trigger.run }} ${{ trigger.params.day }} ${{ trigger.outputs.extract.file }}",
		Scope{Trigger: up})
	if err != nil || got != "workflow_succeeded load 42 2026-01-02 /a" {
		t.Fatalf("Render = %q, %v", got, err)
	}
	if _, err := Render("${{ trigger.outputs.extract.nope }}", Scope{Trigger: up}); err == nil || !strings.Contains(err.Error(), `no output "nope"`) {
		t.Errorf("missing output: %v", err)
	}
	if _, err := Render("${{ trigger.run }}", Scope{}); err == nil || !strings.Contains(err.Error(), "not started by a trigger") {
		t.Errorf("no trigger: %v", err)
	}
	hook := &TriggerScope{Kind: TriggerWebhook, Params: map[string]string{"day": "d"}}
	if got, err := Render("${{ trigger.params.day }}", Scope{Trigger: hook}); err != nil || got != "d" {
		t.Errorf("webhook param = %q, %v", got, err)
	}
	if _, err := Render("${{ trigger.run }}", Scope{Trigger: hook}); err == nil || !strings.Contains(err.Error(), "no upstream run") {
		t.Errorf("webhook run: %v", err)
	}
	u := Upstream{Workflow: "load", Params: map[string]string{"day": "${{ trigger.params.day }}", "n": "1"}}
	ps, err := u.TriggerParams(up)
	if err != nil || !reflect.DeepEqual(ps, map[string]string{"day": "2026-01-02", "n": "1"}) {
		t.Fatalf("TriggerParams = %v, %v", ps, err)
	}
}
