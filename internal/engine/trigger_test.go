package engine_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store"
)

const upstreamWorkflow = `
name: load
params: {day: null}
tasks:
  - name: extract
    run: extract
  - name: merge
    run: merge
`

const downstreamWorkflow = `
name: report
params: {day: null, mode: full}
on:
  workflow_succeeded:
    workflow: load
    params: {day: "${{ trigger.params.day }}"}
tasks:
  - name: publish
    run: publish ${{ params.day }} ${{ trigger.outputs.extract.file }} ${{ trigger.workflow }} ${{ trigger.run }}
`

// runsOf lists the runs of a workflow.
func (x *env) runsOf(workflow string) []store.Run {
	x.t.Helper()
	var rs []store.Run
	err := x.s.Read(x.ctx, func(tx store.Tx) (err error) {
		rs, err = tx.Runs().List(x.ctx, store.RunFilter{Workflow: workflow, Limit: 1000})
		return err
	})
	if err != nil {
		x.t.Fatal(err)
	}
	return rs
}

// succeedUpstream plays a run of load to success, extract writing file.
func (x *env) succeedUpstream(w store.Worker, day string) store.Run {
	x.t.Helper()
	run := x.start("load", map[string]string{"day": day})
	for _, a := range x.claim(w, 10) {
		if a.RunID != run.ID {
			x.t.Fatalf("claimed %s of run %d, want run %d", a.Task, a.RunID, run.ID)
		}
		x.finish(w, a, store.AttemptSucceeded, map[string]string{"file": "/data/" + day})
	}
	if r := x.run(run.ID); r.State != store.RunSucceeded {
		x.t.Fatalf("upstream %s, want succeeded", r.State)
	}
	return run
}

func TestTriggerStartsDownstreamWithUpstreamValues(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply(upstreamWorkflow)
		x.apply(downstreamWorkflow)
		w := x.worker("a", 10)
		up := x.succeedUpstream(w, "2026-12-01")
		runs := x.runsOf("report")
		if len(runs) != 1 {
			t.Fatalf("%d runs of report, want 1", len(runs))
		}
		down := runs[0]
		var params map[string]string
		if err := json.Unmarshal([]byte(down.Params), &params); err != nil || params["day"] != "2026-12-01" || params["mode"] != "full" {
			t.Errorf("params %s, want the upstream's day and the default mode", down.Params)
		}
		if want := fmt.Sprintf("trigger:load/%d", up.ID); down.CreatedBy != want {
			t.Errorf("created by %q, want %q", down.CreatedBy, want)
		}
		if n := len(x.events(down.ID, "run.triggered")); n != 1 {
			t.Errorf("%d run.triggered events, want 1", n)
		}
		a := x.claimOne(w)
		want := fmt.Sprintf("publish 2026-12-01 /data/2026-12-01 load %d", up.ID)
		if got := shellView(a); got != want {
			t.Errorf("command %q, want %q", got, want)
		}
		x.finish(w, a, store.AttemptSucceeded, nil)

		// Rerunning the upstream run to success again fires nothing more:
		// exactly once per upstream run.
		if _, err := x.e.RecoverRun(x.ctx, up.ID, engine.Recovery{From: "extract", Actor: "user:test"}); err != nil {
			t.Fatal(err)
		}
		x.runAll(w)
		if r := x.run(up.ID); r.State != store.RunSucceeded {
			t.Fatalf("rerun upstream %s, want succeeded", r.State)
		}
		if n := len(x.runsOf("report")); n != 1 {
			t.Errorf("%d runs of report after the upstream's rerun, want 1", n)
		}
	})
}

// One report that ends several runs of the upstream (and of a workflow
// nothing listens to) fires the trigger once per upstream run: the
// transaction looks the subscribers up once a workflow, never skipping a
// run of a workflow that has some.
func TestTriggerFiresForEveryRunEndedByOneReport(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply(upstreamWorkflow)
		x.apply(downstreamWorkflow)
		x.apply("name: alone\ntasks:\n  - name: only\n    run: \"true\"\n")
		w := x.worker("a", 20)
		x.start("alone", nil)
		ups := map[int64]string{}
		for _, day := range []string{"d1", "d2", "d3"} {
			ups[x.start("load", map[string]string{"day": day}).ID] = day
		}
		x.start("alone", nil)
		var rs []engine.Report
		for _, a := range x.claim(w, 20) {
			rs = append(rs, engine.Report{AttemptID: a.AttemptID, Kind: engine.ReportStart},
				engine.Report{AttemptID: a.AttemptID, Kind: engine.ReportFinish, State: store.AttemptSucceeded,
					Outputs: map[string]string{"file": "/data/" + ups[a.RunID]}})
		}
		if len(rs) != 2*8 {
			t.Fatalf("%d reports, want 16 (8 tasks)", len(rs))
		}
		for _, r := range x.report(w, rs...) {
			if r.Status != engine.Accepted {
				t.Fatalf("report %+v", r)
			}
		}
		got := map[string]string{}
		for _, r := range x.runsOf("report") {
			var params map[string]string
			if err := json.Unmarshal([]byte(r.Params), &params); err != nil {
				t.Fatal(err)
			}
			got[r.CreatedBy] = params["day"]
		}
		if len(got) != len(ups) {
			t.Errorf("runs of report %v, want one per upstream run %v", got, ups)
		}
		for id, day := range ups {
			if by := fmt.Sprintf("trigger:load/%d", id); got[by] != day {
				t.Errorf("run of report by %s has day %q, want %q", by, got[by], day)
			}
		}
	})
}

func TestTriggerSkipsFailedUpstreamAndDisabledDownstream(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply(upstreamWorkflow)
		x.apply(downstreamWorkflow)
		w := x.worker("a", 10)
		failed := x.start("load", map[string]string{"day": "d1"})
		for _, a := range x.claim(w, 10) {
			x.finish(w, a, store.AttemptFailed, nil)
		}
		if r := x.run(failed.ID); r.State != store.RunFailed {
			t.Fatalf("upstream %s, want failed", r.State)
		}
		if n := len(x.runsOf("report")); n != 0 {
			t.Fatalf("%d runs of report after a failed upstream, want 0", n)
		}
		if _, _, err := x.e.SetWorkflowDisabled(x.ctx, "report", true, "user:test"); err != nil {
			t.Fatal(err)
		}
		x.succeedUpstream(w, "d2")
		if n := len(x.runsOf("report")); n != 0 {
			t.Fatalf("%d runs of a disabled report, want 0", n)
		}
		if n := len(x.events(0, "trigger.skipped")); n != 1 {
			t.Errorf("%d trigger.skipped events, want 1", n)
		}
		// Enabled again, it does not catch up on what it missed.
		if _, _, err := x.e.SetWorkflowDisabled(x.ctx, "report", false, "user:test"); err != nil {
			t.Fatal(err)
		}
		x.succeedUpstream(w, "d3")
		if n := len(x.runsOf("report")); n != 1 {
			t.Errorf("%d runs of report once enabled, want 1", n)
		}
	})
}

func TestTriggerCycleRefusedAtApply(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply("name: a\non: {workflow_succeeded: c}\ntasks: [{name: t, run: t}]\n")
		x.apply("name: b\non: {workflow_succeeded: a}\ntasks: [{name: t, run: t}]\n")
		_, err := x.e.Apply(x.ctx, []engine.Source{{Filename: "c.yaml",
			Text: []byte("name: c\non: {workflow_succeeded: b}\ntasks: [{name: t, run: t}]\n")}}, "user:test")
		if !isInvalid(err) || !strings.Contains(err.Error(), "trigger cycle c -> a -> b -> c") {
			t.Fatalf("apply closing a cycle: %v, want a trigger cycle error", err)
		}
		if _, err := x.e.Apply(x.ctx, []engine.Source{{Filename: "c.yaml",
			Text: []byte("name: c\ntasks: [{name: t, run: t}]\n")}}, "user:test"); err != nil {
			t.Fatalf("apply c without the cycle: %v", err)
		}
	})
}

// Two engines settle the two last tasks of each upstream run at once:
// whichever ends the run fires the trigger, exactly once.
func TestTriggerExactlyOnceWhenEnginesRaceTheSettle(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply(upstreamWorkflow)
		x.apply(downstreamWorkflow)
		other := engine.New(x.s, engine.Config{})
		w := x.worker("a", 10)
		const n = 8
		var ups []int64
		for i := range n {
			run := x.start("load", map[string]string{"day": fmt.Sprint(i)})
			ups = append(ups, run.ID)
			var as []engine.Assignment
			for _, a := range x.claim(w, 10) {
				if a.RunID == run.ID {
					as = append(as, a)
				} else { // an earlier run's downstream run
					x.finish(w, a, store.AttemptSucceeded, nil)
				}
			}
			if len(as) != 2 {
				t.Fatalf("claimed %d tasks of run %d, want 2", len(as), run.ID)
			}
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for j, e := range []*engine.Engine{x.e, other} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, errs[j] = e.Report(x.ctx, w.ID, []engine.Report{
						{AttemptID: as[j].AttemptID, Kind: engine.ReportStart},
						{AttemptID: as[j].AttemptID, Kind: engine.ReportFinish, State: store.AttemptSucceeded,
							Outputs: map[string]string{"file": "f"}}})
				}()
			}
			wg.Wait()
			if err := errors.Join(errs...); err != nil {
				t.Fatal(err)
			}
		}
		byUp := map[string]int{}
		for _, r := range x.runsOf("report") {
			byUp[r.CreatedBy]++
		}
		for _, id := range ups {
			if r := x.run(id); r.State != store.RunSucceeded {
				t.Fatalf("upstream %d %s", id, r.State)
			}
			if got := byUp[fmt.Sprintf("trigger:load/%d", id)]; got != 1 {
				t.Errorf("upstream run %d started %d downstream runs, want 1", id, got)
			}
		}
	})
}

func TestWebhookStartsValidatedRuns(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply("name: hooked\nparams: {day: null, n: 1}\non: {webhook: true}\ntasks:\n  - name: t\n    run: echo ${{ trigger.params.day }} ${{ params.n }}\n")
		x.apply("name: plain\ntasks: [{name: t, run: t}]\n")
		for _, body := range []map[string]any{
			{"n": json.Number("2")},           // day missing
			{"day": "d", "extra": "x"},        // not declared
			{"day": map[string]any{"a": "b"}}, // not a scalar
		} {
			_, err := x.e.StartWebhook(x.ctx, engine.WebhookRequest{Workflow: "hooked", Params: body, Actor: "webhook:hooked"})
			if !isInvalid(err) || !strings.Contains(err.Error(), "params.") {
				t.Errorf("body %v: %v, want an invalid error naming the param", body, err)
			}
		}
		if n := len(x.runsOf("hooked")); n != 0 {
			t.Fatalf("%d runs after bad bodies, want 0", n)
		}
		if _, err := x.e.StartWebhook(x.ctx, engine.WebhookRequest{Workflow: "plain", Actor: "webhook:plain"}); !errors.Is(err, engine.ErrWebhookOff) {
			t.Errorf("webhook of a workflow without on.webhook: %v", err)
		}
		body := map[string]any{"day": "2026-12-06", "n": json.Number("3")}
		first, err := x.e.StartWebhook(x.ctx, engine.WebhookRequest{Workflow: "hooked", Params: body, IdempotencyKey: "k1", Actor: "webhook:hooked"})
		if err != nil || !first.Created {
			t.Fatalf("webhook: %+v, %v", first, err)
		}
		again, err := x.e.StartWebhook(x.ctx, engine.WebhookRequest{Workflow: "hooked", Params: body, IdempotencyKey: "k1", Actor: "webhook:hooked"})
		if err != nil || again.Created || again.Run.ID != first.Run.ID {
			t.Fatalf("repeated key: %+v, %v; want run %d again", again, err, first.Run.ID)
		}
		if _, err := x.e.StartWebhook(x.ctx, engine.WebhookRequest{Workflow: "hooked", Params: body, Actor: "webhook:hooked"}); err != nil {
			t.Fatal(err)
		}
		if n := len(x.runsOf("hooked")); n != 2 {
			t.Fatalf("%d runs, want 2", n)
		}
		w := x.worker("a", 10)
		a := x.claimOne(w)
		if got := shellView(a); got != "echo 2026-12-06 3" {
			t.Errorf("command %q", got)
		}
	})
}
