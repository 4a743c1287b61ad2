package engine

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/workflow"
)

// rerunAsNew reruns a finished run as a new run of the workflow's latest
// version (r.Latest) and/or with other params (r.Params), in one
// transaction. The old run stays as it ended. Tasks are matched by name:
//
//   - a task that succeeded (or was skipped) in the old run, is still in
//     the version, is not chosen to run again (r.From and downstream), and
//     whose upstream in the version are all carried too, is carried: it
//     ends the same way in the new run, with its outputs, and does not run;
//   - every other task of the version runs, including tasks the version
//     added;
//   - tasks of the old run the version no longer has are dropped (they
//     stay in the old run).
//
// The new run keeps the old run's params for the parameters the version
// still declares, with r.Params on top, checked against the version.
func (o *op) rerunAsNew(runID int64, r Recovery) (Recovered, error) {
	old, err := o.Runs().Get(o.ctx, runID)
	if err != nil {
		return Recovered{}, notFound(err, "run %d", runID)
	}
	if !store.RunTerminal(old.State) {
		return Recovered{}, fmt.Errorf("run %d is %s: %w", runID, old.State, ErrRunActive)
	}
	wfs, err := o.workflowsOf([]StartRequest{{Workflow: old.Workflow}})
	if err != nil {
		return Recovered{}, err
	}
	wf := wfs[old.Workflow]
	versionID, version := old.VersionID, old.Version
	if r.Latest {
		versionID, version = wf.LatestVersionID, wf.LatestVersion
	}
	p, err := o.plan(versionID)
	if err != nil {
		return Recovered{}, err
	}
	params := map[string]string{}
	if err := json.Unmarshal([]byte(old.Params), &params); err != nil {
		return Recovered{}, fmt.Errorf("run %d: params: %w", runID, err)
	}
	maps.DeleteFunc(params, func(k, _ string) bool { _, ok := p.def.Params[k]; return !ok })
	maps.Copy(params, r.Params)
	n, err := o.newRun(wf, StartRequest{Workflow: wf.Name, Version: version, Params: params,
		Priority: old.Priority, ScheduledAt: ms(old.ScheduledAt), Actor: o.actor})
	if err != nil {
		return Recovered{}, err
	}

	oldTasks, err := o.Tasks().ListRun(o.ctx, runID)
	if err != nil {
		return Recovered{}, err
	}
	outputs, err := o.Tasks().Outputs(o.ctx, runID)
	if err != nil {
		return Recovered{}, err
	}
	was := make(map[string]store.Task, len(oldTasks))
	for _, t := range oldTasks {
		was[t.Name] = t
	}
	outs := make(map[string]string, len(outputs))
	for _, t := range outputs {
		outs[t.Name] = t.Outputs
	}
	nodes := p.graph.Nodes
	again := make([]bool, len(nodes))
	if r.From != "" {
		i := slices.IndexFunc(nodes, func(n workflow.Node) bool { return n.Name == r.From })
		if i < 0 {
			return Recovered{}, invalid("from: task %q is not in %s version %d", r.From, wf.Name, version)
		}
		again[i] = true
		for _, d := range p.descendants[i] {
			again[d] = true
		}
	}
	out := Recovered{RerunOf: runID}
	for name := range was {
		if !slices.ContainsFunc(nodes, func(n workflow.Node) bool { return n.Name == name }) {
			out.Dropped = append(out.Dropped, name)
		}
	}
	slices.Sort(out.Dropped)

	// In topological order: carried tasks keep their end, the others get
	// the state their trigger rule gives them from their upstream.
	states := make([]string, len(nodes))
	needs, needsFailed := make([]int64, len(nodes)), make([]int64, len(nodes))
	carried := make([]bool, len(nodes))
	for _, nd := range nodes {
		t, ok := was[nd.Name]
		carried[nd.Index] = ok && !again[nd.Index] && (t.State == store.TaskSucceeded || t.State == store.TaskSkipped) &&
			!slices.ContainsFunc(nd.Upstream, func(u int) bool { return !carried[u] })
		if carried[nd.Index] {
			states[nd.Index] = t.State
			out.Carried = append(out.Carried, nd.Name)
			continue
		}
		var done, failed int64
		for _, u := range nd.Upstream {
			switch {
			case states[u] == store.TaskSucceeded || states[u] == store.TaskSkipped:
				done++
			case failedState(states[u]):
				failed++
			}
		}
		states[nd.Index], needs[nd.Index], needsFailed[nd.Index] = ruleState(nd, done, failed), done, failed
	}
	var finished int64
	for i, s := range states {
		if s == store.TaskPending || s == store.TaskQueued {
			out.Rerun = append(out.Rerun, nodes[i].Name)
		} else {
			finished++
		}
	}
	if len(out.Rerun) == 0 {
		return Recovered{}, invalid("run %d: nothing to run again: every task of %s version %d succeeded in it",
			runID, wf.Name, version)
	}

	runs, err := o.Runs().InsertMany(o.ctx, []store.NewRun{n.row})
	if err != nil {
		return Recovered{}, err
	}
	run := runs[0]
	if n.pins, err = o.keepPins(runID, n.pins); err != nil {
		return Recovered{}, err
	}
	if err := o.Resources().Pin(o.ctx, run.ID, n.pins); err != nil {
		return Recovered{}, err
	}
	what := fmt.Sprintf("rerun of run %d (version %d) on version %d", runID, old.Version, version)
	if len(r.Params) > 0 {
		what += " with params " + formatParams(r.Params)
	}
	reason := what + " by " + o.actor
	if r.Reason != "" {
		reason += ": " + r.Reason
	}
	newTasks := make([]store.NewTask, len(nodes))
	for i, nd := range nodes {
		pl := p.placement[i]
		newTasks[i] = store.NewTask{RunID: run.ID, Idx: int64(i), Name: nd.Name, State: store.TaskPending,
			Group: nd.Group, CU: nd.CU, Priority: int64(nd.Priority), RunPriority: run.Priority,
			NeedsTotal: int64(len(nd.Upstream)), Labels: pl.labels, ZonesAllow: pl.zonesAllow,
			ZonesDeny: pl.zonesDeny, Slot: nd.Slot}
	}
	if err := o.Tasks().Insert(o.ctx, newTasks); err != nil {
		return Recovered{}, err
	}
	inserted, err := o.Tasks().ListRun(o.ctx, run.ID)
	if err != nil {
		return Recovered{}, err
	}
	o.record(store.NewEvent{Kind: "run.running", RunID: run.ID, NewState: store.RunRunning, Reason: reason})
	for _, t := range inserted {
		i := t.Idx
		var ok bool
		switch {
		case carried[i]:
			ok, err = o.Tasks().Carry(o.ctx, t.ID, states[i], "carried from run "+fmt.Sprint(runID), outs[t.Name])
		case states[i] == store.TaskPending && needs[i] == 0 && needsFailed[i] == 0:
			continue
		default:
			ok, err = o.Tasks().Recover(o.ctx, store.TaskRecovery{State: states[i], Reason: reason,
				NeedsDone: needs[i], NeedsFailed: needsFailed[i], ID: t.ID, FromState: store.TaskPending})
		}
		if err != nil {
			return Recovered{}, err
		}
		if !ok {
			return Recovered{}, fmt.Errorf("task %s of new run %d changed meanwhile: %w", t.Name, run.ID, store.ErrConflict)
		}
		if states[i] != store.TaskPending {
			o.record(store.NewEvent{Kind: "task." + states[i], RunID: run.ID, TaskID: t.ID, Task: t.Name,
				OldState: store.TaskPending, NewState: states[i], Reason: reason})
		}
	}
	if finished > 0 {
		if _, err := o.Runs().AddProgressMany(o.ctx, []store.RunDelta{{ID: run.ID, Done: finished}}); err != nil {
			return Recovered{}, err
		}
	}
	if old.ParentRunID != 0 { // the parent's task adopts it if it succeeds
		if err := o.Runs().SetParent(o.ctx, run.ID, old.ParentRunID, old.ParentTaskID); err != nil {
			return Recovered{}, err
		}
	}
	if err := o.setDeadline(run.ID, p); err != nil {
		return Recovered{}, err
	}
	if _, err := o.limitRun(run, p); err != nil {
		return Recovered{}, err
	}
	o.record(store.NewEvent{Kind: "run.rerun", RunID: runID, Reason: fmt.Sprintf("run again as run %d: %s", run.ID, reason)})
	if slices.Contains(states, store.TaskQueued) {
		o.NotifyWork()
	}
	out.Run, err = o.Runs().Get(o.ctx, run.ID)
	return out, err
}

// formatParams renders params as k=v, sorted.
func formatParams(ps map[string]string) string {
	var b []string
	for _, k := range slices.Sorted(maps.Keys(ps)) {
		b = append(b, k+"="+ps[k])
	}
	return strings.Join(b, " ")
}
