package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/baton-sched/baton/internal/store"
)

func TestEventsInsertList(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		news := []store.NewEvent{
			{Kind: "task.state", Actor: "worker:w1", RunID: 101, TaskID: 7, Task: "extract", AttemptID: 3, WorkerID: "w1",
				OldState: store.TaskQueued, NewState: store.TaskRunning, Reason: "e1"},
			{Kind: "run.state", Actor: "user:alice", RunID: 102, OldState: store.RunQueued, NewState: store.RunRunning, Reason: "e2"},
			{Kind: "run.state", Actor: "server", RunID: 101, OldState: store.RunQueued, NewState: store.RunRunning, Reason: "e3"},
		}
		do(t, s, func(tx store.Tx) error { return tx.Events().Insert(ctx, news) })
		more := []store.NewEvent{
			{Kind: "worker.lost", Actor: "sweeper", WorkerID: "w1", Reason: "e4", Zone: "z1"},
			{Kind: "task.state", Actor: "worker:w1", RunID: 101, TaskID: 7, Task: "extract", Reason: "e5"},
		}
		do(t, s, func(tx store.Tx) error { return tx.Events().Insert(ctx, more) })
		do(t, s, func(tx store.Tx) error { return tx.Events().Insert(ctx, nil) })
		news = append(news, more...)

		all := read(t, s, func(tx store.Tx) ([]store.Event, error) { return tx.Events().List(ctx, store.EventFilter{Limit: 100}) })
		var want []store.Event
		for _, n := range news {
			want = append(want, store.Event{
				Kind: n.Kind, Actor: n.Actor, RunID: n.RunID, TaskID: n.TaskID, Task: n.Task, AttemptID: n.AttemptID,
				WorkerID: n.WorkerID, OldState: n.OldState, NewState: n.NewState, Reason: n.Reason, Zone: n.Zone,
			})
		}
		if diff := cmp.Diff(want, all, cmpopts.IgnoreFields(store.Event{}, "ID", "At")); diff != "" {
			t.Fatalf("List all (-want +got):\n%s", diff)
		}
		for i, e := range all {
			if e.At <= 0 || (i > 0 && e.ID <= all[i-1].ID) {
				t.Errorf("event %s: id %d at %d, want increasing IDs and a time", e.Reason, e.ID, e.At)
			}
		}
		id := func(n int) int64 { return all[n-1].ID } // id(1) is e1's
		for _, tc := range []struct {
			name string
			f    store.EventFilter
			want []string
		}{
			{"run", store.EventFilter{RunID: 101, Limit: 100}, []string{"e1", "e3", "e5"}},
			{"kind", store.EventFilter{Kind: "run.state", Limit: 100}, []string{"e2", "e3"}},
			{"run and kind", store.EventFilter{RunID: 101, Kind: "task.state", Limit: 100}, []string{"e1", "e5"}},
			{"after id", store.EventFilter{AfterID: id(2), Limit: 100}, []string{"e3", "e4", "e5"}},
			{"limit", store.EventFilter{Limit: 2}, []string{"e1", "e2"}},
			{"after id with limit", store.EventFilter{AfterID: id(1), Limit: 2}, []string{"e2", "e3"}},
			{"run after id", store.EventFilter{RunID: 101, AfterID: id(3), Limit: 100}, []string{"e5"}},
			{"nothing after the last", store.EventFilter{AfterID: id(5), Limit: 100}, nil},
			{"actor", store.EventFilter{Actor: "worker:w1", Limit: 100}, []string{"e1", "e5"}},
			{"kind and actor", store.EventFilter{Kind: "run.state", Actor: "server", Limit: 100}, []string{"e3"}},
			{"run and actor", store.EventFilter{RunID: 101, Actor: "server", Limit: 100}, []string{"e3"}},
			{"kind after id", store.EventFilter{Kind: "run.state", AfterID: id(2), Limit: 100}, []string{"e3"}},
			{"from the last", store.EventFilter{AtFrom: all[4].At, Limit: 100}, reasons(all, all[4].At, 0)},
			{"before the last", store.EventFilter{AtTo: all[4].At, Limit: 100}, reasons(all, 0, all[4].At)},
			{"before the first", store.EventFilter{AtTo: all[0].At, Limit: 100}, nil},
			{"after the last", store.EventFilter{AtFrom: all[4].At + 1, Limit: 100}, nil},
			{"kind in a range", store.EventFilter{Kind: "worker.lost", AtFrom: all[3].At, AtTo: all[3].At + 1, Limit: 100}, []string{"e4"}},
			{"kind out of range", store.EventFilter{Kind: "worker.lost", AtTo: all[3].At, Limit: 100}, nil},
			{"run in a range", store.EventFilter{RunID: 102, AtFrom: all[1].At, AtTo: all[1].At + 1, Limit: 100}, []string{"e2"}},
			{"run out of range", store.EventFilter{RunID: 102, AtFrom: all[1].At + 1, Limit: 100}, nil},
			{"newest", store.EventFilter{Newest: true, Limit: 100}, []string{"e5", "e4", "e3", "e2", "e1"}},
			{"newest limit", store.EventFilter{Newest: true, Limit: 2}, []string{"e5", "e4"}},
			{"newest before id", store.EventFilter{Newest: true, BeforeID: id(4), Limit: 2}, []string{"e3", "e2"}},
			{"before id alone", store.EventFilter{BeforeID: id(2), Limit: 100}, []string{"e1"}},
			{"newest between ids", store.EventFilter{Newest: true, AfterID: id(1), BeforeID: id(4), Limit: 100}, []string{"e3", "e2"}},
			{"nothing before the first", store.EventFilter{Newest: true, BeforeID: id(1), Limit: 100}, nil},
			{"newest kind", store.EventFilter{Newest: true, Kind: "run.state", Limit: 100}, []string{"e3", "e2"}},
			{"newest kind before id", store.EventFilter{Kind: "run.state", BeforeID: id(3), Limit: 100}, []string{"e2"}},
			{"newest run", store.EventFilter{Newest: true, RunID: 101, Limit: 100}, []string{"e5", "e3", "e1"}},
			{"newest run and kind before id", store.EventFilter{RunID: 101, Kind: "task.state", BeforeID: id(5), Limit: 100}, []string{"e1"}},
			{"newest actor", store.EventFilter{Newest: true, Actor: "worker:w1", Limit: 100}, []string{"e5", "e1"}},
			{"newest kind and actor", store.EventFilter{Newest: true, Kind: "run.state", Actor: "server", Limit: 100}, []string{"e3"}},
			{"newest run and actor", store.EventFilter{Newest: true, RunID: 101, Actor: "worker:w1", Limit: 1}, []string{"e5"}},
			{"newest in a range", store.EventFilter{Newest: true, AtTo: all[4].At, Limit: 100}, reverse(reasons(all, 0, all[4].At))},
			{"newest from the last", store.EventFilter{Newest: true, AtFrom: all[4].At, Limit: 100}, reverse(reasons(all, all[4].At, 0))},
			{"newest kind out of range", store.EventFilter{Newest: true, Kind: "worker.lost", AtTo: all[3].At, Limit: 100}, nil},
			{"newest run in a range", store.EventFilter{Newest: true, RunID: 102, AtFrom: all[1].At, AtTo: all[1].At + 1, Limit: 100}, []string{"e2"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				es := read(t, s, func(tx store.Tx) ([]store.Event, error) { return tx.Events().List(ctx, tc.f) })
				var got []string
				for _, e := range es {
					got = append(got, e.Reason)
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("List(%+v) (-want +got):\n%s", tc.f, diff)
				}
			})
		}
	})
}

// reasons returns the reasons of the events with from <= at < to (to 0:
// no bound).
func reasons(es []store.Event, from, to int64) []string {
	var out []string
	for _, e := range es {
		if e.At >= from && (to == 0 || e.At < to) {
			out = append(out, e.Reason)
		}
	}
	return out
}

// reverse returns ss last first.
func reverse(ss []string) []string {
	out := make([]string, 0, len(ss))
	for i := len(ss) - 1; i >= 0; i-- {
		out = append(out, ss[i])
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func TestLogsInsertList(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		const attempt = 42
		insert := func(cs ...store.NewLogChunk) {
			t.Helper()
			do(t, s, func(tx store.Tx) error { return tx.Logs().Insert(ctx, cs) })
		}
		insert(
			store.NewLogChunk{AttemptID: attempt, Seq: 1, Stream: "stdout", Data: "one\n"},
			store.NewLogChunk{AttemptID: attempt, Seq: 2, Stream: "stderr", Data: "two\n"},
			store.NewLogChunk{AttemptID: attempt + 1, Seq: 1, Stream: "stdout", Data: "other attempt\n"},
		)
		// A worker resending after a failover: seq 2 again (different data
		// must not replace the first copy), and a duplicate within one batch.
		insert(
			store.NewLogChunk{AttemptID: attempt, Seq: 2, Stream: "stderr", Data: "resent\n"},
			store.NewLogChunk{AttemptID: attempt, Seq: 3, Stream: "stdout", Data: "three\n"},
			store.NewLogChunk{AttemptID: attempt, Seq: 3, Stream: "stdout", Data: "three again\n"},
		)
		do(t, s, func(tx store.Tx) error { return tx.Logs().Insert(ctx, nil) })

		type chunk struct {
			Seq    int64
			Stream string
			Data   string
		}
		list := func(afterSeq, limit int64) []chunk {
			cs := read(t, s, func(tx store.Tx) ([]store.LogChunk, error) { return tx.Logs().List(ctx, attempt, afterSeq, limit) })
			var out []chunk
			for _, c := range cs {
				if c.AttemptID != attempt || c.At <= 0 || c.ID == 0 {
					t.Errorf("chunk %+v: want attempt %d, a time and an ID", c, attempt)
				}
				out = append(out, chunk{c.Seq, c.Stream, c.Data})
			}
			return out
		}
		c1, c2, c3 := chunk{1, "stdout", "one\n"}, chunk{2, "stderr", "two\n"}, chunk{3, "stdout", "three\n"}
		for _, tc := range []struct {
			name            string
			afterSeq, limit int64
			want            []chunk
		}{
			{"all, each seq once", 0, 100, []chunk{c1, c2, c3}},
			{"after seq", 1, 100, []chunk{c2, c3}},
			{"limit", 0, 2, []chunk{c1, c2}},
			{"after the last", 3, 100, nil},
		} {
			if diff := cmp.Diff(tc.want, list(tc.afterSeq, tc.limit)); diff != "" {
				t.Errorf("%s: List(%d, %d) (-want +got):\n%s", tc.name, tc.afterSeq, tc.limit, diff)
			}
		}
	})
}
