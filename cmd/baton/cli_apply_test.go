package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/baton-sched/baton/client"
)

const helloDef = `name: hello
params:
  who:
    default: world
tasks:
  - name: greet
    run: echo hello ${{ params.who }}
  - name: done
    needs: [greet]
    run: echo done
`

const cycleDef = `name: cyc
tasks:
  - {name: a, run: x, needs: [b]}
  - {name: b, run: x, needs: [a]}
`

func TestApplyFileThenUnchanged(t *testing.T) {
	f := newCLIFixture(t)
	dir := writeFiles(t, map[string]string{"hello.yaml": helloDef})
	file := filepath.Join(dir, "hello.yaml")

	if r := f.mustRun("apply", "-f", file); r.stdout != "hello: created version 1\n" {
		t.Errorf("first apply printed %q", r.stdout)
	}
	if r := f.mustRun("apply", "-f", file); r.stdout != "hello: unchanged (version 1)\n" {
		t.Errorf("second apply printed %q", r.stdout)
	}
	r := f.mustRun("workflow", "show", "hello")
	if r.stdout != helloDef {
		t.Errorf("workflow show printed %q, want the applied source", r.stdout)
	}
	var v client.WorkflowVersion
	if r := f.mustRun("workflow", "show", "hello", "-o", "json"); json.Unmarshal([]byte(r.stdout), &v) != nil ||
		v.Version != 1 || v.Definition["name"] != "hello" {
		t.Errorf("workflow show -o json: %q", r.stdout)
	}
}

func TestApplyDirectory(t *testing.T) {
	f := newCLIFixture(t)
	dir := writeFiles(t, map[string]string{
		"b.yml":        strings.Replace(helloDef, "name: hello", "name: second", 1),
		"a.yaml":       helloDef,
		"c.json":       `{"name": "third", "tasks": [{"name": "only", "run": "true"}]}`,
		"notes.txt":    "not a definition",
		"sub/d.yaml":   "name: nested\ntasks: [{name: x, run: x}]\n",
		"e.YAML":       strings.Replace(helloDef, "name: hello", "name: upper", 1),
		"bad.yaml.bak": "name: [",
	})
	r := f.mustRun("apply", "-f", dir)
	want := "hello: created version 1\nsecond: created version 1\nthird: created version 1\nupper: created version 1\n"
	if r.stdout != want {
		t.Errorf("apply DIR printed\n%s\nwant (name order, no subdirectory, no other files)\n%s", r.stdout, want)
	}

	r = f.mustRun("workflows")
	for _, name := range []string{"hello", "second", "third", "upper"} {
		if !strings.Contains(r.stdout, name) {
			t.Errorf("workflows lacks %s:\n%s", name, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "nested") {
		t.Errorf("apply DIR read a subdirectory:\n%s", r.stdout)
	}

	var applied []client.Applied
	r = f.mustRun("apply", "-f", dir, "-o", "json")
	if err := json.Unmarshal([]byte(r.stdout), &applied); err != nil || len(applied) != 4 || applied[0].Changed {
		t.Errorf("apply -o json: %v %q", err, r.stdout)
	}
}

func TestApplyInvalidChangesNothing(t *testing.T) {
	f := newCLIFixture(t)
	dir := writeFiles(t, map[string]string{"good.yaml": helloDef, "cyc.yaml": cycleDef})

	r := f.run("apply", "-f", dir)
	if r.code() == 0 {
		t.Fatalf("apply of a cycle succeeded:\n%s", r.stdout)
	}
	for _, want := range []string{"cycle: a -> b -> a", filepath.Join(dir, "cyc.yaml") + ":"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if r.stdout != "" {
		t.Errorf("stdout of a refused apply: %q", r.stdout)
	}

	for _, cmd := range [][]string{{"workflows", "-o", "json"}, {"runs", "-o", "json"}} {
		if r := f.mustRun(cmd...); strings.TrimSpace(r.stdout) != "[]" {
			t.Errorf("baton %s after a refused apply: %s", strings.Join(cmd, " "), r.stdout)
		}
	}
	if r := f.mustRun("workflows"); strings.Contains(r.stdout, "hello") {
		t.Errorf("the valid file of a refused apply was stored:\n%s", r.stdout)
	}
}

func TestApplyBadArguments(t *testing.T) {
	f := newCLIFixture(t)
	missing := filepath.Join(t.TempDir(), "nope.yaml")
	empty := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"apply", "-f", missing}, "nope.yaml: no such file"},
		{[]string{"apply", "-f", empty}, "no .yaml, .yml or .json files in " + empty},
		{[]string{"apply"}, "-f FILE|DIR"},
		{[]string{"apply", "-f", missing, "-o", "yaml"}, `--output "yaml"`},
	} {
		r := f.run(tc.args...)
		if r.err == nil || !strings.Contains(r.err.Error(), tc.want) {
			t.Errorf("baton %s: %v, want an error with %q", strings.Join(tc.args, " "), r.err, tc.want)
		}
	}
}
