package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/baton-sched/baton/client"
)

const failDef = `name: breaks
tasks:
  - name: first
    run: echo ok
  - name: broken
    needs: [first]
    run: fail now
    retry: {strategy: none}
  - name: after
    needs: [broken]
    run: echo never
`

// strandedDef has a task no worker serves (group gpu).
const strandedDef = `name: stranded
tasks:
  - {name: wait, run: echo, group: gpu}
`

// fanoutDef is a 1 -> 50 -> 1 DAG.
func fanoutDef() string {
	var b strings.Builder
	b.WriteString("name: fanout\ntasks:\n  - {name: split, run: echo split}\n")
	var parts []string
	for i := range 50 {
		name := fmt.Sprintf("part-%02d", i)
		parts = append(parts, name)
		fmt.Fprintf(&b, "  - {name: %s, needs: [split], run: echo %s}\n", name, name)
	}
	fmt.Fprintf(&b, "  - {name: gather, needs: [%s], run: echo gather}\n", strings.Join(parts, ", "))
	return b.String()
}

var startedLine = regexp.MustCompile(`^run (\d+) of (\S+) started \((\w+)\)\n$`)

func TestRunStartsAndPrintsID(t *testing.T) {
	f := newCLIFixture(t)
	f.apply(map[string]string{"hello": helloDef})

	r := f.mustRun("run", "hello")
	m := startedLine.FindStringSubmatch(r.stdout)
	if m == nil || m[2] != "hello" || m[3] != "running" {
		t.Fatalf("run printed %q", r.stdout)
	}

	var run client.Run
	r = f.mustRun("run", "hello", "-p", "who=a=b", "--priority", "7", "--idempotency-key", "k1", "-o", "json")
	if err := json.Unmarshal([]byte(r.stdout), &run); err != nil {
		t.Fatalf("run -o json: %v %q", err, r.stdout)
	}
	if run.Params["who"] != "a=b" || run.Priority != 7 || strconv.FormatInt(run.ID, 10) == m[1] {
		t.Errorf("run -o json: %+v", run)
	}
	var again client.Run
	r = f.mustRun("run", "hello", "--idempotency-key", "k1", "-o", "json")
	if err := json.Unmarshal([]byte(r.stdout), &again); err != nil || again.ID != run.ID {
		t.Errorf("same idempotency key started run %d, want %d (%v)", again.ID, run.ID, err)
	}
}

func TestRunParamSyntax(t *testing.T) {
	f := newCLIFixture(t)
	f.apply(map[string]string{"hello": helloDef})
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "hello", "-p", "who"}, `invalid argument "who" for "-p, --param" flag: want key=value`},
		{[]string{"run", "hello", "-p", "=x"}, `"-p, --param" flag: want key=value`},
		{[]string{"run", "hello", "--param", "who=a", "-p", "who=b"}, `"-p, --param" flag: parameter "who" given twice`},
		{[]string{"run", "hello", "-p", "nobody=x"}, `unknown parameter "nobody"`},
		{[]string{"run"}, "accepts 1 arg(s), received 0"},
		{[]string{"run", "nope"}, `nope`},
	} {
		r := f.run(tc.args...)
		msg := fmt.Sprint(r.err) + r.stderr
		if r.code() == 0 || !strings.Contains(msg, tc.want) {
			t.Errorf("baton %s: exit %d, %q; want an error with %q", strings.Join(tc.args, " "), r.code(), msg, tc.want)
		}
	}
	if r := f.mustRun("runs", "-o", "json"); strings.TrimSpace(r.stdout) != "[]" {
		t.Errorf("refused starts started runs: %s", r.stdout)
	}
}

func TestRunWaitExitCodes(t *testing.T) {
	f := newCLIFixture(t)
	f.apply(map[string]string{"hello": helloDef, "breaks": failDef, "stranded": strandedDef})
	f.startWorker("w1", "zone-a")

	r := f.run("run", "hello", "--wait")
	if r.code() != 0 {
		t.Fatalf("run --wait of a succeeding run: exit %d (%v)\n%s%s", r.code(), r.err, r.stdout, r.stderr)
	}
	for _, want := range []string{"greet  succeeded", "done   succeeded", "succeeded in", "tasks 2 succeeded"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("run --wait output lacks %q:\n%s", want, r.stdout)
		}
	}

	r = f.run("run", "breaks", "--wait")
	if r.code() != exitFailed {
		t.Errorf("run --wait of a failing run: exit %d, want %d (%v)", r.code(), exitFailed, r.err)
	}
	for _, want := range []string{"broken  failed", "run 2 of breaks failed", "1 failed", "1 upstream_failed", "1 succeeded"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("failed run --wait output lacks %q:\n%s", want, r.stdout)
		}
	}

	r = f.run("run", "stranded", "--timeout", "50ms")
	if r.code() != exitTimeout || !strings.Contains(r.err.Error(), "not finished after 50ms") {
		t.Errorf("run --timeout of a run that cannot finish: exit %d (%v), want %d", r.code(), r.err, exitTimeout)
	}

	var detail client.RunDetail
	r = f.run("run", "breaks", "--wait", "-o", "json")
	if err := json.Unmarshal([]byte(r.stdout), &detail); err != nil || detail.State != "failed" || r.code() != exitFailed {
		t.Errorf("run --wait -o json: exit %d, %v, %q", r.code(), err, r.stdout)
	}
	if !strings.Contains(r.stderr, "broken") {
		t.Errorf("run --wait -o json printed no progress on stderr: %q", r.stderr)
	}
}

// TestRunWaitShowsEveryTransition checks --wait prints the states a task
// passed through between two polls: a failed first attempt and the retry.
func TestRunWaitShowsEveryTransition(t *testing.T) {
	f := newCLIFixture(t)
	f.apply(map[string]string{"flaky": flakyDef})
	f.startWorker("w1", "zone-a")
	r := f.mustRun("run", "flaky", "--wait")
	var states []string
	for line := range strings.Lines(r.stdout) {
		if fields := strings.Fields(line); len(fields) >= 3 && fields[1] == "shaky" {
			states = append(states, strings.Join(fields[2:min(len(fields), 6)], " "))
		}
	}
	want := []string{"running", "retry_wait: attempt 1 failed", "queued", "running (attempt 2)", "succeeded"}
	if len(states) != len(want) {
		t.Fatalf("run --wait printed the transitions %q, want %q:\n%s", states, want, r.stdout)
	}
	for i := range want {
		if !strings.HasPrefix(states[i], want[i]) {
			t.Errorf("transition %d: %q, want %q\n%s", i, states[i], want[i], r.stdout)
		}
	}
}

func TestRunShowFanOut(t *testing.T) {
	f := newCLIFixture(t)
	f.apply(map[string]string{"fanout": fanoutDef()})
	wid := f.startWorker("w1", "zone-a")

	f.mustRun("run", "fanout", "--wait")
	r := f.mustRun("run", "show", "1")
	for _, want := range []string{"fanout (version 1)", "succeeded", "52/52 done, 0 failed", "TASK", "WORKER"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("run show lacks %q:\n%s", want, r.stdout)
		}
	}
	rows := 0
	for line := range strings.Lines(r.stdout) {
		fields := strings.Fields(line)
		if len(fields) >= 6 && fields[1] == "succeeded" && fields[2] == "1" && fields[3] == wid && fields[4] == "zone-a" {
			rows++
		}
	}
	if rows != 52 {
		t.Errorf("run show lists %d succeeded tasks on %s in zone-a, want 52:\n%s", rows, wid, r.stdout)
	}

	var detail client.RunDetail
	r = f.mustRun("run", "show", "1", "-o", "json")
	if err := json.Unmarshal([]byte(r.stdout), &detail); err != nil || len(detail.Tasks) != 52 {
		t.Errorf("run show -o json: %v, %d tasks", err, len(detail.Tasks))
	}

	for _, tc := range []struct{ arg, want string }{{"abc", "want a positive number"}, {"999", "999"}} {
		if r := f.run("run", "show", tc.arg); r.err == nil || !strings.Contains(r.err.Error(), tc.want) {
			t.Errorf("run show %s: %v, want an error with %q", tc.arg, r.err, tc.want)
		}
	}
}

func TestCancel(t *testing.T) {
	f := newCLIFixture(t)
	f.apply(map[string]string{"stranded": strandedDef})
	f.mustRun("run", "stranded")

	r := f.mustRun("cancel", "1", "--reason", "changed my mind")
	if r.stdout != "run 1 of stranded cancelled\n" {
		t.Errorf("cancel printed %q", r.stdout)
	}
	if r := f.mustRun("run", "show", "1"); !strings.Contains(r.stdout, "changed my mind") {
		t.Errorf("run show lacks the cancel reason:\n%s", r.stdout)
	}
	if r := f.run("cancel", "1"); r.err == nil {
		t.Errorf("cancel of a finished run succeeded: %q", r.stdout)
	}
}

// TestRunShowPrintsOutputs checks run show lists each task's outputs, one
// line each, long or multi-line values cut to one short line.
func TestRunShowPrintsOutputs(t *testing.T) {
	r := client.RunDetail{Run: client.Run{ID: 1, Workflow: "etl", State: "succeeded"}, Tasks: []client.Task{
		{Name: "extract", State: "succeeded", Outputs: map[string]string{"rows": "42", "file": "/data/x.csv"}},
		{Name: "load", State: "succeeded", Outputs: map[string]string{"note": "two\nlines " + strings.Repeat("x", 200)}},
		{Name: "check", State: "succeeded"},
	}}
	var out strings.Builder
	if err := printRunDetail(&out, r, time.Now()); err != nil {
		t.Fatal(err)
	}
	var rows []string
	for line := range strings.Lines(out.String()[strings.LastIndex(out.String(), "\nTASK")+1:]) {
		rows = append(rows, strings.Join(strings.Fields(line), " "))
	}
	want := []string{"TASK OUTPUT VALUE", "extract file /data/x.csv", "extract rows 42",
		"load note two lines " + strings.Repeat("x", 89) + "…"}
	if strings.Join(rows, "|") != strings.Join(want, "|") {
		t.Errorf("outputs printed\n%s\nwant\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}
}
