package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/baton-sched/baton/internal/store"
)

// The multi-row operations on several rows at once: order, partial guards
// and counts, which the one-row tests cannot show.

func TestRunsManyRows(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		wf, v := newWorkflow(t, s, uniq("wf"))
		var news []store.NewRun
		for i, key := range []string{"k1", "", "k3"} {
			news = append(news, store.NewRun{WorkflowID: wf.ID, Workflow: wf.Name, VersionID: v.ID, Version: 1,
				State: store.RunQueued, Params: `{"i":"` + string(rune('a'+i)) + `"}`, IdempotencyKey: key, TasksTotal: int64(i + 1),
				Priority: int64(i), ScheduledAt: int64(1000 * i), CreatedBy: "user:" + key})
		}
		news[1].State = store.RunRunning // started at once: its started_at is set
		runs := get(t, s, func(tx store.Tx) ([]store.Run, error) { return tx.Runs().InsertMany(ctx, news) })
		for i, r := range runs {
			if r.Params != news[i].Params || r.IdempotencyKey != news[i].IdempotencyKey || r.TasksLeft != int64(i+1) {
				t.Errorf("InsertMany row %d = %+v, want it in the order given", i, r)
			}
		}
		if runs[1].StartedAt == 0 || runs[0].StartedAt != 0 || runs[1].CreatedAt == 0 {
			t.Errorf("InsertMany times: %+v", runs)
		}
		ids := []int64{runs[2].ID, runs[0].ID, runs[1].ID}
		got := read(t, s, func(tx store.Tx) ([]store.Run, error) { return tx.Runs().GetMany(ctx, append(ids, 1_000_000)) })
		if diff := cmp.Diff(runs, sortByID(got, func(r store.Run) int64 { return r.ID })); diff != "" {
			t.Errorf("GetMany (-want +got):\n%s", diff)
		}

		progress := get(t, s, func(tx store.Tx) ([]store.RunProgress, error) {
			return tx.Runs().AddProgressMany(ctx, []store.RunDelta{{ID: runs[1].ID, Done: 2, Failed: 1}, {ID: runs[2].ID, Done: 1}})
		})
		want := []store.RunProgress{
			{ID: runs[1].ID, State: store.RunFailed, TasksLeft: 0, TasksFailed: 1, Reason: "1 task(s) failed",
				WorkflowID: runs[1].WorkflowID, VersionID: runs[1].VersionID},
			{ID: runs[2].ID, State: store.RunQueued, TasksLeft: 2, TasksFailed: 0,
				WorkflowID: runs[2].WorkflowID, VersionID: runs[2].VersionID},
		}
		if diff := cmp.Diff(want, sortByID(progress, func(p store.RunProgress) int64 { return p.ID })); diff != "" {
			t.Errorf("AddProgressMany (-want +got):\n%s", diff)
		}
		ended := get(t, s, func(tx store.Tx) ([]int64, error) {
			return tx.Runs().FinishMany(ctx, []store.RunFinish{
				{ID: runs[0].ID, State: store.RunCancelled, Reason: "by test"}, {ID: runs[1].ID, State: store.RunSucceeded},
			})
		})
		if diff := cmp.Diff([]int64{runs[0].ID}, ended); diff != "" {
			t.Errorf("FinishMany ended (-want +got), a finished run stays finished:\n%s", diff)
		}
		if r := read(t, s, func(tx store.Tx) (store.Run, error) { return tx.Runs().Get(ctx, runs[1].ID) }); r.State != store.RunFailed ||
			r.Reason != "1 task(s) failed" || r.FinishedAt == 0 {
			t.Errorf("finished run %+v", r)
		}
	})
}

func TestTasksManyRows(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		run := newRun(t, s)
		ts := insertTasks(t, s, run.ID,
			store.NewTask{Idx: 0}, store.NewTask{Idx: 1},
			store.NewTask{Idx: 2, State: store.TaskPending, NeedsTotal: 2},
			store.NewTask{Idx: 3, State: store.TaskPending, NeedsTotal: 3},
		)
		got := read(t, s, func(tx store.Tx) ([]store.Task, error) {
			return tx.Tasks().GetMany(ctx, []int64{ts[3].ID, ts[0].ID})
		})
		if diff := cmp.Diff([]store.Task{ts[0], ts[3]}, sortByID(got, func(x store.Task) int64 { return x.ID })); diff != "" {
			t.Errorf("GetMany (-want +got):\n%s", diff)
		}
		withRuns := read(t, s, func(tx store.Tx) ([]store.TaskRun, error) {
			return tx.Tasks().GetManyToSettle(ctx, []int64{ts[3].ID, ts[0].ID, -1})
		})
		runs := read(t, s, func(tx store.Tx) ([]store.Run, error) { return tx.Runs().GetMany(ctx, []int64{run.ID}) })
		toSettle := func(x store.Task, r store.Run) store.TaskRun {
			return store.TaskRun{
				Task: store.Task{ID: x.ID, RunID: x.RunID, Idx: x.Idx, Name: x.Name, State: x.State,
					AttemptID: x.AttemptID, Slot: x.Slot, Attempts: x.Attempts, Lost: x.Lost,
					Preempted: x.Preempted, StartedAt: x.StartedAt},
				Run: workRun(r),
			}
		}
		wantRuns := []store.TaskRun{toSettle(ts[0], runs[0]), toSettle(ts[3], runs[0])}
		if diff := cmp.Diff(wantRuns, sortByID(withRuns, func(x store.TaskRun) int64 { return x.Task.ID })); diff != "" {
			t.Errorf("GetManyToSettle (-want +got), a missing task left out:\n%s", diff)
		}
		markRunning(t, s, ts[0].ID, 10)
		markRunning(t, s, ts[1].ID, 12)
		done := get(t, s, func(tx store.Tx) ([]int64, error) {
			return tx.Tasks().FinishMany(ctx, []store.TaskFinish{
				{State: store.TaskSucceeded, Outputs: `{"k":"v"}`, ID: ts[0].ID, AttemptID: 10},
				{State: store.TaskSucceeded, ID: ts[1].ID, AttemptID: 99}, // a superseded attempt
			})
		})
		if diff := cmp.Diff([]int64{ts[0].ID}, done); diff != "" {
			t.Errorf("FinishMany finished (-want +got):\n%s", diff)
		}
		if tk := getTask(t, s, ts[0].ID); tk.State != store.TaskSucceeded || tk.Outputs != `{"k":"v"}` || tk.AttemptID != 0 {
			t.Errorf("finished task %+v", tk)
		}
		// Two upstream tasks finishing in one batch count twice.
		refs := get(t, s, func(tx store.Tx) ([]store.TaskRef, error) {
			return tx.Tasks().ReleaseMany(ctx, []store.TaskRelease{{RunID: run.ID, Idx: 2, N: 2}, {RunID: run.ID, Idx: 3, N: 2}})
		})
		want := []store.TaskRef{ref(ts[2], store.TaskQueued), ref(ts[3], store.TaskPending)}
		if diff := cmp.Diff(want, sortRefs(refs)); diff != "" {
			t.Errorf("ReleaseMany (-want +got):\n%s", diff)
		}
		if tk := getTask(t, s, ts[3].ID); tk.NeedsDone != 2 {
			t.Errorf("needs_done %d, want 2", tk.NeedsDone)
		}
	})
}

func TestAttemptsDispatch(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		f := newAttemptFixture(t, s, 3)
		news := make([]store.NewAttempt, len(f.tasks))
		for i, tk := range f.tasks {
			news[i] = store.NewAttempt{TaskID: tk.ID, RunID: tk.RunID, Task: tk.Name, Number: 1, WorkerID: f.w1.ID,
				Zone: "z1", TimeoutMs: int64(1000 * (i + 1))}
		}
		ids := get(t, s, func(tx store.Tx) ([]int64, error) { return tx.Attempts().Dispatch(ctx, news[1:]) })
		if len(ids) != 2 {
			t.Fatalf("Dispatch = %v, want two attempt IDs", ids)
		}
		for i, id := range ids {
			n := news[i+1]
			if a := getAttempt(t, s, id); a.TaskID != n.TaskID || a.State != store.AttemptDispatched || a.TimeoutMs != n.TimeoutMs {
				t.Errorf("Dispatch id %d is %+v, want the attempt of %+v", i, a, n)
			}
			if tk := getTask(t, s, n.TaskID); tk.State != store.TaskRunning || tk.AttemptID != id || tk.Attempts != 1 {
				t.Errorf("dispatched task %+v, want running under attempt %d", tk, id)
			}
		}
		// A task no longer queued fails the whole dispatch; nothing stays.
		err := s.InTx(ctx, func(tx store.Tx) error {
			_, err := tx.Attempts().Dispatch(ctx, []store.NewAttempt{news[0], news[1]})
			return err
		})
		if err == nil {
			t.Fatal("Dispatch of a running task: no error")
		}
		if tk := getTask(t, s, news[0].TaskID); tk.State != store.TaskQueued || tk.AttemptID != 0 {
			t.Errorf("after a refused dispatch, task %+v, want it queued still", tk)
		}
		if as := read(t, s, func(tx store.Tx) ([]store.Attempt, error) { return tx.Attempts().ListRun(ctx, f.run.ID) }); len(as) != 2 {
			t.Errorf("after a refused dispatch, %d attempts, want the 2 dispatched", len(as))
		}
	})
}

func TestAttemptsManyRows(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		f := newAttemptFixture(t, s, 3)
		var news []store.NewAttempt
		for i, tk := range f.tasks {
			news = append(news, store.NewAttempt{TaskID: tk.ID, RunID: tk.RunID, Task: tk.Name, Number: int64(i + 1),
				WorkerID: f.w1.ID, Zone: "z1"})
		}
		ids := get(t, s, func(tx store.Tx) ([]int64, error) { return tx.Attempts().Dispatch(ctx, news) })
		for i, id := range ids {
			if a := getAttempt(t, s, id); a.TaskID != news[i].TaskID || a.Number != 1 || a.State != store.AttemptDispatched {
				t.Errorf("Dispatch id %d is %+v, want the first attempt of %+v", i, a, news[i])
			}
		}
		start(t, s, ids[0], f.w1.ID)
		started := get(t, s, func(tx store.Tx) ([]store.Attempt, error) {
			return tx.Attempts().StartMany(ctx, ids, f.w1.ID)
		})
		if len(started) != 2 || started[0].State != store.AttemptRunning {
			t.Errorf("StartMany = %+v, want the two not yet started", started)
		}
		if got := get(t, s, func(tx store.Tx) ([]store.Attempt, error) { return tx.Attempts().StartMany(ctx, ids, f.w2.ID) }); len(got) != 0 {
			t.Errorf("StartMany by another worker = %+v, want none", got)
		}
		fins := []store.AttemptFinish{{State: store.AttemptSucceeded, ID: ids[0]}, {State: store.AttemptFailed, Reason: "exit 1", ExitCode: 1, ID: ids[1]}}
		if got := get(t, s, func(tx store.Tx) ([]store.Attempt, error) { return tx.Attempts().FinishMany(ctx, f.w2.ID, fins) }); len(got) != 0 {
			t.Errorf("FinishMany naming another worker = %+v, want none", got)
		}
		ended := get(t, s, func(tx store.Tx) ([]store.Attempt, error) { return tx.Attempts().FinishMany(ctx, f.w1.ID, fins) })
		ended = sortByID(ended, func(a store.Attempt) int64 { return a.ID })
		if len(ended) != 2 || ended[0].State != store.AttemptSucceeded || ended[1].ExitCode != 1 || ended[1].Reason != "exit 1" {
			t.Errorf("FinishMany = %+v", ended)
		}
		if again := get(t, s, func(tx store.Tx) ([]store.Attempt, error) { return tx.Attempts().FinishMany(ctx, "", fins) }); len(again) != 0 {
			t.Errorf("FinishMany of ended attempts = %+v, want none: they are fenced", again)
		}
		// A start reported with the finish is recorded by the same update.
		f2 := newAttemptFixture(t, s, 1)
		id := dispatch(t, s, f2.tasks[0], f2.w1)
		both := get(t, s, func(tx store.Tx) ([]store.Attempt, error) {
			return tx.Attempts().FinishMany(ctx, f2.w1.ID, []store.AttemptFinish{{State: store.AttemptSucceeded, ID: id, Start: true}})
		})
		if len(both) != 1 || both[0].StartedAt == 0 || both[0].StartedAt != both[0].FinishedAt {
			t.Errorf("FinishMany with its start = %+v, want started and finished", both)
		}
	})
}
