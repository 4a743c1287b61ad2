package main

import (
	"context"
	"strings"
	"testing"
)

func TestRerunAndMark(t *testing.T) {
	f := newCLIFixture(t)
	f.apply(map[string]string{"etl": `name: etl
tasks:
  - {name: extract, run: "echo ok"}
  - {name: load, run: "fail now", needs: [extract]}
  - {name: report, run: "echo report", needs: [load]}
`})
	f.startWorker("w1", "a")
	if r := f.run("run", "etl", "--wait"); r.code() != exitFailed {
		t.Fatalf("run --wait: code %d, want the run failed:\n%s", r.code(), r.stdout)
	}
	r := f.mustRun("mark", "1", "load", "--state", "succeeded", "--reason", "loaded by hand")
	if r.stdout != "run 1 of etl running; running again: report\n" {
		t.Errorf("mark printed %q", r.stdout)
	}
	r = f.mustRun("events", "--run", "1", "--kind", "task.succeeded")
	if !strings.Contains(r.stdout, "loaded by hand") {
		t.Errorf("task.succeeded events lack the mark:\n%s", r.stdout)
	}
	// report finishes; the run succeeds without extract running again.
	deadlineRun(t, f, "1", "succeeded")
	if r := f.run("rerun", "1"); r.err == nil || !strings.Contains(r.stderr, "nothing to run again") {
		t.Errorf("rerun with nothing failed: %v %q", r.err, r.stderr)
	}
	r = f.mustRun("rerun", "1", "--from", "load")
	if r.stdout != "run 1 of etl running; running again: load, report\n" {
		t.Errorf("rerun --from printed %q", r.stdout)
	}
	deadlineRun(t, f, "1", "failed")
	r = f.mustRun("run", "show", "1")
	if row := strings.Fields(lineWith(r.stdout, "extract")); len(row) < 3 || row[1] != "succeeded" || row[2] != "1" {
		t.Errorf("extract ran again: %q", lineWith(r.stdout, "extract"))
	}
	if r := f.run("mark", "1", "load", "--state", "failed"); r.err == nil || !strings.Contains(r.err.Error(), "--state") {
		t.Errorf("mark --state failed: %v", r.err)
	}
}

// deadlineRun waits, polling `run show`, until run id is in state.
func deadlineRun(t *testing.T, f *cliFixture, id, state string) {
	t.Helper()
	eventually(t, "run "+id+" "+state, func() bool {
		return strings.Contains(f.mustRun("runs", "-o", "json").stdout, `"state": "`+state+`"`)
	})
}

func TestPauseAndResume(t *testing.T) {
	f := newCLIFixture(t)
	f.apply(map[string]string{"stranded": strandedDef})
	f.mustRun("run", "stranded")
	if r := f.mustRun("pause", "1", "--reason", "maintenance"); r.stdout != "run 1 of stranded paused\n" {
		t.Errorf("pause printed %q", r.stdout)
	}
	if r := f.run("pause", "1"); r.err == nil {
		t.Error("pause of a paused run succeeded")
	}
	if r := f.mustRun("resume", "1"); r.stdout != "run 1 of stranded running\n" {
		t.Errorf("resume printed %q", r.stdout)
	}
	if r := f.mustRun("events", "--run", "1", "--kind", "run.paused"); !strings.Contains(r.stdout, "maintenance") {
		t.Errorf("run.paused event lacks the reason:\n%s", r.stdout)
	}
}

func TestRerunLatestAndParams(t *testing.T) {
	f := newCLIFixture(t)
	f.apply(map[string]string{"etl": `name: etl
params:
  day: {default: d0}
tasks:
  - {name: extract, run: "echo ${{ params.day }}"}
  - {name: load, run: "fail now", needs: [extract]}
  - {name: report, run: "echo report", needs: [load]}
`})
	f.startWorker("w1", "a")
	if r := f.run("run", "etl", "--wait"); r.code() != exitFailed {
		t.Fatalf("run --wait: code %d, want the run failed:\n%s", r.code(), r.stdout)
	}
	f.apply(map[string]string{"etl": `name: etl
params:
  day: {default: d0}
tasks:
  - {name: extract, run: "echo ${{ params.day }}"}
  - {name: load, run: "echo loaded", needs: [extract]}
  - {name: summary, run: "echo summary", needs: [load]}
`})
	r := f.mustRun("rerun", "1", "--latest")
	for _, want := range []string{"run 2 of etl (version 2) reruns run 1\n", "  carried (not run again): extract\n",
		"  dropped (not in version 2): report\n", "running again: load, summary\n"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("rerun --latest printed\n%s\nwant %q in it", r.stdout, want)
		}
	}
	eventually(t, "run 2 succeeded", func() bool {
		d, err := f.c.Run(context.Background(), 2)
		return err == nil && d.Run.State == "succeeded"
	})
	if r := f.run("rerun", "2", "-p", "dya=d2"); r.code() != exitFailed || !strings.Contains(r.stderr, `unknown parameter "dya"`) {
		t.Errorf("rerun -p with an unknown param: exit %d\n%s%v", r.code(), r.stderr, r.err)
	}
	r = f.mustRun("rerun", "2", "--from", "extract", "-p", "day=d2", "-o", "json")
	if !strings.Contains(r.stdout, `"rerun_of": 2`) || !strings.Contains(r.stdout, `\"day\":\"d2\"`) && !strings.Contains(r.stdout, `"day": "d2"`) {
		t.Errorf("rerun -p -o json printed\n%s", r.stdout)
	}
}
