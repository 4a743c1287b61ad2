package subworkflow

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/baton-sched/baton/internal/taskkind/kindtest"
	"github.com/google/go-cmp/cmp"
)

func TestDecodeAndJSON(t *testing.T) {
	d := &kindtest.Decoder{}
	s := decode(d, map[string]any{"workflow": "child", "params": map[string]any{"day": "${{ params.day }}", "n": json.Number("3")}})
	want := &Block{Workflow: "child", Params: map[string]string{"day": "${{ params.day }}", "n": "3"}}
	if diff := cmp.Diff(want, s); diff != "" || len(d.Problems) != 0 {
		t.Errorf("block (-want +got):\n%s\nproblems %q", diff, d.Problems)
	}
	keys := map[string]json.RawMessage{}
	for _, kv := range s.Keys() {
		keys[kv.Key], _ = json.Marshal(kv.Value)
	}
	again, err := load(keys)
	if diff := cmp.Diff(want, again); diff != "" || err != nil {
		t.Errorf("JSON round trip (-want +got):\n%s\n%v", diff, err)
	}
	d = &kindtest.Decoder{}
	if s := decode(d, map[string]any{"run": "x", "params": map[string]any{"Bad": "1"}}); s != nil || len(d.Problems) != 2 ||
		!strings.HasPrefix(d.Problems[0], `params["Bad"]: invalid name`) && !strings.HasPrefix(d.Problems[0], "params.Bad: invalid name") ||
		!strings.HasPrefix(d.Problems[1], "params: params are a sub-workflow's parameters") {
		t.Errorf("params without workflow: %+v %q", s, d.Problems)
	}
}

func TestPrepare(t *testing.T) {
	r := kindtest.Renderer{Values: map[string]string{"params.day": "d1"}}
	p, err := prepare(r, &Block{Workflow: "child", Params: map[string]string{"day": "${{ params.day }}"}})
	if diff := cmp.Diff(map[string]string{"day": "d1"}, p.Payload); diff != "" || err != nil {
		t.Errorf("params (-want +got):\n%s\n%v", diff, err)
	}
	if _, err := prepare(r, &Block{Workflow: "child", Params: map[string]string{"x": "${{ tasks.a.outputs.b }}"}}); err == nil ||
		!strings.HasPrefix(err.Error(), "params.x: ") {
		t.Errorf("unrenderable param: %v", err)
	}
}
