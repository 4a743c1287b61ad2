package engine_test

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store"
)

const (
	childWorkflow = `name: child
params:
  day: {}
tasks:
  - {name: extract, run: "extract ${{ params.day }}"}
  - {name: load, run: load, needs: [extract]}
`
	parentWorkflow = `name: parent
params:
  day: {default: "2026-11-22"}
tasks:
  - {name: prepare, run: prepare}
  - name: nightly
    needs: [prepare]
    workflow: child
    params: {day: "${{ params.day }}"}
  - {name: report, run: "report ${{ tasks.nightly.outputs.run_id }}", needs: [nightly]}
`
)

// startSubs runs the servers' sub-workflow loop once.
func (x *env) startSubs() int {
	x.t.Helper()
	n, err := x.e.StartSubWorkflows(x.ctx, 100)
	if err != nil {
		x.t.Fatalf("start sub-workflows: %v", err)
	}
	return n
}

// playAll plays workers' and servers' parts until nothing moves: claims
// end as play ends them, sub-workflows start.
func (x *env) playAll(w store.Worker, fail ...string) []engine.Assignment {
	x.t.Helper()
	var all []engine.Assignment
	for {
		as := x.play(w, fail...)
		all = append(all, as...)
		if x.startSubs() == 0 && len(as) == 0 {
			return all
		}
	}
}

// child returns the only run of the child workflow.
func (x *env) child() store.Run {
	x.t.Helper()
	var rs []store.Run
	err := x.s.Read(x.ctx, func(tx store.Tx) (err error) {
		rs, err = tx.Runs().List(x.ctx, store.RunFilter{Workflow: "child", Limit: 10})
		return err
	})
	if err != nil || len(rs) != 1 {
		x.t.Fatalf("runs of child: %v %v, want one", rs, err)
	}
	return rs[0]
}

func TestSubWorkflowRunsAndPassesItsRun(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply(childWorkflow)
		x.apply(parentWorkflow)
		run := x.start("parent", map[string]string{"day": "2026-11-01"})
		w := x.worker("a", 10)
		as := x.playAll(w)
		if r := x.run(run.ID); r.State != store.RunSucceeded {
			t.Fatalf("parent %s (%s), want succeeded", r.State, r.Reason)
		}
		child := x.child()
		if child.State != store.RunSucceeded || child.ParentRunID != run.ID || child.ParentTaskID != x.tasks(run.ID)["nightly"].ID {
			t.Errorf("child %+v, want succeeded and linked to parent's nightly", child)
		}
		var params map[string]string
		if err := json.Unmarshal([]byte(child.Params), &params); err != nil || params["day"] != "2026-11-01" {
			t.Errorf("child params %s, want the parent's day", child.Params)
		}
		var cmds []string
		for _, a := range as {
			cmds = append(cmds, shellView(a))
		}
		want := []string{"prepare", "extract 2026-11-01", "load", "report " + strconv.FormatInt(child.ID, 10)}
		if !slices.Equal(cmds, want) {
			t.Errorf("commands %q, want %q (report reads the child's run ID)", cmds, want)
		}
		if n := len(x.events(run.ID, "task.subworkflow")); n != 1 {
			t.Errorf("%d task.subworkflow events, want 1", n)
		}
	})
}

// A failed child fails the task; rerunning the parent from failed reruns
// the child from its failed task: its succeeded task is not run again.
func TestSubWorkflowFailureAndRerun(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply(childWorkflow)
		x.apply(parentWorkflow)
		run := x.start("parent", nil)
		w := x.worker("a", 10)
		x.playAll(w, "load")
		r := x.run(run.ID)
		ts := x.tasks(run.ID)
		if r.State != store.RunFailed || ts["nightly"].State != store.TaskFailed || ts["report"].State != store.TaskUpstreamFailed {
			t.Fatalf("parent %s, nightly %s, report %s; want failed, failed, upstream_failed",
				r.State, ts["nightly"].State, ts["report"].State)
		}
		child := x.child()
		if as := x.attempts(run.ID); !strings.Contains(as[len(as)-1].Reason, "sub-workflow run "+strconv.FormatInt(child.ID, 10)+" failed") {
			t.Errorf("nightly's attempt ended %q, want the child's failure", as[len(as)-1].Reason)
		}
		if _, err := x.e.RecoverRun(x.ctx, run.ID, engine.Recovery{Failed: true, Actor: "user:test"}); err != nil {
			t.Fatal(err)
		}
		again := x.playAll(w)
		if got := names(again); !slices.Equal(got, []string{"load", "report"}) {
			t.Errorf("after the rerun ran %v, want the child's load and the parent's report", got)
		}
		if r := x.run(run.ID); r.State != store.RunSucceeded {
			t.Errorf("parent %s after the rerun", r.State)
		}
		if c := x.run(child.ID); c.State != store.RunSucceeded || x.tasks(child.ID)["extract"].Attempts != 1 {
			t.Errorf("child %s, extract ran %d times; want succeeded, once", c.State, x.tasks(child.ID)["extract"].Attempts)
		}
	})
}

func TestSubWorkflowCancelAndPauseReachTheChild(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply(childWorkflow)
		x.apply(parentWorkflow)
		run := x.start("parent", nil)
		w := x.worker("a", 10)
		x.finish(w, x.claimOne(w), store.AttemptSucceeded, nil) // prepare
		if n := x.startSubs(); n != 1 {
			t.Fatalf("started %d sub-workflows, want 1", n)
		}
		child := x.child()
		if _, err := x.e.PauseRun(x.ctx, run.ID, true, "user:test", ""); err != nil {
			t.Fatal(err)
		}
		if c := x.run(child.ID); c.State != store.RunPaused {
			t.Fatalf("child %s after the parent paused, want paused", c.State)
		}
		if as := x.claim(w, 10); len(as) != 0 {
			t.Fatalf("claimed %v of a paused child", names(as))
		}
		if _, err := x.e.PauseRun(x.ctx, run.ID, false, "user:test", ""); err != nil {
			t.Fatal(err)
		}
		extract := x.claimOne(w)
		if extract.RunID != child.ID {
			t.Fatalf("claimed %s of run %d, want the child's extract", extract.Task, extract.RunID)
		}
		if err := x.e.CancelRun(x.ctx, run.ID, "user:test", "wrong day"); err != nil {
			t.Fatal(err)
		}
		if c := x.run(child.ID); c.State != store.RunCancelled || !strings.Contains(c.Reason, "parent run") {
			t.Errorf("child %s (%s) after the parent was cancelled, want cancelled", c.State, c.Reason)
		}
		if res := x.finish(w, extract, store.AttemptSucceeded, nil); res.Status != engine.Fenced {
			t.Errorf("the child's attempt reported %v after the cancel, want fenced", res.Status)
		}
	})
}

func TestSubWorkflowErrorsFailTheTask(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply("name: orphan\ntasks:\n  - {name: sub, workflow: missing}\n")
		run := x.start("orphan", nil)
		x.startSubs()
		if r := x.run(run.ID); r.State != store.RunFailed || !strings.Contains(x.attempts(run.ID)[0].Reason, "missing") {
			t.Errorf("run %s, attempt %q; want failed naming the missing workflow", r.State, x.attempts(run.ID)[0].Reason)
		}
		// A workflow that runs itself stops at the depth limit.
		x.apply("name: loop\ntasks:\n  - {name: again, workflow: loop}\n")
		top := x.start("loop", nil)
		rounds := 0
		for x.startSubs() > 0 {
			rounds++ // each round takes the task of the newest run
		}
		if rounds != engine.MaxSubWorkflowDepth+1 {
			t.Errorf("%d rounds of starts, want %d", rounds, engine.MaxSubWorkflowDepth+1)
		}
		if r := x.run(top.ID); r.State != store.RunFailed {
			t.Errorf("self-running workflow's first run %s, want failed", r.State)
		}
		if got := x.runStates("loop"); got[store.RunFailed] != engine.MaxSubWorkflowDepth+1 {
			t.Errorf("runs of loop: %v, want %d failed", got, engine.MaxSubWorkflowDepth+1)
		}
	})
}

// A child a person reran by itself after it failed is adopted when the
// parent is rerun: it is not started again.
func TestSubWorkflowAdoptsAChildRerunByHand(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply(childWorkflow)
		x.apply(parentWorkflow)
		run := x.start("parent", nil)
		w := x.worker("a", 10)
		x.playAll(w, "load")
		child := x.child()
		if _, err := x.e.RecoverRun(x.ctx, child.ID, engine.Recovery{Failed: true, Actor: "user:test"}); err != nil {
			t.Fatal(err)
		}
		x.playAll(w)
		if r := x.run(run.ID); r.State != store.RunFailed {
			t.Fatalf("parent %s after its child was rerun alone, want still failed", r.State)
		}
		if _, err := x.e.RecoverRun(x.ctx, run.ID, engine.Recovery{Failed: true, Actor: "user:test"}); err != nil {
			t.Fatal(err)
		}
		if got := names(x.playAll(w)); !slices.Equal(got, []string{"report"}) {
			t.Errorf("after the parent's rerun ran %v, want only report", got)
		}
		if r := x.run(run.ID); r.State != store.RunSucceeded || x.child().ID != child.ID {
			t.Errorf("parent %s, child %d; want succeeded with the same child %d", r.State, x.child().ID, child.ID)
		}
		// --from the sub-workflow task asks for it again: a new child.
		if _, err := x.e.RecoverRun(x.ctx, run.ID, engine.Recovery{From: "nightly", Actor: "user:test"}); err != nil {
			t.Fatal(err)
		}
		if got := names(x.playAll(w)); !slices.Equal(got, []string{"extract", "load", "report"}) {
			t.Errorf("after a rerun from nightly ran %v, want a new child's tasks and report", got)
		}
		if got := x.runStates("child"); got[store.RunSucceeded] != 2 {
			t.Errorf("child runs %v, want 2 succeeded", got)
		}
	})
}

// A sub-workflow task's params may use an upstream task's outputs.
func TestSubWorkflowParamsUseUpstreamOutputs(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply("name: child\nparams:\n  batch: {}\ntasks:\n  - {name: load, run: \"load ${{ params.batch }}\"}\n")
		x.apply(`name: parent
tasks:
  - {name: prep, run: prep}
  - name: sub
    needs: [prep]
    workflow: child
    params: {batch: "${{ tasks.prep.outputs.batch }}"}
`)
		run := x.start("parent", nil)
		w := x.worker("a", 10)
		if r := x.finish(w, x.claimOne(w), store.AttemptSucceeded, map[string]string{"batch": "b-17"}); r.Status != engine.Accepted {
			t.Fatalf("finish prep: %+v", r)
		}
		as := x.playAll(w)
		if r := x.run(run.ID); r.State != store.RunSucceeded {
			t.Fatalf("parent %s (%s), want succeeded", r.State, r.Reason)
		}
		if len(as) != 1 || shellView(as[0]) != "load b-17" {
			var got []string
			for _, a := range as {
				got = append(got, shellView(a))
			}
			t.Errorf("child ran %q, want [\"load b-17\"]", got)
		}
	})
}
