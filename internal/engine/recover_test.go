package engine_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store"
)

// tenTasks: s1..s4 succeed (s2 writes an output f1 reads), f1 and f4
// fail, the other four are upstream_failed.
const tenTasks = `name: ten
tasks:
  - {name: s1, run: "s1"}
  - {name: s2, run: "s2", needs: [s1]}
  - {name: s3, run: "s3"}
  - {name: s4, run: "s4"}
  - {name: f1, run: "f1 ${{ tasks.s2.outputs.file }}", needs: [s2]}
  - {name: f2, run: "f2", needs: [f1]}
  - {name: f3, run: "f3", needs: [f1, s3]}
  - {name: f4, run: "f4", needs: [s4]}
  - {name: f5, run: "f5", needs: [f4]}
  - {name: f6, run: "f6", needs: [f2, f5]}
`

// play claims and ends tasks until none is claimable: the tasks named in
// fail fail, the others succeed (s2 with an output). It returns every
// assignment, in claim order.
func (x *env) play(w store.Worker, fail ...string) []engine.Assignment {
	x.t.Helper()
	var all []engine.Assignment
	for {
		as := x.claim(w, 100)
		if len(as) == 0 {
			return all
		}
		for _, a := range as {
			state, out := store.AttemptSucceeded, map[string]string(nil)
			if slices.Contains(fail, a.Task) {
				state = store.AttemptFailed
			}
			if a.Task == "s2" {
				out = map[string]string{"file": "/data/day.csv"}
			}
			x.finish(w, a, state, out)
			all = append(all, a)
		}
	}
}

func names(as []engine.Assignment) []string {
	out := []string{}
	for _, a := range as {
		out = append(out, a.Task)
	}
	slices.Sort(out)
	return out
}

func TestRerunFromFailedRunsOnlyWhatDidNotSucceed(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply(tenTasks)
		run := x.start("ten", nil)
		w := x.worker("a", 10)
		x.play(w, "f1", "f4")
		if r := x.run(run.ID); r.State != store.RunFailed || r.TasksFailed != 2 {
			t.Fatalf("run %s with %d failed, want failed with 2", r.State, r.TasksFailed)
		}
		rec, err := x.e.RecoverRun(x.ctx, run.ID, engine.Recovery{Failed: true, Actor: "user:test", Reason: "fixed the input"})
		if err != nil {
			t.Fatal(err)
		}
		if rec.Run.State != store.RunRunning || rec.Run.TasksLeft != 6 || rec.Run.FinishedAt != 0 ||
			!slices.Equal(rec.Rerun, []string{"f1", "f2", "f3", "f4", "f5", "f6"}) {
			t.Errorf("recovered: %+v, rerun %v", rec.Run, rec.Rerun)
		}
		ts := x.tasks(run.ID)
		if ts["f1"].State != store.TaskQueued || ts["f4"].State != store.TaskQueued || ts["f6"].State != store.TaskPending ||
			ts["f3"].NeedsDone != 1 || ts["s2"].State != store.TaskSucceeded {
			t.Errorf("tasks after recovery: f1 %s, f4 %s, f6 %s, f3 needs done %d, s2 %s", ts["f1"].State,
				ts["f4"].State, ts["f6"].State, ts["f3"].NeedsDone, ts["s2"].State)
		}
		again := x.play(w)
		if got := names(again); !slices.Equal(got, []string{"f1", "f2", "f3", "f4", "f5", "f6"}) {
			t.Errorf("ran again %v, want only the six that did not succeed", got)
		}
		for _, a := range again {
			if a.Task == "f1" && shellView(a) != "f1 /data/day.csv" {
				t.Errorf("f1 ran %q: s2's output did not reach it", shellView(a))
			}
		}
		if r := x.run(run.ID); r.State != store.RunSucceeded || r.TasksLeft != 0 {
			t.Errorf("run %s with %d left, want succeeded", r.State, r.TasksLeft)
		}
		for _, name := range []string{"s1", "s2", "s3", "s4"} {
			if n := x.tasks(run.ID)[name].Attempts; n != 1 {
				t.Errorf("%s: %d attempts, want its one first run", name, n)
			}
		}
		if evs := x.events(run.ID, "run.running"); len(evs) != 2 || evs[1].OldState != store.RunFailed ||
			evs[1].Actor != "user:test" || !strings.Contains(evs[1].Reason, "fixed the input") {
			t.Errorf("run.running events: %+v", evs)
		}
	})
}

func TestMarkSucceededUnblocksDownstream(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply(tenTasks)
		run := x.start("ten", nil)
		w := x.worker("a", 10)
		x.play(w, "f1", "f4")
		rec, err := x.e.RecoverRun(x.ctx, run.ID, engine.Recovery{Mark: "f4", MarkState: store.TaskSkipped, Actor: "user:test"})
		if err != nil {
			t.Fatal(err)
		}
		// f5 runs; f6 still waits on f2, which stays upstream_failed
		// behind f1, still failed.
		if !slices.Equal(rec.Rerun, []string{"f5"}) || rec.Run.State != store.RunRunning {
			t.Fatalf("mark f4 skipped: run %s, rerun %v; want f5 only", rec.Run.State, rec.Rerun)
		}
		if got := names(x.play(w)); !slices.Equal(got, []string{"f5"}) {
			t.Errorf("ran %v, want f5", got)
		}
		if r := x.run(run.ID); r.State != store.RunFailed || r.TasksFailed != 1 {
			t.Errorf("run %s with %d failed, want failed (f1) with 1", r.State, r.TasksFailed)
		}
		if _, err := x.e.RecoverRun(x.ctx, run.ID, engine.Recovery{Mark: "f1", MarkState: store.TaskSucceeded,
			Actor: "user:test", Reason: "loaded by hand"}); err != nil {
			t.Fatal(err)
		}
		if got := names(x.play(w)); !slices.Equal(got, []string{"f2", "f3", "f6"}) {
			t.Errorf("after marking f1 succeeded ran %v, want f2 f3 f6", got)
		}
		if r := x.run(run.ID); r.State != store.RunSucceeded {
			t.Errorf("run %s, want succeeded", r.State)
		}
		ts := x.tasks(run.ID)
		if ts["f1"].State != store.TaskSucceeded || !strings.Contains(ts["f1"].Reason, "loaded by hand") {
			t.Errorf("f1: %s %q", ts["f1"].State, ts["f1"].Reason)
		}
	})
}

func TestRerunFromTaskRunsItAndDownstream(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply(tenTasks)
		run := x.start("ten", nil)
		w := x.worker("a", 10)
		x.play(w)
		if r := x.run(run.ID); r.State != store.RunSucceeded {
			t.Fatalf("run %s", r.State)
		}
		if _, err := x.e.RecoverRun(x.ctx, run.ID, engine.Recovery{From: "f4", Actor: "user:test"}); err != nil {
			t.Fatal(err)
		}
		if got := names(x.play(w)); !slices.Equal(got, []string{"f4", "f5", "f6"}) {
			t.Errorf("rerun from f4 ran %v, want f4 f5 f6", got)
		}
		if n := x.tasks(run.ID)["f4"].Attempts; n != 2 {
			t.Errorf("f4: %d attempts, want 2", n)
		}

		for _, tc := range []struct {
			name string
			r    engine.Recovery
			want error
		}{
			{"nothing failed", engine.Recovery{Failed: true}, nil},
			{"mark a succeeded task", engine.Recovery{Mark: "s1", MarkState: store.TaskSucceeded}, nil},
			{"mark as failed", engine.Recovery{Mark: "f1", MarkState: store.TaskFailed}, nil},
			{"two at once", engine.Recovery{Failed: true, From: "s1"}, nil},
			{"unknown task", engine.Recovery{From: "nope"}, engine.ErrNotFound},
		} {
			_, err := x.e.RecoverRun(x.ctx, run.ID, tc.r)
			var inv *engine.InvalidError
			if err == nil || (tc.want == nil && !errors.As(err, &inv)) || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Errorf("%s: %v", tc.name, err)
			}
		}
		active := x.start("ten", nil)
		if _, err := x.e.RecoverRun(x.ctx, active.ID, engine.Recovery{Failed: true}); !errors.Is(err, engine.ErrRunActive) {
			t.Errorf("recover a running run: %v, want ErrRunActive", err)
		}
	})
}
