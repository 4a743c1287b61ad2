package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/baton-sched/baton/client"
)

// runIDs runs `baton runs args... -o json` and returns the IDs listed.
func (f *cliFixture) runIDs(args ...string) []int64 {
	f.t.Helper()
	r := f.mustRun(append(append([]string{"runs"}, args...), "-o", "json")...)
	var runs []client.Run
	if err := json.Unmarshal([]byte(r.stdout), &runs); err != nil {
		f.t.Fatalf("runs -o json: %v %q", err, r.stdout)
	}
	ids := make([]int64, len(runs))
	for i, run := range runs {
		ids[i] = run.ID
	}
	return ids
}

func TestRunsFilters(t *testing.T) {
	f := newCLIFixture(t)
	f.apply(map[string]string{"hello": helloDef, "breaks": failDef})
	f.startWorker("w1", "zone-a")
	f.mustRun("run", "hello", "--wait")                                // 1
	if r := f.run("run", "breaks", "--wait"); r.code() != exitFailed { // 2
		t.Fatalf("breaks: exit %d", r.code())
	}
	f.mustRun("run", "hello", "--wait") // 3

	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "[3 2 1]"},
		{[]string{"--workflow", "hello"}, "[3 1]"},
		{[]string{"--state", "failed"}, "[2]"},
		{[]string{"--workflow", "hello", "--state", "failed"}, "[]"},
		{[]string{"--limit", "2"}, "[3 2]"},
		{[]string{"--since", "1h"}, "[3 2 1]"},
		{[]string{"--since", "2030-01-01T00:00:00Z"}, "[]"},
	} {
		if got := fmtIDs(f.runIDs(tc.args...)); got != tc.want {
			t.Errorf("runs %s: %s, want %s", strings.Join(tc.args, " "), got, tc.want)
		}
	}

	r := f.mustRun("runs", "--workflow", "breaks")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 2 {
		t.Fatalf("runs table: %q", r.stdout)
	}
	header, row := strings.Fields(lines[0]), strings.Fields(lines[1])
	if strings.Join(header, " ") != "ID WORKFLOW VERSION STATE CREATED DURATION TASKS" {
		t.Errorf("runs header: %q", lines[0])
	}
	if row[0] != "2" || row[1] != "breaks" || row[2] != "1" || row[3] != "failed" || row[len(row)-1] != "3/3" {
		t.Errorf("runs row: %q", lines[1])
	}

	for _, tc := range []struct{ args, want string }{
		{"--since yesterday", `--since "yesterday"`},
		{"--limit 0", "--limit 0"},
		{"--state nonsense", "state"},
	} {
		if r := f.run(append([]string{"runs"}, strings.Fields(tc.args)...)...); r.code() == 0 ||
			!strings.Contains(fmtErr(r), tc.want) {
			t.Errorf("runs %s: %q, want an error with %q", tc.args, fmtErr(r), tc.want)
		}
	}
}

func fmtIDs(ids []int64) string {
	b, _ := json.Marshal(ids)
	return strings.ReplaceAll(string(b), ",", " ")
}

// fmtErr is everything a failed command said.
func fmtErr(r cliResult) string {
	if r.err == nil {
		return r.stderr
	}
	return r.err.Error() + "\n" + r.stderr
}
