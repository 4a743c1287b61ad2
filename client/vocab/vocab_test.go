package vocab_test

import (
	"go/parser"
	"go/token"
	"reflect"
	"strings"
	"testing"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/client/vocab"
)

// The check finds literals in every place it claims to look.
func TestStateLiteralsFound(t *testing.T) {
	src := `package p
const k = "shell"
var l = []string{"queued"}
func f(s string, r *R) string {
	if s == "running" { r.State = "failed" }
	switch s { case "lost": }
	_ = R{Kind: "http"}
	_ = g("succeeded") // a call argument: not a state by place
	_ = u.Scheme == "http" // a URL scheme
	return "paused"
}`
	f, err := parser.ParseFile(token.NewFileSet(), "p.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, lit := range stateLiterals(f, words()) {
		got = append(got, lit.Value)
	}
	want := `"shell" "queued" "running" "failed" "lost" "http" "paused"`
	if strings.Join(got, " ") != want {
		t.Errorf("found %s, want %s", strings.Join(got, " "), want)
	}
}

// The API's enums of states and kinds (struct tags, which cannot name a
// constant) list the states and kinds of this package.
func TestAssignmentKindEnum(t *testing.T) {
	for _, c := range []struct {
		typ   reflect.Type
		field string
		want  []string
	}{
		{reflect.TypeFor[client.Assignment](), "Kind", vocab.WorkerKinds},
		{reflect.TypeFor[client.Run](), "State", vocab.RunStates},
		{reflect.TypeFor[client.Task](), "State", vocab.TaskStates},
		{reflect.TypeFor[client.Attempt](), "State", vocab.AttemptStates},
		{reflect.TypeFor[client.Worker](), "State", vocab.WorkerStates},
		{reflect.TypeFor[client.Approval](), "State", vocab.ApprovalStates},
	} {
		f, _ := c.typ.FieldByName(c.field)
		if got, want := f.Tag.Get("enum"), strings.Join(c.want, ","); got != want {
			t.Errorf("%s.%s enum %q, want %q", c.typ, c.field, got, want)
		}
	}
}
