package main

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/client/vocab"
)

func TestApproveCommands(t *testing.T) {
	f := newCLIFixture(t)
	f.apply(map[string]string{"release": "name: release\ntasks:\n  - name: sign-off\n    approval: {message: \"ship v2?\"}\n" +
		"  - {name: load, run: \"true\", needs: [sign-off]}\n"})
	run, err := f.c.StartRun(context.Background(), "release", client.StartRunRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := f.eng.StartServerTasks(context.Background(), vocab.KindApproval, 10); err != nil || n != 1 {
		t.Fatalf("start approvals: %d %v", n, err)
	}
	id := strconv.FormatInt(run.ID, 10)
	r := f.mustRun("approvals")
	if row := lineWith(r.stdout, "sign-off"); !strings.Contains(row, "ship v2?") || !strings.HasPrefix(row, id) {
		t.Errorf("approvals printed %q, want run %s's sign-off with its message", r.stdout, id)
	}
	if r := f.run("approve", id, "sign-off", "--note", strings.Repeat("n", 3000)); r.err == nil || !strings.Contains(r.stderr, "note") {
		t.Errorf("oversize note: %v %q, want an error naming note", r.err, r.stderr)
	}
	r = f.mustRun("approve", id, "sign-off", "--reject", "--note", "not today")
	if r.stdout != "run "+id+" task sign-off rejected by token:test\n" {
		t.Errorf("approve --reject printed %q", r.stdout)
	}
	if r := f.run("approve", id, "sign-off"); r.err == nil || !strings.Contains(r.stderr+r.err.Error(), "not waiting") {
		t.Errorf("second decision: %v %q, want a conflict", r.err, r.stderr)
	}
	if r := f.mustRun("approvals"); lineWith(r.stdout, "sign-off") != "" {
		t.Errorf("approvals still lists the decided task: %q", r.stdout)
	}
}
