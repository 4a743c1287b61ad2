package chaos

import (
	"testing"

	"github.com/baton-sched/baton/internal/workflow"
)

func TestCheckTriggers(t *testing.T) {
	down := &workflow.Definition{Name: "down", Tasks: []workflow.Task{{Name: "t"}},
		On: &workflow.On{WorkflowSucceeded: []workflow.Upstream{{Workflow: "w"}}}}
	ev := testEvidence(true, run(1, "succeeded"), run(2, "succeeded"), run(3, "failed"), run(4, "succeeded"))
	ev.sc.Workload = append(ev.sc.Workload, Load{Definition: down})
	started := func(id int64, by string) runEvidence {
		r := run(id, "succeeded")
		r.Workflow, r.CreatedBy = "down", by
		return r
	}
	ev.runs = append(ev.runs, started(11, "trigger:w/1"), started(12, "trigger:w/2"), started(13, "trigger:w/2"),
		started(14, "trigger:w/3"))
	c, ok := checkTriggers(ev)
	if !ok {
		t.Fatal("no triggers check for a workload with on: workflow_succeeded")
	}
	wantFail(t, c, "run 2 of w started 2 runs of down: [12 13]")
	wantFail(t, c, "run 3 of w ended failed but started runs [14] of down")
	wantFail(t, c, "run 4 of w succeeded but started no run of down")
	ev.runs = append(ev.runs[:4], started(11, "trigger:w/1"), started(12, "trigger:w/2"), started(14, "trigger:w/4"))
	c, _ = checkTriggers(ev)
	wantPass(t, c)
}
