package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/postgres"
)

// The task queue: which tasks are claimable, and the bulk updates that move
// tasks in and out of it.

func TestTasksCandidates(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		low, high := newRun(t, s), newRun(t, s)
		// The high-priority run's tasks are inserted last, so priority and
		// insertion (ID) order disagree.
		lt := insertTasks(t, s, low.ID,
			store.NewTask{Idx: 0, Name: "l-p0", Group: "g"},
			store.NewTask{Idx: 1, Name: "l-p5-a", Group: "g", Priority: 5},
			store.NewTask{Idx: 2, Name: "l-p5-b", Group: "g", Priority: 5},
			store.NewTask{Idx: 3, Name: "l-pending", Group: "g", Priority: 9, State: store.TaskPending, NeedsTotal: 1},
			store.NewTask{Idx: 4, Name: "l-retry", Group: "g", Priority: 9, State: store.TaskRetryWait},
			store.NewTask{Idx: 5, Name: "l-done", Group: "g", Priority: 9, State: store.TaskSucceeded},
			store.NewTask{Idx: 6, Name: "l-other", Group: "other", Priority: 9},
			store.NewTask{Idx: 7, Name: "l-running", Group: "g", Priority: 9},
		)
		markRunning(t, s, lt[7].ID, 1)
		ht := insertTasks(t, s, high.ID,
			store.NewTask{Idx: 0, Name: "h-p0", Group: "g", RunPriority: 10, CU: 2.5},
			store.NewTask{Idx: 1, Name: "h-p1", Group: "g", RunPriority: 10, Priority: 1},
		)
		// A task that lost an attempt carries its history into the claim.
		markRunning(t, s, ht[0].ID, 2)
		do(t, s, func(tx store.Tx) error {
			_, err := tx.Tasks().Requeue(t.Context(), store.TaskRequeue{
				State: store.TaskQueued, Lost: 1, AvoidWorker: "w1", AvoidZone: "z1", ID: ht[0].ID, AttemptID: 2,
			})
			return err
		})
		cand := func(tk store.Task) store.Candidate {
			tk = getTask(t, s, tk.ID)
			runs := read(t, s, func(tx store.Tx) ([]store.Run, error) { return tx.Runs().GetMany(t.Context(), []int64{tk.RunID}) })
			if len(runs) != 1 {
				t.Fatalf("run %d of task %s: %d rows", tk.RunID, tk.Name, len(runs))
			}
			return store.Candidate{
				ID: tk.ID, RunID: tk.RunID, Idx: tk.Idx, Name: tk.Name, CU: tk.CU,
				Attempts: tk.Attempts, Lost: tk.Lost, AvoidWorker: tk.AvoidWorker, AvoidZone: tk.AvoidZone,
				Run: workRun(runs[0]), // each candidate comes with (the columns it needs of) its run
			}
		}
		placement := []store.Candidate{cand(ht[1]), cand(ht[0]), cand(lt[1]), cand(lt[2]), cand(lt[0])}
		if c := placement[1]; c.Attempts != 1 || c.Lost != 1 || c.AvoidWorker != "w1" || c.AvoidZone != "z1" {
			t.Fatalf("fixture: requeued task is %+v", c)
		}

		for _, tc := range []struct {
			name  string
			group string
			limit int64
			want  []store.Candidate
		}{
			{"placement order", "g", 10, placement},
			{"limit", "g", 2, placement[:2]},
			{"other group", "other", 10, []store.Candidate{cand(lt[6])}},
			{"empty group", "nobody", 10, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got := candidates(t, s, store.CandidateFilter{Group: tc.group, Zone: "z1", WorkerLabels: "{}", Limit: tc.limit})
				if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty(), ignoreWaited); diff != "" {
					t.Errorf("Candidates(%q, %d) (-want +got):\n%s", tc.group, tc.limit, diff)
				}
				for _, c := range got {
					if c.WaitedMs < 0 || c.WaitedMs > 60_000 {
						t.Errorf("candidate %s waited %d ms, want the time since it became ready", c.Name, c.WaitedMs)
					}
				}
			})
		}
	})
}

// ignoreWaited leaves out the time a candidate waited, which depends on
// the clock.
var ignoreWaited = cmpopts.IgnoreFields(store.Candidate{}, "WaitedMs")

// candidates runs a claim's candidate query in a transaction.
func candidates(t *testing.T, s store.Store, f store.CandidateFilter) []store.Candidate {
	t.Helper()
	return get(t, s, func(tx store.Tx) ([]store.Candidate, error) { return tx.Tasks().Candidates(t.Context(), f) })
}

func TestTasksCandidatesPlacementConstraints(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		run := newRun(t, s)
		ts := insertTasks(t, s, run.ID,
			store.NewTask{Idx: 0, Name: "anywhere"},
			store.NewTask{Idx: 1, Name: "in-a-or-b", ZonesAllow: store.EncodeZones([]string{"a", "b"})},
			store.NewTask{Idx: 2, Name: "not-in-b", ZonesDeny: store.EncodeZones([]string{"b"})},
			store.NewTask{Idx: 3, Name: "gpu", Labels: `{"gpu":"true"}`},
			store.NewTask{Idx: 4, Name: "gpu-ssd-in-a", Labels: `{"disk":"ssd","gpu":"true"}`,
				ZonesAllow: store.EncodeZones([]string{"a"})},
			// A zone name that another contains must not match it.
			store.NewTask{Idx: 5, Name: "in-a1", ZonesAllow: store.EncodeZones([]string{"a1"})},
		)
		names := func(cs []store.Candidate) []string {
			var out []string
			for _, c := range cs {
				out = append(out, c.Name)
			}
			return out
		}
		for _, tc := range []struct {
			zone, labels string
			want         []string
		}{
			{"a", `{}`, []string{"anywhere", "in-a-or-b", "not-in-b"}},
			{"b", `{}`, []string{"anywhere", "in-a-or-b"}},
			{"c", `{"gpu":"true"}`, []string{"anywhere", "not-in-b", "gpu"}},
			{"a", `{"gpu":"true","disk":"ssd","rack":"r1"}`, []string{"anywhere", "in-a-or-b", "not-in-b", "gpu", "gpu-ssd-in-a"}},
			{"a", `{"gpu":"false","disk":"ssd"}`, []string{"anywhere", "in-a-or-b", "not-in-b"}},
			{"a1", `{}`, []string{"anywhere", "not-in-b", "in-a1"}},
		} {
			got := names(candidates(t, s, store.CandidateFilter{Group: "default", Zone: tc.zone, WorkerLabels: tc.labels, Limit: 10}))
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Candidates(zone %s, labels %s) (-want +got):\n%s", tc.zone, tc.labels, diff)
			}
		}
		if got := getTask(t, s, ts[4].ID); got.ZonesAllow != ",a," || got.Labels != `{"disk":"ssd","gpu":"true"}` {
			t.Errorf("stored constraints: zones %q labels %q", got.ZonesAllow, got.Labels)
		}
	})
}

func TestTasksRelease(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		run, other := newRun(t, s), newRun(t, s)
		ts := insertTasks(t, s, run.ID,
			store.NewTask{Idx: 0},
			store.NewTask{Idx: 1, State: store.TaskPending, NeedsTotal: 1},
			store.NewTask{Idx: 2, State: store.TaskPending, NeedsTotal: 2},
			store.NewTask{Idx: 3, State: store.TaskCancelled, NeedsTotal: 1},
		)
		otherTask := insertTasks(t, s, other.ID, store.NewTask{Idx: 1, State: store.TaskPending, NeedsTotal: 1})[0]
		release := func(idxs ...int64) []store.TaskRef {
			return get(t, s, func(tx store.Tx) ([]store.TaskRef, error) { return release(ctx, tx, run.ID, idxs) })
		}

		got := release(1, 2)
		if diff := cmp.Diff([]store.TaskRef{ref(ts[1], store.TaskQueued), ref(ts[2], store.TaskPending)}, sortRefs(got)); diff != "" {
			t.Errorf("first Release (-want +got):\n%s", diff)
		}
		if c := getTask(t, s, ts[2].ID); c.NeedsDone != 1 || c.State != store.TaskPending {
			t.Errorf("task with 2 upstream after one release: needs_done %d state %q, want 1 pending", c.NeedsDone, c.State)
		}
		got = release(2)
		if diff := cmp.Diff([]store.TaskRef{ref(ts[2], store.TaskQueued)}, got); diff != "" {
			t.Errorf("second Release (-want +got):\n%s", diff)
		}
		if c := getTask(t, s, ts[2].ID); c.NeedsDone != 2 || c.State != store.TaskQueued || c.ReadyAt < ts[2].ReadyAt {
			t.Errorf("task with 2 upstream after two releases: needs_done %d state %q ready_at %d", c.NeedsDone, c.State, c.ReadyAt)
		}

		// A task no longer pending (here cancelled) is left alone by a late
		// release.
		if got = release(3); len(got) != 0 {
			t.Errorf("Release of a cancelled task = %v, want nothing", got)
		}
		if c := getTask(t, s, ts[3].ID); c.State != store.TaskCancelled || c.NeedsDone != 0 {
			t.Errorf("cancelled task after a release: %s, needs_done %d", c.State, c.NeedsDone)
		}
		if st := getTask(t, s, ts[0].ID).State; st != store.TaskQueued {
			t.Errorf("unreleased task moved to %q", st)
		}
		if o := getTask(t, s, otherTask.ID); o.NeedsDone != 0 || o.State != store.TaskPending {
			t.Errorf("same idx of another run: needs_done %d state %q, want untouched", o.NeedsDone, o.State)
		}
		if got := release(); len(got) != 0 {
			t.Errorf("Release of no idxs = %v, want none", got)
		}
	})
}

func TestTasksMarkUpstreamFailed(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		run, other := newRun(t, s), newRun(t, s)
		ts := insertTasks(t, s, run.ID,
			store.NewTask{Idx: 0},
			store.NewTask{Idx: 1, State: store.TaskPending, NeedsTotal: 1},
			store.NewTask{Idx: 2, State: store.TaskPending, NeedsTotal: 1},
			store.NewTask{Idx: 3, State: store.TaskSucceeded},
		)
		otherTask := insertTasks(t, s, other.ID, store.NewTask{Idx: 1, State: store.TaskPending, NeedsTotal: 1})[0]
		mark := func(idxs ...int64) []store.TaskRef {
			return get(t, s, func(tx store.Tx) ([]store.TaskRef, error) {
				return tx.Tasks().MarkUpstreamFailed(ctx, run.ID, idxs, "extract failed")
			})
		}
		got := mark(0, 1, 3)
		if diff := cmp.Diff([]store.TaskRef{ref(ts[1], store.TaskUpstreamFailed)}, got); diff != "" {
			t.Errorf("MarkUpstreamFailed (-want +got):\n%s", diff)
		}
		if f := getTask(t, s, ts[1].ID); f.Reason != "extract failed" || f.FinishedAt <= 0 {
			t.Errorf("upstream_failed task: reason %q finished_at %d", f.Reason, f.FinishedAt)
		}
		for i, want := range []string{store.TaskQueued, store.TaskUpstreamFailed, store.TaskPending, store.TaskSucceeded} {
			if st := getTask(t, s, ts[i].ID).State; st != want {
				t.Errorf("task idx %d: state %q, want %q", i, st, want)
			}
		}
		if st := getTask(t, s, otherTask.ID).State; st != store.TaskPending {
			t.Errorf("same idx of another run: state %q, want pending", st)
		}
		if got := mark(); len(got) != 0 {
			t.Errorf("MarkUpstreamFailed of no idxs = %v, want none", got)
		}
	})
}

func TestTasksWakeRetries(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		run, other := newRun(t, s), newRun(t, s)
		ts := insertTasks(t, s, run.ID, store.NewTask{Idx: 0}, store.NewTask{Idx: 1}, store.NewTask{Idx: 2})
		ts = append(ts, insertTasks(t, s, other.ID, store.NewTask{Idx: 0})...)
		// A negative delay is due already; an hour is not; ts[2] stays queued.
		for _, r := range []struct {
			tk    store.Task
			delay int64
		}{{ts[0], -1000}, {ts[1], 3_600_000}, {ts[3], -1}} {
			markRunning(t, s, r.tk.ID, r.tk.ID+100)
			do(t, s, func(tx store.Tx) error {
				_, err := tx.Tasks().Requeue(ctx, store.TaskRequeue{
					State: store.TaskRetryWait, DelayMs: r.delay, ID: r.tk.ID, AttemptID: r.tk.ID + 100,
				})
				return err
			})
		}
		wake := func() []store.TaskRef {
			return get(t, s, func(tx store.Tx) ([]store.TaskRef, error) { return tx.Tasks().WakeRetries(ctx) })
		}
		want := []store.TaskRef{ref(ts[0], store.TaskQueued), ref(ts[3], store.TaskQueued)}
		if diff := cmp.Diff(want, sortRefs(wake())); diff != "" {
			t.Errorf("WakeRetries (-want +got):\n%s", diff)
		}
		for i, st := range []string{store.TaskQueued, store.TaskRetryWait, store.TaskQueued, store.TaskQueued} {
			if got := getTask(t, s, ts[i].ID).State; got != st {
				t.Errorf("task %d: state %q, want %q", i, got, st)
			}
		}
		if got := wake(); len(got) != 0 {
			t.Errorf("second WakeRetries = %v, want none", got)
		}
	})
}

func TestTasksCancelRun(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		run, other := newRun(t, s), newRun(t, s)
		ts := insertTasks(t, s, run.ID,
			store.NewTask{Idx: 0, State: store.TaskPending, NeedsTotal: 1},
			store.NewTask{Idx: 1},
			store.NewTask{Idx: 2, State: store.TaskRetryWait},
			store.NewTask{Idx: 3}, // running below
			store.NewTask{Idx: 4, State: store.TaskSucceeded},
			store.NewTask{Idx: 5, State: store.TaskFailed},
			store.NewTask{Idx: 6, State: store.TaskUpstreamFailed},
		)
		markRunning(t, s, ts[3].ID, 9)
		otherTask := insertTasks(t, s, other.ID, store.NewTask{Idx: 0})[0]
		cancel := func() []store.TaskRef {
			return get(t, s, func(tx store.Tx) ([]store.TaskRef, error) { return tx.Tasks().CancelRun(ctx, run.ID, "by alice") })
		}
		var want []store.TaskRef
		for _, tk := range ts[:4] {
			want = append(want, ref(tk, store.TaskCancelled))
		}
		if diff := cmp.Diff(want, sortRefs(cancel())); diff != "" {
			t.Errorf("CancelRun (-want +got):\n%s", diff)
		}
		if c := getTask(t, s, ts[3].ID); c.AttemptID != 9 || c.Reason != "by alice" || c.FinishedAt <= 0 {
			t.Errorf("cancelled running task: attempt_id %d reason %q finished_at %d, want its attempt's ID kept",
				c.AttemptID, c.Reason, c.FinishedAt)
		}
		// Cancelling the run's attempts then ends that one and clears the ID.
		refs := get(t, s, func(tx store.Tx) ([]store.AttemptRef, error) { return tx.Attempts().CancelRun(ctx, run.ID, "by alice") })
		if len(refs) != 1 || refs[0].ID != 9 || refs[0].TaskID != ts[3].ID {
			t.Errorf("Attempts.CancelRun after Tasks.CancelRun = %+v, want attempt 9", refs)
		}
		if c := getTask(t, s, ts[3].ID); c.AttemptID != 0 {
			t.Errorf("cancelled task's attempt_id %d after its attempt was cancelled, want 0", c.AttemptID)
		}
		for i, st := range []string{store.TaskSucceeded, store.TaskFailed, store.TaskUpstreamFailed} {
			if got := getTask(t, s, ts[4+i].ID).State; got != st {
				t.Errorf("finished task idx %d: state %q, want %q", 4+i, got, st)
			}
		}
		if st := getTask(t, s, otherTask.ID).State; st != store.TaskQueued {
			t.Errorf("task of another run: state %q, want queued", st)
		}
		if got := cancel(); len(got) != 0 {
			t.Errorf("second CancelRun = %v, want none", got)
		}
	})
}

func TestTasksOutputs(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		run, other := newRun(t, s), newRun(t, s)
		ts := insertTasks(t, s, run.ID, store.NewTask{Idx: 0, Name: "b"}, store.NewTask{Idx: 1, Name: "a"},
			store.NewTask{Idx: 2, Name: "c"}, store.NewTask{Idx: 3, Name: "d"})
		ts = append(ts, insertTasks(t, s, other.ID, store.NewTask{Idx: 0, Name: "a"})...)
		// ts[3] stays queued; ts[4] is of another run.
		for _, r := range []struct {
			tk  store.Task
			out string
		}{{ts[0], `{"x":"1"}`}, {ts[1], `{"y":"2"}`}, {ts[2], ""}, {ts[4], `{"z":"3"}`}} {
			markRunning(t, s, r.tk.ID, r.tk.ID+100)
			do(t, s, func(tx store.Tx) error {
				_, err := finishTask(ctx, tx, store.TaskFinish{
					State: store.TaskSucceeded, Outputs: r.out, ID: r.tk.ID, AttemptID: r.tk.ID + 100,
				})
				return err
			})
		}
		got := read(t, s, func(tx store.Tx) ([]store.TaskOutputs, error) { return tx.Tasks().Outputs(ctx, run.ID) })
		slices.SortFunc(got, func(a, b store.TaskOutputs) int { return strings.Compare(a.Name, b.Name) })
		want := []store.TaskOutputs{{Name: "a", Outputs: `{"y":"2"}`}, {Name: "b", Outputs: `{"x":"1"}`}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Outputs (-want +got):\n%s", diff)
		}
	})
}

// workRun is what Candidates and GetManyToSettle read of a run: the
// columns working on its tasks needs.
func workRun(r store.Run) store.Run {
	return store.Run{ID: r.ID, WorkflowID: r.WorkflowID, Workflow: r.Workflow, VersionID: r.VersionID,
		State: r.State, Params: r.Params, Priority: r.Priority, ScheduledAt: r.ScheduledAt,
		CreatedAt: r.CreatedAt, ParentRunID: r.ParentRunID, ParentTaskID: r.ParentTaskID}
}

// queueIndexReads is how often the queue index (tasks_queue) was scanned
// and how many entries those scans read, as PostgreSQL's statistics have
// it: a backend reports its reads within a second or so of its commit.
func queueIndexReads(t *testing.T, s *postgres.Store) (scans, entries int64) {
	t.Helper()
	return statPair(t, s, `SELECT idx_scan, idx_tup_read FROM pg_stat_user_indexes WHERE indexrelname = 'tasks_queue'`)
}

// Dispatch finds the tasks it moves to running by primary key, whatever
// the planner believes of the queue. Here it believes the queue empty:
// tasks was analyzed after 3,000 queued tasks left the queue, and their
// index entries are still there. Reading the whole queue index and
// joining it with the new attempts looked cheaper than ten key probes, so
// dispatching ten tasks read every queued one.
func TestAttemptsDispatchByKey(t *testing.T) {
	t.Parallel()
	s := OpenPostgres(t)
	old := newRun(t, s)
	gone := make([]store.NewTask, 3000)
	for i := range gone {
		gone[i] = store.NewTask{Idx: int64(i)}
	}
	insertTasks(t, s, old.ID, gone...)
	Exec(t, s, fmt.Sprintf("UPDATE tasks SET state = 'succeeded' WHERE run_id = %d", old.ID))
	Exec(t, s, "ANALYZE tasks")
	const backlog = 5000
	queued := make([]store.NewTask, backlog)
	for i := range queued {
		queued[i] = store.NewTask{Idx: int64(i)}
	}
	ts := insertTasks(t, s, newRun(t, s).ID, queued...)
	w := newWorker(t, s, "w1", "z1", 60_000)
	news := make([]store.NewAttempt, 10)
	for i := range news {
		news[i] = store.NewAttempt{TaskID: ts[i].ID, RunID: ts[i].RunID, Task: ts[i].Name, Number: 1, WorkerID: w.ID, Zone: "z1"}
	}

	_, entries0 := queueIndexReads(t, s)
	ids := get(t, s, func(tx store.Tx) ([]int64, error) { return tx.Attempts().Dispatch(t.Context(), news) })
	if len(ids) != len(news) {
		t.Fatalf("dispatched %d, want %d", len(ids), len(news))
	}
	waitStats(t, "the dispatch", func() bool {
		return Int(t, s, "SELECT n_tup_upd FROM pg_stat_user_tables WHERE relname = 'tasks'") >= int64(len(gone)+len(news))
	})
	if _, entries := queueIndexReads(t, s); entries-entries0 >= backlog {
		t.Errorf("dispatching 10 tasks read %d queue index entries, all of the queue: want none", entries-entries0)
	}
}

// A claim reads the queue in the queue index's order and stops at its
// limit, whatever the planner believes. Here it believes the queue short
// (tasks were analyzed while 1% were queued) and random reads dear (set on
// the database): reading every queued task at once, then sorting, looks
// cheaper, and was chosen before claims turned those plans off.
func TestTasksCandidatesReadQueueInOrder(t *testing.T) {
	t.Parallel()
	s := OpenPostgres(t)
	done := make([]store.NewTask, 3000)
	for i := range done {
		done[i] = store.NewTask{Idx: int64(i), State: store.TaskSucceeded}
		if i%100 == 0 {
			done[i].State = store.TaskQueued
		}
	}
	insertTasks(t, s, newRun(t, s).ID, done...)
	Exec(t, s, "ANALYZE tasks")
	Exec(t, s, "DO $$BEGIN EXECUTE format('ALTER DATABASE %I SET random_page_cost = 100', current_database()); END$$")
	s, err := postgres.Open(t.Context(), postgres.Config{DSN: s.Pool().Config().ConnString()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const backlog = 5000
	queued := make([]store.NewTask, backlog)
	for i := range queued {
		queued[i] = store.NewTask{Idx: int64(i)}
	}
	insertTasks(t, s, newRun(t, s).ID, queued...)

	scans0, entries0 := queueIndexReads(t, s)
	got := candidates(t, s, store.CandidateFilter{Group: "default", Zone: "z1", WorkerLabels: "{}", Limit: 10})
	if len(got) != 10 {
		t.Fatalf("%d candidates, want 10", len(got))
	}
	// (A claim that read all of tasks never scans the queue index.)
	waitStats(t, "the claim's read of the queue index", func() bool {
		scans, _ := queueIndexReads(t, s)
		return scans > scans0
	})
	if _, entries := queueIndexReads(t, s); entries-entries0 >= backlog {
		t.Errorf("the claim of 10 read %d queue index entries, all of the queue: want a few more than 10",
			entries-entries0)
	}
}
