package chaos

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/client/vocab"
	"github.com/baton-sched/baton/internal/schedule"
)

// msRound rounds durations in messages.
const msRound = time.Millisecond

func abs(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// FailoverSample is one lost attempt (declared lost by the servers, or
// fenced by its own worker when its lease ran out) and the time until its
// task's next attempt ran.
type FailoverSample struct {
	RunID int64  `json:"run_id"`
	Task  string `json:"task"`
	// Lost and Next are the attempt IDs.
	Lost int64 `json:"lost_attempt"`
	Next int64 `json:"next_attempt"`
	// Took is from the loss to the next attempt running. The loss is the
	// fault that cut the attempt's worker off (From "fault"), else the
	// last time the witness saw the attempt run ("witness"), else when
	// the servers declared it lost ("declared").
	Took Millis `json:"took_ms"`
	From string `json:"from"`
}

// failoverSamples measures every lost or fenced attempt that has a next
// attempt.
func failoverSamples(ev *evidence) []FailoverSample {
	var out []FailoverSample
	for _, r := range ev.runs {
		for task, as := range r.tasks() {
			for i, a := range as {
				if a.State != vocab.AttemptLost && a.State != vocab.AttemptFenced || i+1 >= len(as) || as[i+1].StartedAt.IsZero() {
					continue
				}
				next := as[i+1]
				at, from := lossTime(ev, r.ID, a)
				out = append(out, FailoverSample{RunID: r.ID, Task: task, Lost: a.ID, Next: next.ID,
					Took: Millis(next.StartedAt.Sub(at)), From: from})
			}
		}
	}
	slices.SortFunc(out, func(a, b FailoverSample) int { return cmp.Compare(a.Took, b.Took) })
	return out
}

// lossTime is when an attempt was lost: the start of the latest fault
// that cut its worker off while the attempt was live (between its
// dispatch and its being declared lost), or its dispatch if its worker
// was already cut off then (a claim answered as the worker froze).
func lossTime(ev *evidence, runID int64, a client.Attempt) (time.Time, string) {
	var best time.Time
	name := ev.workers[a.WorkerID].Name
	for _, c := range append(slices.Clone(ev.cuts[name]), ev.cuts[""]...) {
		if c.From.After(a.FinishedAt) || !c.To.IsZero() && c.To.Before(a.DispatchedAt) {
			continue
		}
		if at := later(c.From, a.DispatchedAt); at.After(best) {
			best = at
		}
	}
	if !best.IsZero() {
		return best, "fault"
	}
	for _, s := range ev.witness.Attempts(runID, a.Task) {
		if s.AttemptID == a.ID {
			return s.Last, "witness"
		}
	}
	return a.FinishedAt, "declared"
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// FailoverStats summarises the failover samples.
type FailoverStats struct {
	Samples int              `json:"samples"`
	P50     Millis           `json:"p50_ms"`
	P99     Millis           `json:"p99_ms"`
	Max     Millis           `json:"max_ms"`
	Detail  []FailoverSample `json:"detail,omitempty"`
}

// percentile is the nearest-rank percentile of sorted samples.
func percentile(sorted []FailoverSample, q float64) Millis {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)].Took
}

func newFailoverStats(samples []FailoverSample) FailoverStats {
	if len(samples) == 0 {
		return FailoverStats{}
	}
	return FailoverStats{Samples: len(samples), P50: percentile(samples, 0.50), P99: percentile(samples, 0.99),
		Max: samples[len(samples)-1].Took, Detail: samples}
}

// checkFailover: failover times within the expected bounds.
func checkFailover(ev *evidence, st FailoverStats) Check {
	k := newCheck("failover")
	b := ev.sc.Expect.Failover
	for _, lim := range []struct {
		name  string
		got   Millis
		bound time.Duration
	}{{"p50", st.P50, b.P50}, {"p99", st.P99, b.P99}, {"max", st.Max, b.Max}} {
		if lim.bound > 0 && time.Duration(lim.got) > lim.bound {
			msg := fmt.Sprintf("failover %s %v exceeds the bound %v", lim.name, lim.got, lim.bound)
			if lim.name == "max" {
				s := st.Detail[len(st.Detail)-1]
				msg += fmt.Sprintf(" (run %d task %s: attempt %d lost, attempt %d running %v later, from the %s)",
					s.RunID, s.Task, s.Lost, s.Next, s.Took, s.From)
			}
			k.fail("%s", msg)
		}
	}
	if st.Samples < b.Min {
		k.fail("%d failovers measured, want at least %d: the faults hit fewer running tasks than expected", st.Samples, b.Min)
	}
	if st.Samples == 0 {
		return k.done("no attempt was lost and run again%s", boundText(b))
	}
	from := map[string]int{}
	for _, s := range st.Detail {
		from[s.From]++
	}
	var src []string
	for _, k := range []string{"fault", "witness", "declared"} {
		if from[k] > 0 {
			src = append(src, fmt.Sprintf("%d from the %s", from[k], k))
		}
	}
	return k.done("%d lost or fenced attempts ran again: p50 %v, p99 %v, max %v (%s)%s", st.Samples, st.P50, st.P99, st.Max,
		strings.Join(src, ", "), boundText(b))
}

func boundText(b FailoverBound) string {
	var parts []string
	for _, p := range []struct {
		n string
		d time.Duration
	}{{"p50", b.P50}, {"p99", b.P99}, {"max", b.Max}} {
		if p.d > 0 {
			parts = append(parts, fmt.Sprintf("%s ≤ %v", p.n, p.d))
		}
	}
	if b.Min > 0 {
		parts = append(parts, fmt.Sprintf("at least %d", b.Min))
	}
	if len(parts) == 0 {
		return ""
	}
	return "; want " + strings.Join(parts, ", ")
}

// tickMargin is how long before the schedules were paused a due time
// must be to be sure it had fired (the schedule loop fires a due time
// within a second; a server dying may add a little).
const tickMargin = 3 * time.Second

// checkTicks: "exactly-once ticks". Each due time of each schedule of the
// workload, while it ran, has exactly one run, or was recorded as missed
// or skipped by its catch-up or overlap policy; no due time has two runs.
func checkTicks(ev *evidence) (Check, bool) {
	k := newCheck("exactly-once-ticks")
	var parts []string
	var done []string
	for _, l := range ev.sc.Workload {
		wf := l.Definition.Name
		if slices.Contains(done, wf) {
			continue
		}
		done = append(done, wf)
		for _, s := range l.Definition.Schedules {
			if s.Paused {
				continue
			}
			parts = append(parts, checkSchedule(k, ev, wf, s.Name, schedule.Spec{Cron: s.Cron, Timezone: s.Timezone,
				Start: s.Start, End: s.End, Jitter: s.Jitter.Std()}))
		}
	}
	if len(parts) == 0 {
		return Check{}, false
	}
	return k.done("%s", strings.Join(parts, "; ")), true
}

func checkSchedule(k *checker, ev *evidence, wf, name string, spec schedule.Spec) string {
	id := wf + "/" + name
	sched, err := schedule.Parse(spec)
	if err != nil {
		k.fail("schedule %s: %v", id, err)
		return id + ": unreadable"
	}
	byDue := map[time.Time][]int64{}
	for _, r := range ev.runs {
		if r.Workflow == wf && r.CreatedBy == "schedule:"+id {
			due := r.ScheduledAt.UTC()
			byDue[due] = append(byDue[due], r.ID)
		}
	}
	skipped := map[string]bool{}
	aggregated := false
	for _, e := range ev.events {
		if (e.Kind == "schedule.missed" || e.Kind == "schedule.skipped") && strings.HasPrefix(e.Reason, "schedule "+id+":") {
			if e.NewState == "" {
				aggregated = true
			}
			skipped[e.NewState] = true
		}
	}
	for _, due := range slices.SortedFunc(maps.Keys(byDue), func(a, b time.Time) int { return a.Compare(b) }) {
		if ids := byDue[due]; len(ids) > 1 {
			k.fail("schedule %s: due time %s has %d runs: %v", id, due.Format(time.RFC3339), len(ids), ids)
		}
	}
	from, to := ev.appliedAt.Add(time.Second), ev.pausedAt.Add(-tickMargin-spec.Jitter)
	dues := sched.Between(from, to, 1_000_000)
	fired, recorded := 0, 0
	for _, due := range dues {
		switch {
		case len(byDue[due.UTC()]) > 0:
			fired++
		case skipped[due.UTC().Format(time.RFC3339)]:
			recorded++
		case !aggregated:
			k.fail("schedule %s: due time %s has no run and was not recorded as missed or skipped", id, due.UTC().Format(time.RFC3339))
		}
	}
	return fmt.Sprintf("%s: %d due times from %s to %s, %d fired once, %d recorded as missed or skipped", id, len(dues),
		from.Format(time.TimeOnly), to.Format(time.TimeOnly), fired, recorded)
}

// prioritySlack absorbs claims in flight when a higher-priority run was
// created.
const prioritySlack = 500 * time.Millisecond

// checkPriority: among the workload's runs, none started (its first
// attempt dispatched) while a run of higher priority, created before,
// still waited to start.
func checkPriority(ev *evidence) Check {
	k := newCheck("priority-order")
	type start struct {
		id       int64
		prio     int64
		created  time.Time
		dispatch time.Time
	}
	var starts []start
	for _, r := range ev.runs {
		if _, ok := ev.started[r.ID]; !ok {
			continue
		}
		var first time.Time
		for _, a := range r.Attempts {
			if first.IsZero() || a.DispatchedAt.Before(first) {
				first = a.DispatchedAt
			}
		}
		if !first.IsZero() {
			starts = append(starts, start{r.ID, r.Priority, r.CreatedAt, first})
		}
	}
	inversions := 0
	for _, lo := range starts {
		for _, hi := range starts {
			if hi.prio > lo.prio && hi.created.Before(lo.dispatch.Add(-prioritySlack)) && hi.dispatch.After(lo.dispatch.Add(prioritySlack)) {
				inversions++
				k.fail("run %d (priority %d) started %v before run %d (priority %d), which waited since %v earlier",
					lo.id, lo.prio, hi.dispatch.Sub(lo.dispatch).Round(msRound), hi.id, hi.prio,
					lo.dispatch.Sub(hi.created).Round(msRound))
			}
		}
	}
	return k.done("%d runs: %d started while a run of higher priority waited", len(starts), inversions)
}

// missingAlerts lists the events of subscribed kinds, recorded once the
// alert channel applied everywhere, that no alert received matches.
func missingAlerts(ev *evidence) []string {
	key := func(kind string, run int64, task, worker, zone, old, new, reason string) string {
		return strings.Join([]string{kind, fmt.Sprint(run), task, worker, zone, old, new, reason}, "|")
	}
	have := map[string]int{}
	for _, a := range ev.alerts {
		have[key(a.Kind, a.RunID, a.Task, a.WorkerID, a.Zone, a.OldState, a.NewState, a.Reason)]++
	}
	var missing []string
	for _, e := range ev.events {
		if e.At.Before(ev.alertsFrom) || !slices.ContainsFunc(ev.sc.Expect.Alerts, func(p string) bool { return matchKind(e.Kind, p) }) {
			continue
		}
		kk := key(e.Kind, e.RunID, e.Task, e.WorkerID, e.Zone, e.OldState, e.NewState, e.Reason)
		if have[kk] > 0 {
			have[kk]--
			continue
		}
		missing = append(missing, fmt.Sprintf("event %d %s (run %d, task %q, worker %q, zone %q) at %s was never alerted",
			e.ID, e.Kind, e.RunID, e.Task, e.WorkerID, e.Zone, e.At.Format(time.StampMilli)))
	}
	return missing
}

// checkAlerts: "no alert missing".
func checkAlerts(ev *evidence) Check {
	k := newCheck("alerts")
	for _, m := range missingAlerts(ev) {
		k.fail("%s", m)
	}
	subscribed := 0
	for _, e := range ev.events {
		if !e.At.Before(ev.alertsFrom) && slices.ContainsFunc(ev.sc.Expect.Alerts, func(p string) bool { return matchKind(e.Kind, p) }) {
			subscribed++
		}
	}
	return k.done("%d events of %s, %d alerts received", subscribed, strings.Join(ev.sc.Expect.Alerts, ", "), len(ev.alerts))
}
