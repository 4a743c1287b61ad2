package ui

import (
	"net/http"
	"testing"

	"github.com/baton-sched/baton/internal/workflow"
)

// The trigger form: a field per parameter, sorted, the input fitting the
// default, and each problem of a refusal at its field (the rest listed).
func TestTriggerForm(t *testing.T) {
	str := func(s string) *string { return &s }
	def := definition{Params: map[string]workflow.Param{
		"day":   {Description: "the day"},
		"count": {Default: str("3")},
		"loud":  {Default: str("true")},
		"who":   {Default: str("world")},
		"odd-1": {Default: str("1.5e3")},
	}}
	f := newTriggerForm(nil, "wf", 2, def, nil)
	want := []struct{ name, input, value string }{
		{"count", "number", "3"}, {"day", "text", ""}, {"loud", "bool", "true"}, {"odd-1", "number", "1.5e3"}, {"who", "text", "world"},
	}
	if len(f.Fields) != len(want) {
		t.Fatalf("fields %+v", f.Fields)
	}
	for i, w := range want {
		fd := f.Fields[i]
		if fd.Name != w.name || fd.Input != w.input || fd.Value != w.value || fd.Required != (w.name == "day") {
			t.Errorf("field %d: %+v, want %+v", i, fd, w)
		}
	}
	if f.Key == "" || f.Key == newTriggerForm(nil, "wf", 2, def, nil).Key {
		t.Error("each form needs its own idempotency key")
	}
	st := &triggerState{Values: map[string]string{"who": "bob"}, Err: &ActionError{Status: http.StatusUnprocessableEntity,
		Detail: "invalid request: nothing was changed", Problems: []Problem{
			{Location: "params.day", Message: `missing required parameter "day"`},
			{Location: `params["odd-1"]`, Message: "bad"},
			{Location: "params.bogus", Message: `unknown parameter "bogus"`},
		}}}
	f = newTriggerForm(nil, "wf", 2, def, st)
	byName := map[string]paramField{}
	for _, fd := range f.Fields {
		byName[fd.Name] = fd
	}
	if byName["day"].Error != `missing required parameter "day"` || byName["odd-1"].Error != "bad" || byName["who"].Value != "bob" ||
		byName["count"].Value != "" || byName["count"].Error != "" {
		t.Errorf("fields after the refusal: %+v", byName)
	}
	if len(f.Errors) != 2 || f.Errors[0] != "invalid request: nothing was changed" || f.Errors[1] != `params.bogus: unknown parameter "bogus"` {
		t.Errorf("form errors %q", f.Errors)
	}
}
