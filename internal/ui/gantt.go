package ui

import (
	"cmp"
	"fmt"
	"html/template"
	"slices"
	"strings"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/client/vocab"
)

const (
	ganttW      = 1000 // chart width in SVG units; the SVG scales to its box
	ganttLabelW = 190
	laneH       = 26
)

// Gantt draws a run's attempts as bars, one lane per zone and worker, so
// that an attempt lost with its worker and its replacement in another
// zone read at a glance: a dashed line joins each lost attempt to the
// attempt that replaced it. names maps worker IDs to names; unfinished
// attempts end at now.
func Gantt(attempts []client.Attempt, names map[string]string, now time.Time) template.HTML {
	if len(attempts) == 0 {
		return template.HTML(`<p class="muted">No attempts yet.</p>`)
	}
	type lane struct{ zone, worker string }
	var lanes []lane
	laneOf := map[lane]int{}
	start, end := attempts[0].DispatchedAt, attempts[0].DispatchedAt
	for _, a := range attempts {
		l := lane{a.Zone, a.WorkerID}
		if _, ok := laneOf[l]; !ok {
			laneOf[l] = 0
			lanes = append(lanes, l)
		}
		start = minTime(start, a.DispatchedAt)
		end = maxTime(end, finish(a, now))
	}
	slices.SortFunc(lanes, func(a, b lane) int { return cmp.Or(cmp.Compare(a.zone, b.zone), cmp.Compare(a.worker, b.worker)) })
	for i, l := range lanes {
		laneOf[l] = i
	}
	span := end.Sub(start)
	if span <= 0 {
		span = time.Second
	}
	plotW := float64(ganttW - ganttLabelW - 10)
	xOf := func(t time.Time) float64 {
		return float64(ganttLabelW) + plotW*float64(t.Sub(start))/float64(span)
	}
	// Attempts that overlap on one worker take rows of its lane: each
	// goes to the first row free at its start.
	type pos struct{ x1, x2, y float64 }
	at := make(map[int64]pos, len(attempts))
	rowOf := make(map[int64]int, len(attempts))
	rowsEnd := make([][]float64, len(lanes)) // per lane, per row: where its last bar ends
	order := slices.Clone(attempts)
	slices.SortStableFunc(order, func(a, b client.Attempt) int { return a.DispatchedAt.Compare(b.DispatchedAt) })
	for _, a := range order {
		li := laneOf[lane{a.Zone, a.WorkerID}]
		x1 := xOf(a.DispatchedAt)
		x2 := max(xOf(finish(a, now)), x1+3)
		row := slices.IndexFunc(rowsEnd[li], func(end float64) bool { return end <= x1+0.5 })
		if row < 0 {
			row = len(rowsEnd[li])
			rowsEnd[li] = append(rowsEnd[li], 0)
		}
		rowsEnd[li][row] = x2
		rowOf[a.ID] = row
		at[a.ID] = pos{x1: x1, x2: x2}
	}
	laneY := make([]int, len(lanes)+1)
	for i := range lanes {
		laneY[i+1] = laneY[i] + max(1, len(rowsEnd[i]))*laneH
	}
	height := laneY[len(lanes)] + 24
	esc := template.HTMLEscapeString
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="gantt" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" preserveAspectRatio="xMinYMin meet" role="img" aria-label="attempts by zone and worker">`, ganttW, height)
	for i, l := range lanes {
		y := laneY[i]
		fmt.Fprintf(&b, `<g class="lane" data-zone="%s" data-worker="%s"><rect class="lane-bg" x="0" y="%d" width="%d" height="%d"/>`,
			esc(l.zone), esc(l.worker), y, ganttW, laneY[i+1]-y)
		name := names[l.worker]
		if name == "" {
			name = shortID(l.worker)
		}
		fmt.Fprintf(&b, `<text x="4" y="%d">zone %s · %s</text></g>`, y+17, esc(truncate(l.zone, 8)), esc(truncate(name, 16)))
	}
	for _, a := range attempts {
		p := at[a.ID]
		p.y = float64(laneY[laneOf[lane{a.Zone, a.WorkerID}]] + rowOf[a.ID]*laneH + 3)
		at[a.ID] = p
		x1, x2, y := p.x1, p.x2, p.y
		fmt.Fprintf(&b, `<g class="bar s-%s" data-attempt="%d" data-state="%s" data-zone="%s"><rect x="%.1f" y="%.1f" width="%.1f" height="%d" rx="3"/>`,
			stateClass(a.State), a.ID, esc(a.State), esc(a.Zone), x1, y, x2-x1, laneH-6)
		fmt.Fprintf(&b, `<title>%s #%d: %s on %s (zone %s), %s%s</title>`, esc(a.Task), a.Number, esc(a.State),
			esc(cmpOr(names[a.WorkerID], shortID(a.WorkerID))), esc(a.Zone), esc(finish(a, now).Sub(a.DispatchedAt).Round(time.Millisecond).String()),
			esc(reasonSuffix(a.Reason)))
		if x2-x1 > 40 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f">%s %s</text>`, x1+4, y+14, esc(stateIcon(a.State)), esc(truncate(a.Task, int((x2-x1)/7))))
		}
		b.WriteString(`</g>`)
	}
	// A lost attempt links to the next attempt of its task.
	for i, a := range attempts {
		if a.State != vocab.AttemptLost {
			continue
		}
		for _, r := range attempts[i+1:] {
			if r.TaskID == a.TaskID && r.Number > a.Number {
				f, t := at[a.ID], at[r.ID]
				fmt.Fprintf(&b, `<path class="failover" d="M%.1f %.1f L%.1f %.1f"><title>%s: lost in zone %s, replaced in zone %s after %s</title></path>`,
					f.x2, f.y+float64(laneH-6)/2, t.x1, t.y+float64(laneH-6)/2, esc(a.Task), esc(a.Zone), esc(r.Zone),
					esc(r.DispatchedAt.Sub(a.FinishedAt).Round(time.Millisecond).String()))
				break
			}
		}
	}
	fmt.Fprintf(&b, `<text class="axis" x="%d" y="%d">%s</text>`, ganttLabelW, height-6, esc(start.UTC().Format("15:04:05")))
	fmt.Fprintf(&b, `<text class="axis" x="%d" y="%d" text-anchor="end">+%s</text>`, ganttW-10, height-6, esc(span.Round(time.Millisecond).String()))
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func finish(a client.Attempt, now time.Time) time.Time {
	if !a.FinishedAt.IsZero() {
		return a.FinishedAt
	}
	return maxTime(now, a.DispatchedAt)
}

func reasonSuffix(r string) string {
	if r == "" {
		return ""
	}
	return " (" + r + ")"
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
