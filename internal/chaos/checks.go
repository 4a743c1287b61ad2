package chaos

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/baton-sched/baton/client"
)

// Check is the outcome of one check of a scenario.
type Check struct {
	Name    string `json:"name"`
	Passed  bool   `json:"passed"`
	Summary string `json:"summary"`
	// Problems say what failed, the first few of them.
	Problems []string `json:"problems,omitempty"`
}

// maxProblems is how many problems a check lists before it counts the rest.
const maxProblems = 10

// checker builds one Check.
type checker struct {
	c    Check
	more int
}

func newCheck(name string) *checker { return &checker{c: Check{Name: name, Passed: true}} }

func (k *checker) fail(format string, args ...any) {
	k.c.Passed = false
	if len(k.c.Problems) < maxProblems {
		k.c.Problems = append(k.c.Problems, fmt.Sprintf(format, args...))
	} else {
		k.more++
	}
}

func (k *checker) done(format string, args ...any) Check {
	k.c.Summary = fmt.Sprintf(format, args...)
	if k.more > 0 {
		k.c.Problems = append(k.c.Problems, fmt.Sprintf("... and %d more", k.more))
	}
	return k.c
}

func terminal(state string) bool {
	return state == "succeeded" || state == "failed" || state == "cancelled"
}

// checkRuns: every run started (by the workload or a schedule) ended, in
// the state expected of its workflow.
func checkRuns(ev *evidence) Check {
	k := newCheck("runs")
	for _, err := range ev.startErr {
		k.fail("%v", err)
	}
	seen := map[int64]bool{}
	counts := map[string]int{}
	for _, r := range ev.runs {
		seen[r.ID] = true
		counts[r.State]++
		want := ev.sc.Expect.Runs[r.Workflow]
		if want == "" {
			want = ev.sc.Expect.Runs["*"]
		}
		switch {
		case !terminal(r.State):
			k.fail("run %d of %s is still %s after settling: %s", r.ID, r.Workflow, r.State, unfinished(r))
		case want != "terminal" && r.State != want:
			k.fail("run %d of %s ended %s, want %s%s", r.ID, r.Workflow, r.State, want, because(r.Reason))
		}
	}
	for id, s := range ev.started {
		if !seen[id] {
			k.fail("run %d of %s was started but is not listed", id, s.Workflow)
		}
	}
	var parts []string
	for _, st := range []string{"succeeded", "failed", "cancelled", "running", "queued", "paused"} {
		if counts[st] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[st], st))
		}
	}
	return k.done("%d runs (%d started by the workload): %s; want %s", len(ev.runs), len(ev.started),
		strings.Join(parts, ", "), expectedRuns(ev.sc.Expect.Runs))
}

func because(reason string) string {
	if reason == "" {
		return ""
	}
	return " (" + reason + ")"
}

// unfinished says what a run that did not end is waiting for.
func unfinished(r runEvidence) string {
	var parts []string
	for _, t := range r.Tasks {
		if terminal(t.State) || t.State == "skipped" || t.State == "upstream_failed" {
			continue
		}
		s := "task " + t.Name + " " + t.State
		if t.LastAttempt != nil {
			s += fmt.Sprintf(" (attempt %d %s on %s)", t.LastAttempt.Number, t.LastAttempt.State, t.LastAttempt.WorkerID)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

func expectedRuns(m map[string]string) string {
	var parts []string
	for _, wf := range slices.Sorted(maps.Keys(m)) {
		if wf == "*" {
			continue
		}
		parts = append(parts, wf+" "+m[wf])
	}
	all := m["*"]
	if len(parts) == 0 {
		return all
	}
	return strings.Join(parts, ", ") + ", others " + all
}

// checkFinished: "finished stays finished". In the database a task has at
// most one succeeded attempt, its last; in the witness no attempt of a
// task started after its succeeded attempt did. With Expect.EndedOnce,
// no task ran to its end twice either, counting attempts whose result
// never reached the servers.
func checkFinished(ev *evidence) Check {
	k := newCheck("finished-stays-finished")
	tasks, lostEnds := 0, 0
	for _, r := range ev.runs {
		for task, as := range r.tasks() {
			tasks++
			var success *client.Attempt
			for i, a := range as {
				if a.State != "succeeded" {
					continue
				}
				if success != nil {
					k.fail("run %d task %s: attempts #%d and #%d both succeeded", r.ID, task, success.Number, a.Number)
				}
				success = &as[i]
				if i != len(as)-1 {
					k.fail("run %d task %s: attempt #%d started after #%d succeeded", r.ID, task, as[i+1].Number, a.Number)
				}
			}
			spans := ev.witness.Attempts(r.ID, task)
			ends := 0
			var okSpan *Span
			for i, s := range spans {
				if s.Ended {
					ends++
				}
				if success != nil && s.AttemptID == success.ID {
					okSpan = &spans[i]
				}
			}
			if ends > 1 {
				lostEnds += ends - 1
				if ev.sc.Expect.EndedOnceFor(r.Workflow) {
					k.fail("run %d task %s ran to its end %d times", r.ID, task, ends)
				}
			}
			if okSpan == nil {
				continue
			}
			for _, s := range spans {
				if s.AttemptID != okSpan.AttemptID && s.Start.After(okSpan.Last) {
					k.fail("run %d task %s: attempt %d started %v after attempt %d had succeeded", r.ID, task,
						s.AttemptID, s.Start.Sub(okSpan.Last).Round(msRound), okSpan.AttemptID)
				}
			}
		}
	}
	note := ""
	if lostEnds > 0 {
		note = fmt.Sprintf("; %d attempt(s) ran to their end but their result never counted (cut off or killed before reporting), so the task ran again", lostEnds)
	}
	return k.done("%d tasks: none succeeded twice or ran again after its success%s", tasks, note)
}

// checkOverlap: "one live attempt". No two attempts of a task were seen
// running at once (by the witness) for longer than Expect.MaxOverlap.
func checkOverlap(ev *evidence) Check {
	k := newCheck("one-live-attempt")
	overlaps := ev.witness.Overlaps()
	for _, o := range overlaps {
		if o.By > ev.sc.Expect.MaxOverlap {
			k.fail("%s (allowed %v)", o, ev.sc.Expect.MaxOverlap)
		}
	}
	if len(overlaps) == 0 {
		return k.done("no task ran more than one attempt")
	}
	o := overlaps[0]
	word := "overlap"
	if o.By < 0 {
		word = "gap"
	}
	return k.done("%d pairs of attempts of one task; closest: a %s of %v (run %d task %s)", len(overlaps), word,
		abs(o.By).Round(msRound), o.RunID, o.Task)
}

// checkRerunnable: "rerunnable is a promise". A rerunnable: false task
// whose attempt was lost, or fenced (superseded while its worker was cut
// off), never ran again: the attempt is its last, the task failed with
// reason lost, an alert.task_lost event was recorded and the witness
// shows no later attempt.
func checkRerunnable(ev *evidence) Check {
	k := newCheck("rerunnable-false")
	fixed := map[string][]string{}
	for _, l := range ev.sc.Workload {
		for _, t := range l.Definition.Tasks {
			if t.Rerunnable != nil && !*t.Rerunnable && !slices.Contains(fixed[l.Definition.Name], t.Name) {
				fixed[l.Definition.Name] = append(fixed[l.Definition.Name], t.Name)
			}
		}
	}
	if len(fixed) == 0 {
		return k.done("no task of the workload is rerunnable: false")
	}
	alerted := map[string]bool{}
	for _, e := range ev.events {
		if e.Kind == "alert.task_lost" {
			alerted[fmt.Sprintf("%d/%s", e.RunID, e.Task)] = true
		}
	}
	tasks, lost := 0, 0
	for _, r := range ev.runs {
		byTask := r.tasks()
		for _, name := range fixed[r.Workflow] {
			tasks++
			as := byTask[name]
			i := slices.IndexFunc(as, func(a client.Attempt) bool { return a.State == "lost" || a.State == "fenced" })
			if i < 0 {
				continue
			}
			lost++
			a := as[i]
			if i != len(as)-1 {
				k.fail("run %d task %s: attempt #%d was %s, then attempt #%d ran", r.ID, name, a.Number, a.State, as[i+1].Number)
			}
			if t, ok := r.task(name); !ok || t.State != "failed" || !strings.Contains(t.Reason, "lost") {
				k.fail("run %d task %s: lost, but the task is %s (%s), want failed with reason lost", r.ID, name, t.State, t.Reason)
			}
			if !alerted[fmt.Sprintf("%d/%s", r.ID, name)] {
				k.fail("run %d task %s: lost without an alert.task_lost event", r.ID, name)
			}
			for _, s := range ev.witness.Attempts(r.ID, name) {
				if s.AttemptID != a.ID {
					k.fail("run %d task %s: the witness shows attempt %d besides the %s attempt %d", r.ID, name, s.AttemptID, a.State, a.ID)
				}
			}
		}
	}
	return k.done("%d rerunnable: false tasks, %d of them lost or fenced, none started again", tasks, lost)
}

// checkEvents: the event log holds the counts of event kinds expected.
func checkEvents(ev *evidence) Check {
	k := newCheck("events")
	var parts []string
	for _, want := range ev.sc.Expect.Events {
		n := countEventsIn(ev, want)
		in := ""
		if want.Window {
			in = " " + want.window()
		}
		parts = append(parts, fmt.Sprintf("%s %d%s", want.Kind, n, in))
		if !want.Holds(n) {
			k.fail("%d %s events%s, want %s %d", n, want.Kind, in, want.Op, want.N)
		}
	}
	return k.done("%s", strings.Join(parts, ", "))
}

// checkFaults: the timeline was carried out as written.
func checkFaults(ev *evidence) Check {
	k := newCheck("faults")
	for _, f := range ev.faults {
		if f.Err != "" {
			k.fail("at %v: %s: %s", f.At, f.Action, f.Err)
		}
	}
	return k.done("%d actions on the cluster", len(ev.faults))
}

// checkRefusals: every request that exceeds a limit is refused, 413 or
// 422, with the limit named, and leaves nothing stored.
func checkRefusals(ev *evidence) Check {
	k := newCheck("refusals")
	done := map[int]bool{}
	var parts []string
	for _, ref := range ev.refusals {
		done[ref.Load] = true
		l := ev.sc.Workload[ref.Load]
		what := fmt.Sprintf("workload[%d] (%s)", ref.Load, l.Definition.Name)
		switch {
		case ref.Step == "" && ref.Error != "":
			k.fail("%s: %s", what, ref.Error)
		case ref.Step == "":
			k.fail("%s was accepted, want it refused for %s", what, ref.Limit)
		case ref.Status != 413 && ref.Status != 422:
			k.fail("%s: %s answered %d (%s), want 413 or 422 for %s", what, ref.Step, ref.Status, oneLine(ref.Error), ref.Limit)
		case !strings.Contains(ref.Error, ref.Limit):
			k.fail("%s: the refusal (%s) does not name the limit %s", what, oneLine(ref.Error), ref.Limit)
		default:
			parts = append(parts, fmt.Sprintf("%s %s refused %d for %s", what, ref.Step, ref.Status, ref.Limit))
		}
		if s := ev.stored[ref.Load]; s != "" {
			k.fail("%s was refused but changed the database: %s", what, s)
		}
	}
	for i, l := range ev.sc.Workload {
		if l.Refused != "" && !done[i] {
			k.fail("workload[%d] (%s) was never sent", i, l.Definition.Name)
		}
	}
	return k.done("%s", strings.Join(parts, "; "))
}

// checkVersions: in a mixed-version cluster, every worker the scenario
// started registered, and is recorded, with the older build's version.
func checkVersions(ev *evidence) Check {
	k := newCheck("versions")
	want := OldVersion(ev.sc.Cluster.WorkersCommit)
	n := 0
	for _, id := range slices.Sorted(maps.Keys(ev.workers)) {
		w := ev.workers[id]
		if w.Zone == probeZone {
			continue
		}
		n++
		if w.Version != want {
			k.fail("worker %s (%s) registered with version %q, want the older build's %q", w.Name, id, w.Version, want)
		}
	}
	if n == 0 {
		k.fail("no worker registered")
	}
	return k.done("%d worker registrations, all with version %s (servers: this build)", n, want)
}
