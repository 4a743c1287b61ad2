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

// The worker protocol's enum of assignment kinds (a struct tag, which
// cannot name a constant) lists the worker kinds.
func TestAssignmentKindEnum(t *testing.T) {
	f, _ := reflect.TypeFor[client.Assignment]().FieldByName("Kind")
	if got, want := f.Tag.Get("enum"), strings.Join(vocab.WorkerKinds, ","); got != want {
		t.Errorf("client.Assignment kind enum %q, want %q", got, want)
	}
}
