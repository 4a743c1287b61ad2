package store

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/baton-sched/baton/client/vocab"
)

// The audit trail of runs is most of what Baton writes: five events a
// one-task run. So the run, task and attempt events that one transaction
// records under one actor are stored in one row of the events table, a
// packed row, whose packed column holds them compactly; every other event
// keeps a row of its own. Reading expands packed rows into the same events
// a row each would give, with IDs that keep their order: row ID * 1024 +
// the event's place in its row (0 for a row of its own).

const (
	// PackedKind is the kind of a packed row, never of an event.
	PackedKind = "events.packed"
	// PackedRunSpan bounds the runs of one packed row: its last run
	// (run_hi) is at most this far above its first (run_id), so that a
	// run's packed rows are found among those whose run_id is at most
	// this far below it.
	PackedRunSpan = 128
	// eventIDBits: a packed row holds at most 1 << eventIDBits events.
	eventIDBits = 10
	maxPacked   = 1 << eventIDBits
)

// packedKinds are the kinds a packed row may hold: the transitions of
// runs, tasks and attempts on their way through the queue. Others, which
// are rare and some read by kind (attempt.lost on the overview), keep a
// row each and their place in the kind index.
var packedKinds = func() map[string]bool {
	m := map[string]bool{}
	for _, s := range vocab.RunStates {
		m["run."+s] = true
	}
	for _, s := range vocab.TaskStates {
		m["task."+s] = true
	}
	for _, s := range []string{vocab.AttemptRunning, vocab.AttemptSucceeded, vocab.AttemptFailed, vocab.AttemptCancelled} {
		m["attempt."+s] = true
	}
	return m
}()

// Packable says whether events of the kind are stored in packed rows.
func Packable(kind string) bool { return packedKinds[kind] }

// EventID is the ID of the event at place i of the row with ID rowID.
func EventID(rowID int64, i int) int64 { return rowID<<eventIDBits | int64(i) }

// NewEventRow is a row of the events table to insert: an event, or a
// packed row (Kind PackedKind) with RunHi and Packed set.
type NewEventRow struct {
	NewEvent
	RunHi  int64
	Packed string
}

// EventRow is a row of the events table as stored.
type EventRow struct {
	Event
	RunHi  int64
	Packed string
}

// packedEvents is the encoding of a packed row: S are the row's distinct
// strings; E holds 10 numbers an event: kind, run (above the row's
// run_id), task ID and attempt ID (each the difference to the previous
// event's), task, worker, old state, new state, reason, zone. A string is
// 0 when empty, else its place in S plus one.
type packedEvents struct {
	S []string `json:"s"`
	E []int64  `json:"e"`
}

const packedFields = 10

// maxOpenGroups bounds the packed rows PackEvents fills at once.
const maxOpenGroups = 16

// PackEvents turns the events of one transaction into the rows to store.
// Packable events with one actor whose runs are at most PackedRunSpan
// apart share a row, though other events come between them (a claim or a
// report names runs of several start requests, whose IDs interleave);
// a group of one stays a row of its own, as does every other event. The
// events of each run keep their order: a run's events are in one row
// being filled at a time, and that row is written before any later event
// of the run that cannot join it. Rows come in the order their first
// events came, so events of different runs in one transaction may read
// in another order than they were given.
func PackEvents(es []NewEvent) []NewEventRow {
	var out []NewEventRow // most events pack: far fewer rows than events
	type group struct {
		events []int32 // places in es
		lo, hi int64
	}
	var open []*group                        // rows being filled, oldest first
	byRun := make(map[int64]*group, len(es)) // the open row holding a run's events
	var buf []byte                           // encodes the packed rows, one after the other
	emit := func(g *group) {                 // writes an open row and closes it
		for i, o := range open {
			if o == g {
				open = slices.Delete(open, i, i+1)
				break
			}
		}
		for _, i := range g.events {
			if run := es[i].RunID; byRun[run] == g {
				delete(byRun, run)
			}
		}
		first := es[g.events[0]]
		if len(g.events) == 1 {
			out = append(out, NewEventRow{NewEvent: first})
			return
		}
		var packed string
		packed, buf = encodePacked(buf[:0], es, g.events, g.lo)
		out = append(out, NewEventRow{NewEvent: NewEvent{Kind: PackedKind, Actor: first.Actor, RunID: g.lo},
			RunHi: g.hi, Packed: packed})
	}
	for i, e := range es {
		if e.RunID <= 0 || !Packable(e.Kind) {
			// A row of its own, after the run's events before it.
			if g := byRun[e.RunID]; e.RunID > 0 && g != nil {
				emit(g)
			}
			out = append(out, NewEventRow{NewEvent: e})
			continue
		}
		g := byRun[e.RunID]
		if g != nil && (es[g.events[0]].Actor != e.Actor || len(g.events) >= maxPacked) {
			emit(g)
			g = nil
		}
		if g == nil {
			for _, o := range open {
				if es[o.events[0]].Actor == e.Actor && len(o.events) < maxPacked &&
					max(o.hi, e.RunID)-min(o.lo, e.RunID) <= PackedRunSpan {
					g = o
					break
				}
			}
		}
		if g == nil {
			if len(open) == maxOpenGroups {
				emit(open[0])
			}
			g = &group{lo: e.RunID, hi: e.RunID}
			open = append(open, g)
		}
		g.events = append(g.events, int32(i))
		g.lo, g.hi = min(g.lo, e.RunID), max(g.hi, e.RunID)
		byRun[e.RunID] = g
	}
	for len(open) > 0 {
		emit(open[0])
	}
	return out
}

// encodePacked appends the packed row of the events at places idx of es
// to buf as the JSON of packedEvents, and returns it as a string and the
// buffer for the next row. Written by hand, without reflection: it runs
// for every claim and report.
func encodePacked(buf []byte, es []NewEvent, idx []int32, lo int64) (string, []byte) {
	var strs []string
	index := make(map[string]int64, 8)
	nums := make([]int64, 0, packedFields*len(idx))
	str := func(s string) int64 {
		if s == "" {
			return 0
		}
		if n, ok := index[s]; ok {
			return n
		}
		strs = append(strs, s)
		index[s] = int64(len(strs))
		return index[s]
	}
	var task, attempt int64
	for _, i := range idx {
		e := &es[i]
		nums = append(nums, str(e.Kind), e.RunID-lo, e.TaskID-task, str(e.Task), e.AttemptID-attempt,
			str(e.WorkerID), str(e.OldState), str(e.NewState), str(e.Reason), str(e.Zone))
		task, attempt = e.TaskID, e.AttemptID
	}
	buf = append(buf, `{"s":[`...)
	for i, s := range strs {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendJSONString(buf, s)
	}
	buf = append(buf, `],"e":[`...)
	for i, n := range nums {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = strconv.AppendInt(buf, n, 10)
	}
	buf = append(buf, "]}"...)
	return string(buf), buf
}

// appendJSONString appends s as a JSON string: printable ASCII as it is,
// anything else through encoding/json (names and states are ASCII; a
// reason may not be).
func appendJSONString(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s) // a string always marshals
			return append(buf, b...)
		}
	}
	buf = append(buf, '"')
	buf = append(buf, s...)
	return append(buf, '"')
}

// Expand returns the events of a row, oldest first.
func (r EventRow) Expand() ([]Event, error) {
	if r.RunHi == 0 || r.Kind != PackedKind {
		e := r.Event
		e.ID = EventID(r.ID, 0)
		return []Event{e}, nil
	}
	var p packedEvents
	if err := json.NewDecoder(strings.NewReader(r.Packed)).Decode(&p); err != nil {
		return nil, fmt.Errorf("packed events row %d: %w", r.ID, err)
	}
	if len(p.E)%packedFields != 0 {
		return nil, fmt.Errorf("packed events row %d: %d numbers, not events of %d", r.ID, len(p.E), packedFields)
	}
	str := func(n int64) (string, error) {
		if n < 0 || n > int64(len(p.S)) {
			return "", fmt.Errorf("packed events row %d: string %d of %d", r.ID, n, len(p.S))
		}
		if n == 0 {
			return "", nil
		}
		return p.S[n-1], nil
	}
	out := make([]Event, 0, len(p.E)/packedFields)
	var task, attempt int64
	for i := 0; i < len(p.E); i += packedFields {
		f := p.E[i : i+packedFields]
		task, attempt = task+f[2], attempt+f[4]
		e := Event{ID: EventID(r.ID, i/packedFields), At: r.At, Actor: r.Actor, RunID: r.RunID + f[1],
			TaskID: task, AttemptID: attempt}
		for _, s := range []struct {
			dst *string
			n   int64
		}{{&e.Kind, f[0]}, {&e.Task, f[3]}, {&e.WorkerID, f[5]}, {&e.OldState, f[6]}, {&e.NewState, f[7]},
			{&e.Reason, f[8]}, {&e.Zone, f[9]}} {
			var err error
			if *s.dst, err = str(s.n); err != nil {
				return nil, err
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// EventRows reads rows of the events table in ID order (descending when
// newest), with afterRow < ID < beforeRow, at most limit.
type EventRows func(ctx context.Context, afterRow, beforeRow, limit int64) ([]EventRow, error)

// CollectEvents lists the events f selects from the rows the sources
// read, which together hold every row that may hold one: each source is
// read page by page until it gave f.Limit matching events or ran out, and
// the events of all are merged in ID order.
func CollectEvents(ctx context.Context, f EventFilter, sources ...EventRows) ([]Event, error) {
	newest := f.Newest || f.BeforeID != 0
	var all []Event
	for _, src := range sources {
		evs, err := collectEvents(ctx, f, newest, src)
		if err != nil {
			return nil, err
		}
		all = append(all, evs...)
	}
	if len(sources) > 1 {
		slices.SortFunc(all, func(a, b Event) int {
			if newest {
				a, b = b, a
			}
			switch {
			case a.ID < b.ID:
				return -1
			case a.ID > b.ID:
				return 1
			}
			return 0
		})
	}
	if int64(len(all)) > f.Limit {
		all = all[:f.Limit]
	}
	return all, nil
}

func collectEvents(ctx context.Context, f EventFilter, newest bool, src EventRows) ([]Event, error) {
	afterRow, beforeRow := int64(-1), int64(math.MaxInt64)
	if f.AfterID > 0 {
		afterRow = f.AfterID>>eventIDBits - 1
	}
	if f.BeforeID > 0 {
		beforeRow = (f.BeforeID-1)>>eventIDBits + 1
	}
	var out []Event
	for int64(len(out)) < f.Limit {
		rows, err := src(ctx, afterRow, beforeRow, f.Limit)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			evs, err := r.Expand()
			if err != nil {
				return nil, err
			}
			if newest {
				slices.Reverse(evs)
			}
			for _, e := range evs {
				if eventMatches(f, e) && int64(len(out)) < f.Limit {
					out = append(out, e)
				}
			}
		}
		if int64(len(rows)) < f.Limit {
			break
		}
		if last := rows[len(rows)-1].ID; newest {
			beforeRow = last
		} else {
			afterRow = last
		}
	}
	return out, nil
}

// eventMatches checks an expanded event against the filter; the time and
// the actor are those of its row, which the query checked.
func eventMatches(f EventFilter, e Event) bool {
	return (f.RunID == 0 || e.RunID == f.RunID) && (f.Kind == "" || e.Kind == f.Kind) &&
		(f.AfterID <= 0 || e.ID > f.AfterID) && (f.BeforeID <= 0 || e.ID < f.BeforeID) &&
		(f.Actor == "" || e.Actor == f.Actor)
}
