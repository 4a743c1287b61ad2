package storetest

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/baton-sched/baton/internal/store"
)

// The run, task and attempt events of one transaction share packed rows;
// they read as events of their own, in order, by every filter and page.
func TestEventsPacked(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		const run = 5000
		var news []store.NewEvent
		add := func(e store.NewEvent) { e.Reason = fmt.Sprintf("e%d", len(news)+1); news = append(news, e) }
		// One transaction: three runs' events, an event of another kind
		// and one of another actor in the middle, and a run too far away.
		add(store.NewEvent{Kind: "run.running", Actor: "user:a", RunID: run, NewState: store.RunRunning})
		add(store.NewEvent{Kind: "task.queued", Actor: "user:a", RunID: run, TaskID: 11, Task: "t", NewState: store.TaskQueued})
		add(store.NewEvent{Kind: "run.running", Actor: "user:a", RunID: run + 1, NewState: store.RunRunning})
		add(store.NewEvent{Kind: "attempt.lost", Actor: "user:a", RunID: run, AttemptID: 7, WorkerID: "w1", Zone: "z"})
		add(store.NewEvent{Kind: "task.running", Actor: "worker:w1", RunID: run, TaskID: 11, Task: "t", AttemptID: 8,
			WorkerID: "w1", Zone: "z", OldState: store.TaskQueued, NewState: store.TaskRunning})
		add(store.NewEvent{Kind: "task.succeeded", Actor: "worker:w1", RunID: run + 1, TaskID: 12, Task: "t"})
		add(store.NewEvent{Kind: "task.succeeded", Actor: "worker:w1", RunID: run + store.PackedRunSpan + 5, TaskID: 13})
		add(store.NewEvent{Kind: "run.succeeded", Actor: "worker:w1", RunID: run, OldState: store.RunRunning,
			NewState: store.RunSucceeded, Reason: "é \"quoted\"\x1f"})
		news[len(news)-1].Reason = "e8 é \"quoted\"\x1f"
		do(t, s, func(tx store.Tx) error { return tx.Events().Insert(ctx, news) })
		// Fewer rows than events.
		if n := Int(t, s, "SELECT COUNT(*) FROM events"); n >= int64(len(news)) {
			t.Errorf("%d rows for %d events, want them packed", n, len(news))
		}
		all := read(t, s, func(tx store.Tx) ([]store.Event, error) { return tx.Events().List(ctx, store.EventFilter{Limit: 100}) })
		var want []store.Event
		for _, n := range news {
			want = append(want, store.Event{Kind: n.Kind, Actor: n.Actor, RunID: n.RunID, TaskID: n.TaskID, Task: n.Task,
				AttemptID: n.AttemptID, WorkerID: n.WorkerID, OldState: n.OldState, NewState: n.NewState, Reason: n.Reason, Zone: n.Zone})
		}
		// e7, of a run too far from the others, is in a row of its own,
		// which comes after the row e8 shares with e5 and e6: a run's
		// events keep their order, those of one transaction across runs
		// need not.
		want[6], want[7] = want[7], want[6]
		ignore := func(es []store.Event) []store.Event {
			out := make([]store.Event, len(es))
			for i, e := range es {
				e.ID, e.At = 0, 0
				out[i] = e
			}
			return out
		}
		if diff := cmp.Diff(want, ignore(all)); diff != "" {
			t.Fatalf("List all (-want +got):\n%s", diff)
		}
		for i, e := range all {
			if i > 0 && (e.ID <= all[i-1].ID || e.At < all[i-1].At) {
				t.Errorf("event %s: id %d at %d after id %d at %d, want increasing IDs and times", e.Reason, e.ID, e.At,
					all[i-1].ID, all[i-1].At)
			}
		}
		id := func(n int) int64 { return all[n-1].ID }
		for _, tc := range []struct {
			name string
			f    store.EventFilter
			want []string
		}{
			{"run", store.EventFilter{RunID: run, Limit: 100}, []string{"e1", "e2", "e4", "e5", "e8"}},
			{"run, pages of 1", store.EventFilter{RunID: run, AfterID: id(2), Limit: 1}, []string{"e4"}},
			{"run after a packed event", store.EventFilter{RunID: run, AfterID: id(4), Limit: 2}, []string{"e5", "e8"}},
			{"other run", store.EventFilter{RunID: run + 1, Limit: 100}, []string{"e3", "e6"}},
			{"far run", store.EventFilter{RunID: run + store.PackedRunSpan + 5, Limit: 100}, []string{"e7"}},
			{"no such run", store.EventFilter{RunID: run + 2, Limit: 100}, nil},
			{"kind packed", store.EventFilter{Kind: "task.succeeded", Limit: 100}, []string{"e6", "e7"}},
			{"kind packed limit", store.EventFilter{Kind: "run.running", Limit: 1}, []string{"e1"}},
			{"kind of its own row", store.EventFilter{Kind: "attempt.lost", Limit: 100}, []string{"e4"}},
			{"run and kind", store.EventFilter{RunID: run, Kind: "task.running", Limit: 100}, []string{"e5"}},
			{"run and kind of its own row", store.EventFilter{RunID: run, Kind: "attempt.lost", Limit: 100}, []string{"e4"}},
			{"actor", store.EventFilter{Actor: "worker:w1", Limit: 100}, []string{"e5", "e6", "e8", "e7"}},
			{"run and actor", store.EventFilter{RunID: run, Actor: "worker:w1", Limit: 100}, []string{"e5", "e8"}},
			{"after", store.EventFilter{AfterID: id(5), Limit: 2}, []string{"e6", "e8"}},
			{"newest", store.EventFilter{Newest: true, Limit: 3}, []string{"e7", "e8", "e6"}},
			{"before", store.EventFilter{BeforeID: id(3), Limit: 100}, []string{"e2", "e1"}},
			{"newest run", store.EventFilter{RunID: run, Newest: true, Limit: 100}, []string{"e8", "e5", "e4", "e2", "e1"}},
			{"run before, pages of 2", store.EventFilter{RunID: run, BeforeID: id(5), Limit: 2}, []string{"e4", "e2"}},
			{"newest kind", store.EventFilter{Kind: "run.running", Newest: true, Limit: 100}, []string{"e3", "e1"}},
			{"newest between", store.EventFilter{Newest: true, AfterID: id(2), BeforeID: id(5), Limit: 100}, []string{"e4", "e3"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				es := read(t, s, func(tx store.Tx) ([]store.Event, error) { return tx.Events().List(ctx, tc.f) })
				var got []string
				for _, e := range es {
					got = append(got, e.Reason[:2])
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("List(%+v) (-want +got):\n%s", tc.f, diff)
				}
			})
		}
	})
}

// A packed row goes with the last run it may name, never before.
func TestRetentionDeletesPackedEvents(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		wf, v := newWorkflow(t, s, "packed")
		first, last := LoadFinishedRuns(t, s, FinishedRuns{WorkflowID: wf.ID, VersionID: v.ID, Workflow: wf.Name,
			Runs: 2, Tasks: 1, FinishedAt: 1})
		if last != first+1 {
			t.Fatalf("runs %d..%d, want two in a row", first, last)
		}
		do(t, s, func(tx store.Tx) error {
			return tx.Events().Insert(ctx, []store.NewEvent{
				{Kind: "run.succeeded", Actor: "a", RunID: first, Reason: "packed"},
				{Kind: "run.succeeded", Actor: "a", RunID: last, Reason: "packed"},
			})
		})
		packed := func() int64 { return Int(t, s, "SELECT COUNT(*) FROM events WHERE kind = 'events.packed'") }
		if n := packed(); n != 1 {
			t.Fatalf("%d packed rows, want 1", n)
		}
		get(t, s, func(tx store.Tx) (store.RetentionDeleted, error) {
			return tx.Retention().DeleteRuns(ctx, []int64{first})
		})
		if n := packed(); n != 1 {
			t.Errorf("%d packed rows after deleting run %d of two, want the row kept for run %d", n, first, last)
		}
		evs := read(t, s, func(tx store.Tx) ([]store.Event, error) {
			return tx.Events().List(ctx, store.EventFilter{RunID: last, Limit: 10, Kind: "run.succeeded"})
		})
		if len(evs) == 0 || evs[len(evs)-1].Reason != "packed" {
			t.Errorf("run %d's events %+v, want its packed one last", last, evs)
		}
		get(t, s, func(tx store.Tx) (store.RetentionDeleted, error) {
			return tx.Retention().DeleteRuns(ctx, []int64{last})
		})
		if n := packed(); n != 0 {
			t.Errorf("%d packed rows after deleting both runs, want 0", n)
		}
	})
}
