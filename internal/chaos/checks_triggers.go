package chaos

import (
	"fmt"
	"slices"
	"strings"

	"github.com/baton-sched/baton/client/vocab"
)

// checkTriggers: "exactly-once triggers". Each succeeded run of a
// workflow another workflow of the workload listens to (on:
// workflow_succeeded) started exactly one run of it, and no run was
// started by an upstream run that did not succeed.
func checkTriggers(ev *evidence) (Check, bool) {
	k := newCheck("exactly-once-triggers")
	var parts []string
	var done []string
	for _, l := range ev.sc.Workload {
		down := l.Definition.Name
		if l.Definition.On == nil || slices.Contains(done, down) {
			continue
		}
		done = append(done, down)
		for _, up := range l.Definition.UpstreamNames() {
			parts = append(parts, checkTrigger(k, ev, up, down))
		}
	}
	if len(parts) == 0 {
		return Check{}, false
	}
	return k.done("%s", strings.Join(parts, "; ")), true
}

func checkTrigger(k *checker, ev *evidence, up, down string) string {
	started := map[string][]int64{} // by actor "trigger:UP/ID"
	for _, r := range ev.runs {
		if r.Workflow == down && strings.HasPrefix(r.CreatedBy, "trigger:"+up+"/") {
			started[r.CreatedBy] = append(started[r.CreatedBy], r.ID)
		}
	}
	succeeded, once := 0, 0
	for _, r := range ev.runs {
		if r.Workflow != up {
			continue
		}
		actor := fmt.Sprintf("trigger:%s/%d", up, r.ID)
		ids := started[actor]
		delete(started, actor)
		switch {
		case r.State != vocab.RunSucceeded && len(ids) > 0:
			k.fail("run %d of %s ended %s but started runs %v of %s", r.ID, up, r.State, ids, down)
		case r.State != vocab.RunSucceeded:
		case len(ids) == 0:
			succeeded++
			k.fail("run %d of %s succeeded but started no run of %s", r.ID, up, down)
		case len(ids) > 1:
			succeeded++
			k.fail("run %d of %s started %d runs of %s: %v", r.ID, up, len(ids), down, ids)
		default:
			succeeded++
			once++
		}
	}
	for actor, ids := range started {
		k.fail("runs %v of %s were started by %s, which is no run of the workload", ids, down, actor)
	}
	return fmt.Sprintf("%s -> %s: %d succeeded upstream runs, %d started exactly one run", up, down, succeeded, once)
}
