package main

import (
	"strings"
	"testing"
)

func TestSlotCommands(t *testing.T) {
	f := newCLIFixture(t)
	r := f.mustRun("slot", "set", "warehouse", "--size", "1", "--description", "warehouse connections")
	if r.stdout != "slot warehouse: size 1\n" {
		t.Errorf("slot set printed %q", r.stdout)
	}
	f.apply(map[string]string{"loads": "name: loads\ntasks:\n  - {name: a, run: \"true\", slot: warehouse}\n  - {name: b, run: \"true\", slot: warehouse}\n"})
	f.mustRun("run", "loads")
	r = f.mustRun("slots")
	row := strings.Fields(lineWith(r.stdout, "warehouse"))
	if len(row) < 4 || row[1] != "1" || row[2] != "0" || row[3] != "2" { // no worker: both queued
		t.Errorf("slots row %q, want size 1, 0 running, 2 queued", lineWith(r.stdout, "warehouse"))
	}
	if r := f.run("slot", "set", "Bad", "--size", "1"); r.err == nil || !strings.Contains(r.stderr, "name:") {
		t.Errorf("slot set with a bad name: %v %q", r.err, r.stderr)
	}
	if r := f.run("slot", "set", "x", "--size", "-2"); r.err == nil || !strings.Contains(r.stderr, "size") {
		t.Errorf("slot set with a negative size: %v %q", r.err, r.stderr)
	}
	f.mustRun("slot", "delete", "warehouse")
	if r := f.run("slot", "delete", "warehouse"); r.code() != exitFailed || !strings.Contains(r.err.Error(), "not found") {
		t.Errorf("delete of a deleted slot: %v", r.err)
	}
}
