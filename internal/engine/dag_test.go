package engine_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store"
)

const chain = `
name: chain
tasks:
  - name: a
    run: echo a
  - name: b
    needs: [a]
    run: echo b
  - name: c
    needs: [b]
    run: echo c
`

func TestChainRunsInOrder(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply(chain)
		run := x.start("chain", nil)
		wantState(t, "new run", run.State, store.RunRunning)
		if run.StartedAt == 0 {
			t.Error("a new run has no start time")
		}
		w := x.worker("a", 4)
		for _, name := range []string{"a", "b", "c"} {
			as := x.claim(w, 10)
			if len(as) != 1 || as[0].Task != name {
				t.Fatalf("claim: got %+v, want only task %s", as, name)
			}
			if r := x.finish(w, as[0], store.AttemptSucceeded, nil); r.Status != engine.Accepted {
				t.Fatalf("finish %s: %+v", name, r)
			}
		}
		got := x.run(run.ID)
		wantState(t, "run", got.State, store.RunSucceeded)
		if got.TasksLeft != 0 || got.FinishedAt == 0 {
			t.Errorf("finished run: tasks_left %d finished_at %d", got.TasksLeft, got.FinishedAt)
		}
		for name, task := range x.tasks(run.ID) {
			wantState(t, "task "+name, task.State, store.TaskSucceeded)
		}
		if n := len(x.events(run.ID, "run.succeeded")); n != 1 {
			t.Errorf("run.succeeded events: %d, want 1", n)
		}
		if n := len(x.events(run.ID, "task.succeeded")); n != 3 {
			t.Errorf("task.succeeded events: %d, want 3", n)
		}
	})
}

func fanout(n int) string {
	var b strings.Builder
	b.WriteString("name: fanout\ntasks:\n  - name: start\n    run: \"true\"\n")
	var names []string
	for i := range n {
		name := fmt.Sprintf("mid-%02d", i)
		names = append(names, name)
		fmt.Fprintf(&b, "  - name: %s\n    needs: [start]\n    run: \"true\"\n", name)
	}
	fmt.Fprintf(&b, "  - name: end\n    needs: [%s]\n    run: \"true\"\n", strings.Join(names, ", "))
	return b.String()
}

func TestFanOutFanIn(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply(fanout(50))
		run := x.start("fanout", nil)
		w := x.worker("a", 100)
		if first := x.claim(w, 100); len(first) != 1 || first[0].Task != "start" {
			t.Fatalf("first claim: %+v, want only start", first)
		} else {
			x.finish(w, first[0], store.AttemptSucceeded, nil)
		}
		mids := x.claim(w, 100)
		if len(mids) != 50 {
			t.Fatalf("after start: %d claimable, want the 50 middle tasks", len(mids))
		}
		for i, a := range mids[:49] {
			x.finish(w, a, store.AttemptSucceeded, nil)
			if as := x.claim(w, 100); len(as) != 0 {
				t.Fatalf("after %d of 50 middle tasks, %s became claimable", i+1, as[0].Task)
			}
		}
		x.finish(w, mids[49], store.AttemptSucceeded, nil)
		end := x.claim(w, 100)
		if len(end) != 1 || end[0].Task != "end" {
			t.Fatalf("after all middle tasks: %+v, want end", end)
		}
		x.finish(w, end[0], store.AttemptSucceeded, nil)
		wantState(t, "run", x.run(run.ID).State, store.RunSucceeded)
		if n := len(x.tasks(run.ID)); n != 52 {
			t.Errorf("tasks: %d, want 52", n)
		}
	})
}

func TestOutputsReachDownstreamCommands(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply(`
name: etl
params:
  day: "2024-01-01"
tasks:
  - name: extract
    run: ./extract --day ${{ params.day }} --run ${{ run.id }}
  - name: load
    needs: [extract]
    run: ./load ${{ tasks.extract.outputs.file }}
    env:
      ROWS: ${{ tasks.extract.outputs.rows }}
`)
		run := x.start("etl", map[string]string{"day": "2024-02-29"})
		w := x.worker("a", 1)
		extract := x.claimOne(w)
		if want := fmt.Sprintf("./extract --day 2024-02-29 --run %d", run.ID); shellView(extract) != want {
			t.Errorf("extract command %q, want %q", shellView(extract), want)
		}
		x.finish(w, extract, store.AttemptSucceeded, map[string]string{"file": "/data/x.csv", "rows": "42"})
		load := x.claimOne(w)
		if shellView(load) != "./load /data/x.csv" || load.Env["ROWS"] != "42" {
			t.Errorf("load: command %q env %v, want outputs substituted", shellView(load), load.Env)
		}
		if got := x.tasks(run.ID)["extract"].Outputs; !strings.Contains(got, "/data/x.csv") {
			t.Errorf("stored outputs %q", got)
		}
	})
}

func TestMissingOutputFailsTaskWithoutAttempt(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply(`
name: etl
tasks:
  - name: extract
    run: ./extract
  - name: load
    needs: [extract]
    run: ./load ${{ tasks.extract.outputs.file }}
  - name: report
    needs: [load]
    run: ./report
`)
		run := x.start("etl", nil)
		w := x.worker("a", 1)
		x.finish(w, x.claimOne(w), store.AttemptSucceeded, nil) // no outputs
		if as := x.claim(w, 1); len(as) != 0 {
			t.Fatalf("load was dispatched without its input: %+v", as)
		}
		ts := x.tasks(run.ID)
		wantState(t, "load", ts["load"].State, store.TaskFailed)
		if !strings.Contains(ts["load"].Reason, `no output "file"`) {
			t.Errorf("load reason %q, want it to name the missing output", ts["load"].Reason)
		}
		if ts["load"].Attempts != 0 {
			t.Errorf("load attempts %d, want 0", ts["load"].Attempts)
		}
		wantState(t, "report", ts["report"].State, store.TaskUpstreamFailed)
		wantState(t, "run", x.run(run.ID).State, store.RunFailed)
	})
}

func TestClaimRespectsCapacityAndGroup(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply(`
name: wide
tasks:
  - {name: big, run: x, cu: 3}
  - {name: s1, run: x}
  - {name: s2, run: x}
  - {name: gpu, run: x, group: gpu}
`)
		x.start("wide", nil)
		w := x.worker("a", 2)
		as := x.claim(w, 10)
		var names []string
		for _, a := range as {
			names = append(names, a.Task)
		}
		if strings.Join(names, ",") != "s1,s2" {
			t.Errorf("claimed %v with 2 CU free, want [s1 s2]", names)
		}
	})
}
