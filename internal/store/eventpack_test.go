package store

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Events pack into rows of at most 1024, runs at most PackedRunSpan
// apart, one actor, and expand back to what was packed, each run's in
// their order.
func TestPackEventsRoundTrip(t *testing.T) {
	var es []NewEvent
	for i := range 2500 {
		es = append(es, NewEvent{Kind: "task.succeeded", Actor: "worker:w", RunID: 100 + int64(i%50), TaskID: int64(7 * i),
			Task: fmt.Sprintf("t%d", i%3), AttemptID: int64(i), WorkerID: "w", OldState: TaskRunning, NewState: TaskSucceeded,
			Reason: fmt.Sprintf("r%d \"\x1e", i%7), Zone: "z"})
	}
	es = append(es,
		NewEvent{Kind: "task.succeeded", Actor: "worker:w", RunID: 100 + PackedRunSpan + 1},      // too far: a row of its own
		NewEvent{Kind: "attempt.lost", Actor: "worker:w", RunID: 100, AttemptID: 3},              // not packed
		NewEvent{Kind: "run.succeeded", Actor: "user:a", RunID: 100},                             // another actor, alone
		NewEvent{Kind: "run.succeeded", Actor: "user:a", RunID: 0, Reason: "no run, not packed"}, // no run
	)
	rows := PackEvents(es)
	if len(rows) != 3+4 {
		t.Fatalf("%d rows, want 3 packed of 1024, 1024 and 452 events and 4 of their own", len(rows))
	}
	var got []NewEvent
	for i, r := range rows {
		er := EventRow{Event: Event{ID: int64(i + 1), At: 5, Kind: r.Kind, Actor: r.Actor, RunID: r.RunID, TaskID: r.TaskID,
			Task: r.Task, AttemptID: r.AttemptID, WorkerID: r.WorkerID, OldState: r.OldState, NewState: r.NewState,
			Reason: r.Reason, Zone: r.Zone}, RunHi: r.RunHi, Packed: r.Packed}
		evs, err := er.Expand()
		if err != nil {
			t.Fatal(err)
		}
		for j, e := range evs {
			if e.ID != EventID(int64(i+1), j) || e.At != 5 {
				t.Errorf("row %d event %d: id %d at %d", i+1, j, e.ID, e.At)
			}
			got = append(got, NewEvent{Kind: e.Kind, Actor: e.Actor, RunID: e.RunID, TaskID: e.TaskID, Task: e.Task,
				AttemptID: e.AttemptID, WorkerID: e.WorkerID, OldState: e.OldState, NewState: e.NewState, Reason: e.Reason, Zone: e.Zone})
		}
	}
	if diff := cmp.Diff(byRun(es), byRun(got)); diff != "" {
		t.Errorf("expanded, by run (-packed +got):\n%s", diff)
	}
	bad := EventRow{Event: Event{ID: 1, Kind: PackedKind}, RunHi: 2, Packed: `{"s":[],"e":[1,0,0,0,0,0,0,0,0,0]}`}
	if _, err := bad.Expand(); err == nil {
		t.Error("a packed row naming a string it lacks expanded without an error")
	}
}

// byRun is the events of each run (run 0: those of none), in order.
func byRun(es []NewEvent) map[int64][]NewEvent {
	out := map[int64][]NewEvent{}
	for _, e := range es {
		out[e.RunID] = append(out[e.RunID], e)
	}
	return out
}

// The events of runs of interleaved start requests, as a claim or a
// report of a busy server names them, share a few rows; each run's keep
// their order, also around an event of its own row.
func TestPackEventsInterleavedRuns(t *testing.T) {
	var es []NewEvent
	for i := range 100 {
		// Four requests' runs, 1000 apart, taken in turn.
		run := int64(1000*(i%4) + i/4 + 1)
		es = append(es,
			NewEvent{Kind: "task.succeeded", Actor: "worker:w", RunID: run, TaskID: 10 * run, Reason: fmt.Sprint(i)},
			NewEvent{Kind: "attempt.succeeded", Actor: "worker:w", RunID: run, TaskID: 10 * run, AttemptID: 20 * run})
	}
	for i := range 100 {
		es = append(es, NewEvent{Kind: "run.succeeded", Actor: "worker:w", RunID: int64(1000*(i%4) + i/4 + 1)})
	}
	// An event of its own row, then one more packed event of its run.
	es = append(es, NewEvent{Kind: "attempt.lost", Actor: "worker:w", RunID: 5, AttemptID: 1},
		NewEvent{Kind: "task.queued", Actor: "worker:w", RunID: 5, TaskID: 50})
	rows := PackEvents(es)
	// One row for each request's runs, the lost attempt's, and the last
	// event of run 5, alone.
	if len(rows) != 4+1+1 {
		t.Errorf("%d rows, want 6", len(rows))
	}
	var got []NewEvent
	for i, r := range rows {
		if r.Kind == PackedKind && r.RunHi-r.RunID > PackedRunSpan {
			t.Errorf("row %d spans runs %d to %d", i, r.RunID, r.RunHi)
		}
		evs, err := EventRow{Event: Event{ID: int64(i + 1), Kind: r.Kind, Actor: r.Actor, RunID: r.RunID,
			TaskID: r.TaskID, AttemptID: r.AttemptID, Reason: r.Reason}, RunHi: r.RunHi, Packed: r.Packed}.Expand()
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			got = append(got, NewEvent{Kind: e.Kind, Actor: e.Actor, RunID: e.RunID, TaskID: e.TaskID,
				AttemptID: e.AttemptID, Reason: e.Reason})
		}
	}
	if diff := cmp.Diff(byRun(es), byRun(got)); diff != "" {
		t.Errorf("expanded, by run (-packed +got):\n%s", diff)
	}
}

// The packed column is written by hand; it is the JSON encoding/json
// gives, whatever the strings hold.
func TestEncodePackedIsJSON(t *testing.T) {
	es := []NewEvent{
		{Kind: "task.failed", RunID: 9, TaskID: 3, Task: "load", AttemptID: 4, Reason: `exit 1: "x" \ <b> & y`},
		{Kind: "task.failed", RunID: 7, TaskID: 2, Task: "zoë", AttemptID: 1, Reason: "tab\there, bad \xff, line\u2028"},
		{Kind: "attempt.succeeded", RunID: 8, TaskID: -5, AttemptID: 2, WorkerID: "w-1", Zone: "z"},
		{Kind: "task.failed", RunID: 8, TaskID: 6, AttemptID: 3, Reason: "a<b>&c"},
	}
	got, _ := encodePacked(nil, es, []int32{0, 1, 2, 3}, 7)
	p := packedEvents{}
	var task, attempt int64
	index := map[string]int64{}
	str := func(s string) int64 {
		if s == "" {
			return 0
		}
		if index[s] == 0 {
			p.S = append(p.S, s)
			index[s] = int64(len(p.S))
		}
		return index[s]
	}
	for _, e := range es {
		p.E = append(p.E, str(e.Kind), e.RunID-7, e.TaskID-task, str(e.Task), e.AttemptID-attempt,
			str(e.WorkerID), str(e.OldState), str(e.NewState), str(e.Reason), str(e.Zone))
		task, attempt = e.TaskID, e.AttemptID
	}
	want, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("packed\n got %s\nwant %s", got, want)
	}
}
