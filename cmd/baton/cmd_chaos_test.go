package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// chaosCLI runs `baton chaos args...` and returns its output and exit code.
func chaosCLI(t *testing.T, args ...string) (string, int) {
	t.Helper()
	root := newRoot()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(append([]string{"chaos"}, args...))
	err := root.Execute()
	var ee *exitError
	switch {
	case err == nil:
		return out.String(), 0
	case errors.As(err, &ee):
		return out.String() + ee.msg, ee.code
	}
	return out.String() + err.Error(), 1
}

func TestChaosValidate(t *testing.T) {
	out, code := chaosCLI(t, "validate", "../../scenarios/worker-kill.yaml", "../../scenarios/zone-outage.yaml")
	if code != 0 || !strings.Contains(out, "worker-kill.yaml: ok: worker-kill, 2 servers, 3 workers") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

// TestChaosRunRefusesBadFiles: a typo or an unknown fault kind is refused
// before anything starts (exit 2), naming the file, line and field, for
// every file given.
func TestChaosRunRefusesBadFiles(t *testing.T) {
	dir := t.TempDir()
	flow := filepath.Join(dir, "flow.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	for path, text := range map[string]string{
		flow: "name: flow\ntasks: [{name: t, run: \"true\"}]\n",
		bad: "cluster:\n  zones: [{name: a}]\nworkload:\n  - {workflow: flow.yaml, runs: 1}\n" +
			"faults:\n  - {kind: kil, target: worker a1}\n  - {kind: stop, traget: worker a1}\n",
	} {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, code := chaosCLI(t, "run", bad, "../../scenarios/worker-kill.yaml")
	if code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	for _, want := range []string{
		bad + `:6: faults[0].kind: unknown fault kind "kil"`,
		bad + `:7: faults[1].traget: unknown field "traget" (did you mean target?)`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output:\n%s\nwant %q", out, want)
		}
	}
	if strings.Contains(out, "== worker-kill") {
		t.Error("a scenario ran although another file was refused")
	}
}
