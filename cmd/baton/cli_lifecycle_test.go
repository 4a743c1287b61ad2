package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const tickDef = `name: tick
tasks:
  - name: t
    run: echo tick
schedules:
  - name: s
    cron: "@every 1m"
`

func TestValidateOfflineSaysWhatApplySays(t *testing.T) {
	f := newCLIFixture(t)
	dir := writeFiles(t, map[string]string{
		"hello.yaml": helloDef,
		"cyc.yaml":   cycleDef,
		"dup.yaml":   helloDef,
		"sec.yaml":   "name: sec\ntasks:\n  - name: a\n    run: curl $TOKEN\n    env: {TOKEN: \"${{ secrets.api_token }}\"}\n",
	})
	offline := func(args ...string) cliResult {
		root := newRoot()
		var out, errOut bytes.Buffer
		root.SetOut(&out)
		root.SetErr(&errOut)
		// No server listens there: validate must not need one.
		root.SetArgs(append([]string{"--server", "http://127.0.0.1:1"}, args...))
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err := root.ExecuteContext(ctx)
		return cliResult{stdout: out.String(), stderr: errOut.String(), err: err}
	}
	hello, sec := filepath.Join(dir, "hello.yaml"), filepath.Join(dir, "sec.yaml")
	r := offline("validate", hello, sec)
	if r.err != nil || !strings.Contains(r.stdout, hello+": valid (workflow hello, 2 tasks)") ||
		!strings.Contains(r.stdout, "not checked offline: secrets api_token exist") {
		t.Errorf("validate of good files: %v\n%s%s", r.err, r.stdout, r.stderr)
	}
	// The same files through the server's apply: the same problem lines.
	for _, files := range [][]string{{filepath.Join(dir, "cyc.yaml")}, {hello, filepath.Join(dir, "dup.yaml")}} {
		v := offline(append([]string{"validate"}, files...)...)
		a := f.run(append([]string{"apply"}, files...)...)
		if v.code() != exitFailed || a.code() != exitFailed {
			t.Fatalf("validate exit %d, apply exit %d; want both %d", v.code(), a.code(), exitFailed)
		}
		if problems(v.stderr) == "" || problems(v.stderr) != problems(a.stderr) {
			t.Errorf("validate %v said\n%s\napply said\n%s", files, v.stderr, a.stderr)
		}
	}
}

// problems returns the indented problem lines of an error report.
func problems(stderr string) string {
	var out []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, "  ") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestApplyDryRunStoresNothing(t *testing.T) {
	f := newCLIFixture(t)
	dir := writeFiles(t, map[string]string{"tick.yaml": tickDef})
	file := filepath.Join(dir, "tick.yaml")
	r := f.mustRun("apply", "--dry-run", "-f", file)
	if !strings.Contains(r.stdout, "tick: new workflow, would create version 1") ||
		!strings.Contains(r.stdout, "schedule s: added (@every 1m), next due ") ||
		!strings.Contains(r.stdout, "dry run: nothing was stored") {
		t.Errorf("apply --dry-run of a new workflow printed\n%s", r.stdout)
	}
	if r := f.mustRun("workflows"); strings.Contains(r.stdout, "tick") {
		t.Errorf("a dry run stored the workflow:\n%s", r.stdout)
	}
	f.mustRun("apply", "-f", file)
	if r := f.mustRun("apply", "--dry-run", "-f", file); !strings.Contains(r.stdout, "tick: unchanged (version 1)") {
		t.Errorf("apply --dry-run of the same file printed\n%s", r.stdout)
	}
	changed := writeFiles(t, map[string]string{"tick.yaml": strings.Split(tickDef, "schedules:")[0]})
	r = f.mustRun("apply", "--dry-run", "-f", filepath.Join(changed, "tick.yaml"))
	if !strings.Contains(r.stdout, "tick: would create version 2") || !strings.Contains(r.stdout, "schedule s: removed") {
		t.Errorf("apply --dry-run of a change printed\n%s", r.stdout)
	}
	if r := f.mustRun("workflow", "show", "tick"); r.stdout != tickDef {
		t.Errorf("after a dry run the latest version is\n%s", r.stdout)
	}
}

func TestWorkflowDisableEnableDelete(t *testing.T) {
	f := newCLIFixture(t)
	f.apply(map[string]string{"tick": tickDef})
	f.mustRun("workflow", "disable", "tick")
	if r := f.mustRun("workflows"); !strings.Contains(r.stdout, "disabled") {
		t.Errorf("workflows does not show tick disabled:\n%s", r.stdout)
	}
	r := f.run("run", "tick")
	if r.code() != exitFailed || r.err == nil || !strings.Contains(r.err.Error()+r.stderr, `workflow "tick" is disabled`) {
		t.Errorf("run of a disabled workflow: exit %d, %v %s; want refused, naming it disabled", r.code(), r.err, r.stderr)
	}
	if r := f.run("schedule", "trigger", "tick/s"); r.code() == 0 || !strings.Contains(r.err.Error()+r.stderr, "is disabled") {
		t.Errorf("trigger of a disabled workflow's schedule: exit %d, %v; want refused as disabled", r.code(), r.err)
	}
	f.mustRun("workflow", "enable", "tick")
	f.mustRun("run", "tick") // no worker: it stays active

	r = f.run("workflow", "delete", "tick")
	if r.code() != exitFailed || r.err == nil || !strings.Contains(r.err.Error()+r.stderr, "1 active run(s)") {
		t.Errorf("delete with an active run: exit %d, %v %s; want refused", r.code(), r.err, r.stderr)
	}
	r = f.mustRun("workflow", "delete", "tick", "--force")
	if !strings.Contains(r.stdout, "workflow tick deleted; schedules removed: s; runs cancelled: ") {
		t.Errorf("delete --force printed %q", r.stdout)
	}
	if r := f.mustRun("workflows"); strings.Contains(r.stdout, "tick") {
		t.Errorf("a deleted workflow is listed:\n%s", r.stdout)
	}
	if r := f.mustRun("runs", "--workflow", "tick"); !strings.Contains(r.stdout, "cancelled") {
		t.Errorf("the deleted workflow's runs are gone (history must stay):\n%s", r.stdout)
	}
	if r := f.run("workflow", "delete", "tick"); r.code() != exitFailed {
		t.Errorf("delete of a deleted workflow: exit %d, want %d", r.code(), exitFailed)
	}
}
