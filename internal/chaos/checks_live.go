package chaos

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/baton-sched/baton/client/vocab"
)

// LivenessStats say how work kept moving: the longest stall (a task
// waiting, capacity free for it, and no attempt starting anywhere) and
// the waits from queued to running.
type LivenessStats struct {
	Waits   int    `json:"waits"`
	P50Wait Millis `json:"p50_wait_ms"`
	P99Wait Millis `json:"p99_wait_ms"`
	MaxWait Millis `json:"max_wait_ms"`
	MaxGap  Millis `json:"max_gap_ms"`
	// GapFrom is when the longest stall began, from the start of the
	// timeline.
	GapFrom Millis `json:"gap_from_ms"`
}

// wait is one task waiting to start: from when it was queued (its run
// started or resumed, its upstream done, its retry due) to when its
// attempt was dispatched and began running.
type wait struct {
	from, dispatched, running time.Time
	cu                        float64
}

// waits lists every attempt's wait. A task is queued at the latest of
// its run's run.running events (start, resume, rerun) and its own
// task.queued events before its attempt was dispatched.
func waits(ev *evidence) []wait {
	type key struct {
		run  int64
		task string
	}
	queued := map[key][]time.Time{}
	runStarts := map[int64][]time.Time{}
	for _, e := range ev.events {
		switch e.Kind {
		case "task.queued":
			k := key{e.RunID, e.Task}
			queued[k] = append(queued[k], e.At)
		case "run.running":
			runStarts[e.RunID] = append(runStarts[e.RunID], e.At)
		}
	}
	var out []wait
	for _, r := range ev.runs {
		for task, as := range r.tasks() {
			t, _ := r.task(task)
			marks := append(slices.Clone(runStarts[r.ID]), queued[key{r.ID, task}]...)
			for _, a := range as {
				var from time.Time
				for _, m := range marks {
					if !m.After(a.DispatchedAt) && m.After(from) {
						from = m
					}
				}
				if from.IsZero() {
					continue
				}
				out = append(out, wait{from: from, dispatched: a.DispatchedAt, running: cmp.Or(a.StartedAt, a.DispatchedAt),
					cu: t.CU})
			}
		}
	}
	return out
}

// capacityAt is the CU of the workers that could take work at t: not cut
// off by a fault, not cordoned or drained.
func capacityAt(ev *evidence, t time.Time) float64 {
	total := 0.0
	for _, w := range ev.sc.WorkerSpecs() {
		if !during(ev.cuts[w.Name], t) && !during(ev.unavailable[w.Name], t) {
			total += w.Capacity
		}
	}
	return total
}

// during reports whether t falls in one of the cuts.
func during(cs []cut, t time.Time) bool {
	for _, c := range cs {
		if !t.Before(c.From) && (c.To.IsZero() || t.Before(c.To)) {
			return true
		}
	}
	return false
}

// liveness measures the waits and the longest stall. Between any two
// moments where something changes (a task queued, an attempt dispatched
// or ended, a worker cut off or back) the state is constant; a stall is
// a stretch of such intervals in which a task waits whose CU fits in the
// free capacity, ended by the next dispatch.
func liveness(ev *evidence) LivenessStats {
	ws := waits(ev)
	var st LivenessStats
	if len(ws) == 0 {
		return st
	}
	durs := make([]time.Duration, len(ws))
	for i, w := range ws {
		durs[i] = max(0, w.running.Sub(w.from))
	}
	slices.Sort(durs)
	pct := func(q float64) Millis {
		i := int(math.Ceil(q*float64(len(durs)))) - 1
		return Millis(durs[min(max(i, 0), len(durs)-1)])
	}
	st.Waits, st.P50Wait, st.P99Wait, st.MaxWait = len(ws), pct(0.5), pct(0.99), Millis(durs[len(durs)-1])

	// A sweep over the moments where something changes: a task starts
	// or stops waiting, an attempt starts or ends, a worker is cut off or
	// back. Between two of them the state is constant.
	type change struct {
		at       time.Time
		waiting  int     // +1 a task starts waiting, -1 it is dispatched
		used     float64 // CU taken (+) or freed (-)
		cu       float64 // the waiting task's CU
		dispatch bool
	}
	var changes []change
	for _, r := range ev.runs {
		for _, a := range r.Attempts {
			t, _ := r.task(a.Task)
			end := a.FinishedAt
			if end.IsZero() {
				end = ev.pausedAt
			}
			changes = append(changes, change{at: a.DispatchedAt, used: t.CU, dispatch: true}, change{at: end, used: -t.CU})
		}
	}
	for _, w := range ws {
		changes = append(changes, change{at: w.from, waiting: 1, cu: w.cu}, change{at: w.dispatched, waiting: -1, cu: w.cu})
	}
	for _, group := range []map[string][]cut{ev.cuts, ev.unavailable} {
		for _, cs := range group {
			for _, c := range cs {
				changes = append(changes, change{at: c.From})
				if !c.To.IsZero() {
					changes = append(changes, change{at: c.To})
				}
			}
		}
	}
	slices.SortStableFunc(changes, func(a, b change) int { return a.at.Compare(b.at) })
	waitingByCU := map[float64]int{}
	used := 0.0
	var gapFrom time.Time
	for i := 0; i < len(changes); {
		t := changes[i].at
		dispatched := false
		for ; i < len(changes) && changes[i].at.Equal(t); i++ {
			c := changes[i]
			used += c.used
			dispatched = dispatched || c.dispatch
			if c.waiting != 0 {
				if waitingByCU[c.cu] += c.waiting; waitingByCU[c.cu] <= 0 {
					delete(waitingByCU, c.cu)
				}
			}
		}
		if i == len(changes) {
			break
		}
		if dispatched {
			gapFrom = time.Time{}
		}
		free := capacityAt(ev, t) - used
		stalled := false
		for cu := range waitingByCU {
			if cu <= free+1e-9 {
				stalled = true
				break
			}
		}
		if !stalled {
			gapFrom = time.Time{}
			continue
		}
		if gapFrom.IsZero() {
			gapFrom = t
		}
		if g := changes[i].at.Sub(gapFrom); Millis(g) > st.MaxGap {
			st.MaxGap, st.GapFrom = Millis(g), Millis(gapFrom.Sub(ev.t0))
		}
	}
	return st
}

// checkLiveness: work kept moving. The longest stall and the p99 wait
// from queued to running within the bounds of Expect.Liveness.
func checkLiveness(ev *evidence, st LivenessStats) Check {
	k := newCheck("liveness")
	b := ev.sc.Expect.Liveness
	if b.MaxGap > 0 && time.Duration(st.MaxGap) > b.MaxGap {
		k.fail("for %v from +%v a task waited with capacity free for it and nothing started (bound %v)", st.MaxGap, st.GapFrom, b.MaxGap)
	}
	if b.P99Wait > 0 && time.Duration(st.P99Wait) > b.P99Wait {
		k.fail("p99 wait from queued to running %v exceeds the bound %v", st.P99Wait, b.P99Wait)
	}
	want := ""
	if b.MaxGap > 0 || b.P99Wait > 0 {
		want = "; want"
		if b.MaxGap > 0 {
			want += fmt.Sprintf(" longest stall ≤ %v", b.MaxGap)
		}
		if b.P99Wait > 0 {
			want += fmt.Sprintf(" p99 wait ≤ %v", b.P99Wait)
		}
	}
	return k.done("%d waits from queued to running: p50 %v, p99 %v, max %v; longest stall %v (from +%v)%s",
		st.Waits, st.P50Wait, st.P99Wait, st.MaxWait, st.MaxGap, st.GapFrom, want)
}

// limitSlack absorbs the time between the harness's setting a slot size
// and the servers' committing it.
const limitSlack = 500 * time.Millisecond

// slotSize is the size of a slot at t: the last size set before, or the
// largest of those set within limitSlack of t; ok false if it was not
// known then.
func slotSize(ev *evidence, slot string, t time.Time) (int64, bool) {
	size, ok := int64(0), false
	var last *slotSet
	for i, s := range ev.slotSets {
		if s.Slot != slot {
			continue
		}
		if !s.At.After(t) {
			last = &ev.slotSets[i]
		}
		if abs(s.At.Sub(t)) <= limitSlack {
			size, ok = max(size, s.Size), true
		}
	}
	if last != nil {
		size, ok = max(size, last.Size), true
	}
	if ok {
		return size, true
	}
	// Not set by the timeline: its size now, if it never changed.
	for _, s := range ev.slots {
		if s.Name == slot {
			return s.Size, true
		}
	}
	return 0, false
}

// checkLimits: no slot ran more tasks than its size (counted at each
// start; shrinking a slot stops nothing that runs) and no workflow had
// more runs active than its max_active_runs.
func checkLimits(ev *evidence) Check {
	k := newCheck("limits")
	type live struct {
		slot     string
		from, to time.Time
		attempt  int64
	}
	var attempts []live
	for _, r := range ev.runs {
		for _, a := range r.Attempts {
			t, _ := r.task(a.Task)
			if t.Slot == "" {
				continue
			}
			end := a.FinishedAt
			if end.IsZero() {
				end = time.Now()
			}
			attempts = append(attempts, live{t.Slot, a.DispatchedAt, end, a.ID})
		}
	}
	starts, peak := 0, map[string]int64{}
	for _, a := range attempts {
		size, ok := slotSize(ev, a.slot, a.from)
		if !ok {
			k.fail("attempt %d took a place in slot %s, which did not exist", a.attempt, a.slot)
			continue
		}
		starts++
		var n int64
		for _, b := range attempts {
			if b.slot == a.slot && !a.from.Before(b.from) && a.from.Before(b.to) {
				n++
			}
		}
		peak[a.slot] = max(peak[a.slot], n)
		if n > size {
			k.fail("slot %s: attempt %d started as the %s running task, but the slot's size was %d", a.slot, a.attempt, ordinal(n), size)
		}
	}
	limits := map[string]int{}
	for _, l := range ev.sc.Workload {
		if l.Definition.MaxActiveRuns > 0 {
			limits[l.Definition.Name] = l.Definition.MaxActiveRuns
		}
	}
	workflowOf := map[int64]string{}
	for _, r := range ev.runs {
		workflowOf[r.ID] = r.Workflow
	}
	// Events of one transaction share their time: a start beyond the
	// limit records run.running, then run.queued. Count after each.
	active := map[string]map[int64]bool{}
	most := map[string]int{}
	for i := 0; i < len(ev.events); {
		at := ev.events[i].At
		started := map[string][]int64{}
		for ; i < len(ev.events) && ev.events[i].At.Equal(at); i++ {
			e := ev.events[i]
			wf := workflowOf[e.RunID]
			if _, ok := limits[wf]; !ok {
				continue
			}
			if active[wf] == nil {
				active[wf] = map[int64]bool{}
			}
			switch e.Kind {
			case "run.running":
				if e.OldState != vocab.RunPaused {
					active[wf][e.RunID] = true
					started[wf] = append(started[wf], e.RunID)
				}
			case "run.queued", "run.succeeded", "run.failed", "run.cancelled":
				delete(active[wf], e.RunID)
			}
		}
		for wf, ids := range started {
			most[wf] = max(most[wf], len(active[wf]))
			if len(active[wf]) > limits[wf] {
				k.fail("workflow %s: run(s) %v started at %s with %d runs active, more than max_active_runs %d", wf, ids,
					at.Format(time.StampMilli), len(active[wf]), limits[wf])
			}
		}
	}
	var parts []string
	for _, slot := range slices.Sorted(maps.Keys(peak)) {
		parts = append(parts, fmt.Sprintf("slot %s at most %d running", slot, peak[slot]))
	}
	for _, wf := range slices.Sorted(maps.Keys(limits)) {
		parts = append(parts, fmt.Sprintf("%s at most %d of %d runs active", wf, most[wf], limits[wf]))
	}
	if len(parts) == 0 {
		return k.done("no task took a slot and no workflow has max_active_runs")
	}
	return k.done("%d slot starts; %s", starts, strings.Join(parts, ", "))
}

func ordinal(n int64) string {
	switch {
	case n%10 == 1 && n%100 != 11:
		return fmt.Sprintf("%dst", n)
	case n%10 == 2 && n%100 != 12:
		return fmt.Sprintf("%dnd", n)
	case n%10 == 3 && n%100 != 13:
		return fmt.Sprintf("%drd", n)
	}
	return fmt.Sprintf("%dth", n)
}
