package engine_test

import (
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

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
			if a.Task == "f1" && a.Command != "f1 /data/day.csv" {
				t.Errorf("f1 ran %q: s2's output did not reach it", a.Command)
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

func TestPausedRunStartsNothingUntilResumed(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply(`name: p
tasks:
  - {name: a, run: "a"}
  - {name: b, run: "b"}
  - {name: c, run: "c", needs: [a]}
`)
		run := x.start("p", nil)
		w := x.worker("a", 10)
		first := x.claim(w, 1) // a or b runs on
		if len(first) != 1 {
			t.Fatalf("claimed %d", len(first))
		}
		paused, err := x.e.PauseRun(x.ctx, run.ID, true, "user:test", "")
		if err != nil || paused.State != store.RunPaused {
			t.Fatalf("pause: %+v %v", paused, err)
		}
		if as := x.claim(w, 10); len(as) != 0 {
			t.Errorf("claimed %v from a paused run", names(as))
		}
		// The running attempt finishes and counts; what it made ready waits.
		x.finish(w, first[0], store.AttemptSucceeded, nil)
		if as := x.claim(w, 10); len(as) != 0 {
			t.Errorf("claimed %v from a paused run after its running task ended", names(as))
		}
		if _, err := x.e.PauseRun(x.ctx, run.ID, true, "user:test", ""); err == nil {
			t.Error("paused a paused run")
		}
		if _, err := x.e.PauseRun(x.ctx, run.ID, false, "user:test", "upstream fixed"); err != nil {
			t.Fatal(err)
		}
		if got := names(x.play(w)); len(got) != 2 {
			t.Errorf("after resume ran %v, want the two tasks left", got)
		}
		if r := x.run(run.ID); r.State != store.RunSucceeded {
			t.Errorf("run %s, want succeeded", r.State)
		}
		if _, err := x.e.PauseRun(x.ctx, run.ID, true, "user:test", ""); !errors.Is(err, engine.ErrFinished) {
			t.Errorf("pause a finished run: %v, want ErrFinished", err)
		}
		if evs := x.events(run.ID, "run.paused"); len(evs) != 1 || evs[0].Actor != "user:test" {
			t.Errorf("run.paused events: %+v", evs)
		}
	})
}

func TestOnFailureStopCancelsTheRest(t *testing.T) {
	for _, strategy := range []string{"stop", "continue"} {
		t.Run(strategy, func(t *testing.T) {
			eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
				x.apply("name: s\non_failure: " + strategy + `
tasks:
  - {name: a, run: "a"}
  - {name: b, run: "b"}
  - {name: c, run: "c", needs: [b]}
`)
				run := x.start("s", nil)
				w := x.worker("a", 10)
				as := x.claim(w, 2)
				if len(as) != 2 {
					t.Fatalf("claimed %d", len(as))
				}
				var a, b engine.Assignment
				for _, x := range as {
					if x.Task == "a" {
						a = x
					} else {
						b = x
					}
				}
				x.finish(w, a, store.AttemptFailed, nil)
				r := x.run(run.ID)
				ts := x.tasks(run.ID)
				if strategy == "continue" {
					if r.State != store.RunRunning || ts["b"].State != store.TaskRunning {
						t.Errorf("continue: run %s, b %s; want b running on", r.State, ts["b"].State)
					}
					x.finish(w, b, store.AttemptSucceeded, nil)
					if got := names(x.play(w)); !slices.Equal(got, []string{"c"}) {
						t.Errorf("continue: ran %v after b, want c", got)
					}
					if r := x.run(run.ID); r.State != store.RunFailed {
						t.Errorf("continue: run %s at the end, want failed", r.State)
					}
					return
				}
				if r.State != store.RunFailed || r.TasksLeft != 0 || !strings.Contains(r.Reason, "on_failure: stop") {
					t.Errorf("stop: run %s (%q) with %d left; want failed at once", r.State, r.Reason, r.TasksLeft)
				}
				if ts["b"].State != store.TaskCancelled || ts["c"].State != store.TaskCancelled {
					t.Errorf("stop: b %s, c %s; want both cancelled", ts["b"].State, ts["c"].State)
				}
				if res := x.finish(w, b, store.AttemptSucceeded, nil); res.Status == engine.Accepted {
					t.Errorf("stop: b's late success was accepted: %+v", res)
				}
				if as := x.claim(w, 10); len(as) != 0 {
					t.Errorf("stop: claimed %v", names(as))
				}
			})
		})
	}
}

func TestTriggerRules(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply(`name: rules
tasks:
  - {name: a, run: "a"}
  - {name: b, run: "b"}
  - {name: cleanup, run: "cleanup", needs: [a, b], trigger_rule: one_failed}
  - {name: report, run: "report", needs: [a, b], trigger_rule: all_done}
  - {name: next, run: "next", needs: [a]}
  - {name: after-next, run: "after-next", needs: [next], trigger_rule: all_done}
  - {name: notify, run: "notify", needs: [b], trigger_rule: one_failed}
  - {name: final, run: "final", needs: [notify], trigger_rule: none_failed}
`)
		run := x.start("rules", nil)
		w := x.worker("a", 10)
		as := x.claim(w, 2)
		byTask := map[string]engine.Assignment{}
		for _, a := range as {
			byTask[a.Task] = a
		}
		x.finish(w, byTask["a"], store.AttemptFailed, nil)
		ts := x.tasks(run.ID)
		for name, want := range map[string]string{"cleanup": "queued", "report": "pending", "next": "upstream_failed",
			"after-next": "queued", "notify": "pending"} {
			if ts[name].State != want {
				t.Errorf("after a failed: %s is %s, want %s", name, ts[name].State, want)
			}
		}
		x.finish(w, byTask["b"], store.AttemptSucceeded, nil)
		ts = x.tasks(run.ID)
		for name, want := range map[string]string{"report": "queued", "notify": "skipped", "final": "queued"} {
			if ts[name].State != want {
				t.Errorf("after b succeeded: %s is %s, want %s", name, ts[name].State, want)
			}
		}
		if got := names(x.play(w)); !slices.Equal(got, []string{"after-next", "cleanup", "final", "report"}) {
			t.Errorf("ran %v", got)
		}
		r := x.run(run.ID)
		if r.State != store.RunFailed || r.TasksLeft != 0 || r.TasksFailed != 1 {
			t.Errorf("run %s, %d left, %d failed; want failed, 0, 1", r.State, r.TasksLeft, r.TasksFailed)
		}
		// Rerun from failed: a runs again; so do the tasks that waited on
		// its success; the ones that ran for its failure stay done.
		rec, err := x.e.RecoverRun(x.ctx, run.ID, engine.Recovery{Failed: true, Actor: "user:test"})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(rec.Rerun, []string{"a", "next"}) {
			t.Errorf("rerun %v, want a and next", rec.Rerun)
		}
		if got := names(x.play(w)); !slices.Equal(got, []string{"a", "next"}) {
			t.Errorf("ran again %v", got)
		}
		if r := x.run(run.ID); r.State != store.RunSucceeded {
			t.Errorf("run %s after the rerun, want succeeded", r.State)
		}
	})
}

func TestCheckpointGoesToTheNextAttempt(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply(`name: cp
tasks:
  - name: count
    run: "count"
    retry: {strategy: fixed, max_attempts: 2, delay: 0s}
`)
		run := x.start("cp", nil)
		w := x.worker("a", 10)
		other := x.named("other", "b", 10, nil)
		a := x.claimOne(w)
		if a.Checkpoint != "" {
			t.Errorf("first attempt got checkpoint %q", a.Checkpoint)
		}
		x.report(w, engine.Report{AttemptID: a.AttemptID, Kind: engine.ReportStart})
		cp := func(worker store.Worker, data string) engine.ReportResult {
			return x.report(worker, engine.Report{AttemptID: a.AttemptID, Kind: engine.ReportCheckpoint,
				Checkpoint: base64.StdEncoding.EncodeToString([]byte(data))})[0]
		}
		if r := cp(w, "step=3"); r.Status != engine.Accepted {
			t.Errorf("checkpoint of the live attempt: %+v", r)
		}
		if r := cp(other, "step=99"); r.Status != engine.Fenced {
			t.Errorf("checkpoint from another worker: %+v, want fenced", r)
		}
		if got := x.tasks(run.ID)["count"]; got.Checkpoint != base64.StdEncoding.EncodeToString([]byte("step=3")) ||
			got.CheckpointAt == 0 {
			t.Errorf("task checkpoint %q at %d", got.Checkpoint, got.CheckpointAt)
		}
		if _, err := x.e.Report(x.ctx, w.ID, []engine.Report{{AttemptID: a.AttemptID, Kind: engine.ReportCheckpoint,
			Checkpoint: "not base64!"}}); err == nil {
			t.Error("a checkpoint that is not base64 was accepted")
		}
		// The batch a worker sends when the task ends: last checkpoint, then
		// the finish.
		res := x.report(w,
			engine.Report{AttemptID: a.AttemptID, Kind: engine.ReportCheckpoint,
				Checkpoint: base64.StdEncoding.EncodeToString([]byte("step=5"))},
			engine.Report{AttemptID: a.AttemptID, Kind: engine.ReportFinish, State: store.AttemptFailed})
		if res[0].Status != engine.Accepted || res[1].Status != engine.Accepted {
			t.Fatalf("checkpoint and finish: %+v", res)
		}
		next := x.claimOne(w)
		if got, _ := base64.StdEncoding.DecodeString(next.Checkpoint); string(got) != "step=5" || next.Number != 2 {
			t.Errorf("attempt %d got checkpoint %q, want step=5", next.Number, got)
		}
		if r := cp(w, "late"); r.Status != engine.Accepted || x.tasks(run.ID)["count"].Checkpoint == "" {
			t.Errorf("resent checkpoint of an attempt that ended: %+v", r)
		}
	})
}

func TestRunTimeoutFailsTheRun(t *testing.T) {
	eachStore(t, engine.Config{LeaseTTL: time.Minute}, func(t *testing.T, x *env) {
		x.apply(`name: slow
timeout: 1s
tasks:
  - {name: a, run: "a"}
  - {name: b, run: "b", needs: [a]}
`)
		late := x.start("slow", nil)
		quick := x.start("slow", nil)
		w := x.worker("a", 10)
		var lateA engine.Assignment
		for _, a := range x.claim(w, 2) {
			if a.RunID == late.ID {
				lateA = a
			} else {
				x.finish(w, a, store.AttemptSucceeded, nil)
			}
		}
		x.report(w, engine.Report{AttemptID: lateA.AttemptID, Kind: engine.ReportStart})
		for _, a := range x.claim(w, 2) { // quick's b
			x.finish(w, a, store.AttemptSucceeded, nil)
		}
		if r := x.run(quick.ID); r.State != store.RunSucceeded {
			t.Fatalf("quick run %s", r.State)
		}
		x.sweepUntil("the late run to time out", func() bool { return store.RunTerminal(x.run(late.ID).State) })
		r := x.run(late.ID)
		if r.State != store.RunFailed || !strings.Contains(r.Reason, "timed out after 1s") {
			t.Errorf("late run %s (%q), want failed for its timeout", r.State, r.Reason)
		}
		ts := x.tasks(late.ID)
		if ts["a"].State != store.TaskCancelled || ts["b"].State != store.TaskCancelled {
			t.Errorf("tasks a %s, b %s; want cancelled", ts["a"].State, ts["b"].State)
		}
		if res := x.finish(w, lateA, store.AttemptSucceeded, nil); res.Status != engine.Fenced {
			t.Errorf("late report of the cancelled attempt: %+v, want fenced", res)
		}
		if r := x.run(quick.ID); r.State != store.RunSucceeded {
			t.Errorf("quick run %s after the sweep, want succeeded still", r.State)
		}
		var due []int64
		_ = x.s.Read(x.ctx, func(tx store.Tx) (err error) {
			due, err = tx.Runs().DueDeadlines(x.ctx, 10)
			return err
		})
		if len(due) != 0 {
			t.Errorf("deadlines left after the sweep: %v", due)
		}
	})
}

// A running attempt that outlives its timeout and the grace without a
// report (its worker hung, or its kill failed) is ended by the servers.
func TestServersEndAttemptsPastTheirTimeout(t *testing.T) {
	eachStore(t, engine.Config{LeaseTTL: time.Minute, TimeoutGrace: 100 * time.Millisecond}, func(t *testing.T, x *env) {
		x.apply(`name: hang
tasks:
  - name: a
    run: "a"
    timeout: 500ms
    retry: {strategy: fixed, max_attempts: 2, delay: 0s}
`)
		run := x.start("hang", nil)
		w := x.worker("a", 10)
		a := x.claimOne(w)
		x.report(w, engine.Report{AttemptID: a.AttemptID, Kind: engine.ReportStart})
		if b := x.beat(w, a.AttemptID); len(b.Kill) != 0 {
			t.Fatalf("killed at once: %+v", b)
		}
		var killed bool
		x.sweepUntil("the servers to end the hung attempt", func() bool {
			killed = slices.Contains(x.beat(w, a.AttemptID).Kill, a.AttemptID)
			return killed
		})
		as := x.attempts(run.ID)
		if as[0].State != store.AttemptTimedOut || !strings.Contains(as[0].Reason, "ended by the servers") {
			t.Errorf("attempt %s (%q), want timed_out by the servers", as[0].State, as[0].Reason)
		}
		if st := x.tasks(run.ID)["a"].State; st != store.TaskQueued {
			t.Errorf("task %s, want queued for its retry", st)
		}
		if res := x.finish(w, a, store.AttemptSucceeded, nil); res.Status != engine.Fenced {
			t.Errorf("late report of the ended attempt: %+v, want fenced", res)
		}
	})
}

func (x *env) attempts(runID int64) []store.Attempt {
	x.t.Helper()
	var as []store.Attempt
	err := x.s.Read(x.ctx, func(tx store.Tx) (err error) {
		as, err = tx.Attempts().ListRun(x.ctx, runID)
		return err
	})
	if err != nil {
		x.t.Fatal(err)
	}
	return as
}
