package main

import (
	"strings"
	"testing"
)

func TestAlertCommands(t *testing.T) {
	f := newCLIFixture(t)
	t.Setenv("HOOK_SECRET", "s3cr3t")
	r := f.mustRun("alert", "set", "ops", "--url", "http://127.0.0.1:1/hook", "--events", "run.failed,zone.*",
		"--secret-env", "HOOK_SECRET")
	if r.stdout != "alert channel ops: http://127.0.0.1:1/hook for run.failed,zone.*\n" {
		t.Errorf("alert set printed %q", r.stdout)
	}
	r = f.mustRun("alerts")
	if row := strings.Fields(lineWith(r.stdout, "ops")); len(row) != 4 || row[3] != "yes" {
		t.Errorf("alerts row: %q", lineWith(r.stdout, "ops"))
	}
	if r := f.run("alert", "set", "bad", "--url", "ftp://x", "--events", "run"); r.err == nil ||
		!strings.Contains(r.stderr, "url:") || !strings.Contains(r.stderr, "events:") {
		t.Errorf("alert set with a bad url and event: %v %q", r.err, r.stderr)
	}
	if r := f.run("alert", "set", "x", "--url", "http://h", "--events", "run.failed", "--secret-env", "NOPE_UNSET"); r.err == nil {
		t.Error("alert set with an unset secret variable succeeded")
	}
	f.mustRun("alert", "delete", "ops")
	if r := f.run("alert", "delete", "ops"); r.code() != exitFailed || !strings.Contains(r.err.Error(), "not found") {
		t.Errorf("delete of a deleted channel: %v", r.err)
	}
}
