package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/baton-sched/baton/internal/store"
)

func TestSchedules(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		wf, v := newWorkflow(t, s, uniq("wf"))
		now := get(t, s, func(tx store.Tx) (int64, error) { return tx.Schedules().Now(ctx) })
		add := func(name string, fireAt int64, paused bool) store.Schedule {
			return get(t, s, func(tx store.Tx) (store.Schedule, error) {
				return tx.Schedules().Insert(ctx, store.NewSchedule{WorkflowID: wf.ID, Workflow: wf.Name, Name: name,
					Spec: `{"cron":"@hourly"}`, NextFireAt: fireAt, FireAt: fireAt, Paused: paused})
			})
		}
		due := add("due", now-1000, false)
		add("later", now+3_600_000, false)
		add("paused", now-1000, true)
		ended := add("ended", 0, false)
		if due.ID == 0 || due.CreatedAt == 0 || due.Buffered != "" || due.Paused {
			t.Errorf("Insert = %+v", due)
		}
		wantErr(t, "Insert(duplicate name)", txErr(t, s, func(tx store.Tx) error {
			_, err := tx.Schedules().Insert(ctx, store.NewSchedule{WorkflowID: wf.ID, Workflow: wf.Name, Name: "due", Spec: "{}"})
			return err
		}), store.ErrConflict)

		names := func(ss []store.Schedule) []string {
			out := []string{}
			for _, s := range ss {
				out = append(out, s.Name)
			}
			return out
		}
		dueNow := func() []string {
			return names(get(t, s, func(tx store.Tx) ([]store.Schedule, error) { return tx.Schedules().Due(ctx, 10) }))
		}
		if got := dueNow(); !cmp.Equal(got, []string{"due"}) {
			t.Errorf("Due = %v, want [due]: not paused, not later, not ended", got)
		}
		// An ended schedule with buffered due times is due, after the others.
		do(t, s, func(tx store.Tx) error { return tx.Schedules().SetFiring(ctx, ended.ID, 0, 0, "[1,2]") })
		if got := dueNow(); !cmp.Equal(got, []string{"due", "ended"}) {
			t.Errorf("Due = %v, want [due ended]", got)
		}
		fireAt, dbNow := read2(t, s, func(tx store.Tx) (int64, int64, error) { return tx.Schedules().NextFire(ctx) })
		if fireAt != now-1000 || dbNow < now {
			t.Errorf("NextFire = %d, %d; want %d and at least %d", fireAt, dbNow, now-1000, now)
		}

		do(t, s, func(tx store.Tx) error {
			return tx.Schedules().SetPaused(ctx, due.ID, true, "maintenance", now+60_000, now+61_000)
		})
		got := read(t, s, func(tx store.Tx) (store.Schedule, error) { return tx.Schedules().Lock(ctx, wf.Name, "due") })
		want := store.Schedule{ID: due.ID, WorkflowID: wf.ID, Workflow: wf.Name, Name: "due", Spec: `{"cron":"@hourly"}`,
			NextFireAt: now + 60_000, FireAt: now + 61_000, Paused: true, Note: "maintenance"}
		if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(store.Schedule{}, "CreatedAt", "UpdatedAt")); diff != "" {
			t.Errorf("after SetPaused (-want +got):\n%s", diff)
		}
		do(t, s, func(tx store.Tx) error { return tx.Schedules().UpdateSpec(ctx, due.ID, `{"cron":"@daily"}`, 5, 6) })
		got = read(t, s, func(tx store.Tx) (store.Schedule, error) { return tx.Schedules().Get(ctx, wf.Name, "due") })
		if got.Spec != `{"cron":"@daily"}` || got.NextFireAt != 5 || got.FireAt != 6 || !got.Paused {
			t.Errorf("after UpdateSpec: %+v; want the new spec and times, still paused", got)
		}

		// Runs a schedule fired, newest first; others are not its runs.
		var runs []int64
		for _, at := range []int64{1000, 2000} {
			r := newRun(t, s, onVersion(wf, v), func(r *store.NewRun) { r.ScheduleID, r.ScheduledAt = due.ID, at })
			runs = append(runs, r.ID)
		}
		newRun(t, s, onVersion(wf, v))
		recent := read(t, s, func(tx store.Tx) ([]store.ScheduledRun, error) { return tx.Schedules().RecentRuns(ctx, due.ID, 10) })
		if len(recent) != 2 || recent[0].ID != runs[1] || recent[0].ScheduledAt != 2000 || recent[1].ID != runs[0] ||
			recent[0].State != store.RunQueued || recent[0].CreatedAt == 0 {
			t.Errorf("RecentRuns = %+v, want runs %v newest first", recent, runs)
		}

		do(t, s, func(tx store.Tx) error { return tx.Schedules().Delete(ctx, ended.ID) })
		all := read(t, s, func(tx store.Tx) ([]store.Schedule, error) { return tx.Schedules().ListWorkflow(ctx, wf.ID) })
		if got := names(all); !cmp.Equal(got, []string{"due", "later", "paused"}) {
			t.Errorf("ListWorkflow after Delete = %v", got)
		}
		wantErr(t, "Get(missing)", s.Read(ctx, func(tx store.Tx) error {
			_, err := tx.Schedules().Get(ctx, wf.Name, "ended")
			return err
		}), store.ErrNotFound)
	})
}

// read2 is read for two results.
func read2[A, B any](t *testing.T, s store.Store, fn func(tx store.Tx) (A, B, error)) (A, B) {
	t.Helper()
	var a A
	var b B
	err := s.Read(t.Context(), func(tx store.Tx) (err error) {
		a, b, err = fn(tx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return a, b
}
