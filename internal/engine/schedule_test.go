package engine_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store"
)

// t0 is an hour boundary hours in the past (within catchup: all's default
// window): schedules in these tests are due every minute from t0 to
// t0+(ticks-1)m, so every due time has passed and what fires depends on
// the policies alone, not on the clock.
var t0 = time.Now().UTC().Truncate(time.Hour).Add(-3 * time.Hour)

// pastSchedule applies workflow "sched" with one schedule due ticks times,
// a minute apart, all in the past, and rewinds it to its first due time
// as if every server had been down since.
func (x *env) pastSchedule(ticks int, catchup, overlap string) store.Schedule {
	x.t.Helper()
	x.apply(fmt.Sprintf(`name: sched
params:
  day: {default: "x"}
tasks:
  - name: t
    noop: true
schedules:
  - name: s
    cron: "@every 1m"
    start: %s
    end: %s
    catchup: %s
    overlap: %s
    params: {day: "d1"}
`, t0.Format(time.RFC3339), t0.Add(time.Duration(ticks-1)*time.Minute).Format(time.RFC3339), catchup, overlap))
	return x.rewind("sched", "s", t0)
}

// rewind stores due as the schedule's next due and fire time.
func (x *env) rewind(workflow, name string, due time.Time) store.Schedule {
	x.t.Helper()
	var row store.Schedule
	err := x.s.InTx(x.ctx, func(tx store.Tx) (err error) {
		if row, err = tx.Schedules().Get(x.ctx, workflow, name); err != nil {
			return err
		}
		return tx.Schedules().SetFiring(x.ctx, row.ID, due.UnixMilli(), due.UnixMilli(), "")
	})
	if err != nil {
		x.t.Fatalf("rewind: %v", err)
	}
	return row
}

func (x *env) fire() {
	x.t.Helper()
	if _, err := x.e.FireSchedules(x.ctx); err != nil {
		x.t.Fatalf("fire: %v", err)
	}
}

// scheduled returns the runs of a schedule, oldest first.
func (x *env) scheduled(id int64) []store.ScheduledRun {
	x.t.Helper()
	var rs []store.ScheduledRun
	err := x.s.Read(x.ctx, func(tx store.Tx) (err error) {
		rs, err = tx.Schedules().RecentRuns(x.ctx, id, 10000)
		return err
	})
	if err != nil {
		x.t.Fatalf("runs of schedule: %v", err)
	}
	for i, j := 0, len(rs)-1; i < j; i, j = i+1, j-1 {
		rs[i], rs[j] = rs[j], rs[i]
	}
	return rs
}

// dues renders the due times of runs as minutes after t0, in order.
func dues(rs []store.ScheduledRun) []int64 {
	out := []int64{}
	for _, r := range rs {
		out = append(out, (r.ScheduledAt-t0.UnixMilli())/60000)
	}
	slices.Sort(out)
	return out
}

func (x *env) kindCount(kind string) int {
	x.t.Helper()
	var es []store.Event
	err := x.s.Read(x.ctx, func(tx store.Tx) (err error) {
		es, err = tx.Events().List(x.ctx, store.EventFilter{Kind: kind, Limit: 10000})
		return err
	})
	if err != nil {
		x.t.Fatalf("events: %v", err)
	}
	return len(es)
}

func TestScheduleCatchup(t *testing.T) {
	for _, tc := range []struct {
		catchup string
		want    []int64 // due minutes after t0 that get a run
		skipped int
	}{
		{"all", []int64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 0},
		{"latest", []int64{9}, 9},
		{"none", []int64{}, 10},
	} {
		t.Run(tc.catchup, func(t *testing.T) {
			eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
				s := x.pastSchedule(10, tc.catchup, "allow_all")
				x.fire()
				x.fire() // a second pass finds nothing more to do
				rs := x.scheduled(s.ID)
				if got := dues(rs); fmt.Sprint(got) != fmt.Sprint(tc.want) {
					t.Errorf("runs due at minutes %v, want %v", got, tc.want)
				}
				if got := x.kindCount("schedule.missed"); got != tc.skipped {
					t.Errorf("%d schedule.missed events, want %d", got, tc.skipped)
				}
				for _, r := range rs {
					run := x.run(r.ID)
					if run.Params != `{"day":"d1"}` || run.CreatedBy != "schedule:sched/s" {
						t.Errorf("run %d: params %s, created by %q", r.ID, run.Params, run.CreatedBy)
					}
				}
				var row store.Schedule
				_ = x.s.Read(x.ctx, func(tx store.Tx) (err error) {
					row, err = tx.Schedules().Get(x.ctx, "sched", "s")
					return err
				})
				if row.NextFireAt != 0 || row.FireAt != 0 {
					t.Errorf("ended schedule: next %d, fire %d, want 0", row.NextFireAt, row.FireAt)
				}
			})
		})
	}
}

func TestScheduleOverlap(t *testing.T) {
	for _, tc := range []struct {
		overlap   string
		want      []int64 // due minutes after t0 that get a run, in the first pass
		buffered  int
		cancelled int
		skipped   int
		// after the active run ends, the next pass starts these
		then []int64
	}{
		{"skip", []int64{0}, 0, 0, 2, []int64{0}},
		{"buffer_one", []int64{0}, 1, 0, 1, []int64{0, 1}},
		{"buffer_all", []int64{0}, 2, 0, 0, []int64{0, 1}},
		{"cancel_other", []int64{0, 1, 2}, 0, 2, 0, []int64{0, 1, 2}},
		{"allow_all", []int64{0, 1, 2}, 0, 0, 0, []int64{0, 1, 2}},
	} {
		t.Run(tc.overlap, func(t *testing.T) {
			eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
				s := x.pastSchedule(3, "all", tc.overlap)
				x.fire()
				rs := x.scheduled(s.ID)
				if got := dues(rs); fmt.Sprint(got) != fmt.Sprint(tc.want) {
					t.Fatalf("runs due at minutes %v, want %v", got, tc.want)
				}
				cancelled := 0
				for _, r := range rs {
					if r.State == store.RunCancelled {
						cancelled++
					}
				}
				if cancelled != tc.cancelled {
					t.Errorf("%d runs cancelled, want %d", cancelled, tc.cancelled)
				}
				if got := x.kindCount("schedule.buffered"); got != tc.buffered {
					t.Errorf("%d schedule.buffered events, want %d", got, tc.buffered)
				}
				if got := x.kindCount("schedule.skipped"); got != tc.skipped {
					t.Errorf("%d schedule.skipped events, want %d", got, tc.skipped)
				}
				// End the first run: a buffered due time starts next.
				if err := x.e.CancelRun(x.ctx, rs[0].ID, "user:test", "done"); err != nil && tc.cancelled == 0 {
					t.Fatal(err)
				}
				x.fire()
				if got := dues(x.scheduled(s.ID)); fmt.Sprint(got) != fmt.Sprint(tc.then) {
					t.Errorf("after the first run ended: runs due at minutes %v, want %v", got, tc.then)
				}
			})
		})
	}
}

func TestScheduleBackfillIsIdempotent(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		s := x.pastSchedule(10, "latest", "skip")
		x.fire() // the tick due at t0+9m fires
		from, to := t0.Add(5*time.Minute), t0.Add(9*time.Minute)
		b, err := x.e.Backfill(x.ctx, "sched", "s", from, to, "user:test")
		if err != nil {
			t.Fatal(err)
		}
		if b.Created != 4 || b.Existing != 1 {
			t.Errorf("first backfill: created %d, existing %d; want 4 and 1 (the tick)", b.Created, b.Existing)
		}
		b, err = x.e.Backfill(x.ctx, "sched", "s", from, to, "user:test")
		if err != nil {
			t.Fatal(err)
		}
		if b.Created != 0 || b.Existing != 5 {
			t.Errorf("second backfill: created %d, existing %d; want 0 and 5", b.Created, b.Existing)
		}
		if got := dues(x.scheduled(s.ID)); fmt.Sprint(got) != "[5 6 7 8 9]" {
			t.Errorf("runs due at minutes %v, want [5 6 7 8 9]", got)
		}
		if _, err := x.e.Backfill(x.ctx, "sched", "s", to, from, "user:test"); err == nil {
			t.Error("backfill with to before from: no error")
		}
		if _, err := x.e.Backfill(x.ctx, "sched", "nope", from, to, "user:test"); err == nil {
			t.Error("backfill of an unknown schedule: no error")
		}
	})
}

func TestSchedulePauseResumeTrigger(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply(`name: hourly
tasks: [{name: t, noop: true}]
schedule: {cron: "@hourly"}
`)
		s := x.rewind("hourly", "default", t0)
		if err := x.e.PauseSchedule(x.ctx, "hourly", "default", true, "maintenance", "user:test"); err != nil {
			t.Fatal(err)
		}
		x.fire()
		if rs := x.scheduled(s.ID); len(rs) != 0 {
			t.Fatalf("a paused schedule fired %d runs", len(rs))
		}
		if err := x.e.PauseSchedule(x.ctx, "hourly", "default", false, "", "user:test"); err != nil {
			t.Fatal(err)
		}
		info, next, err := x.e.NextFires(x.ctx, "hourly", "default", 3)
		if err != nil {
			t.Fatal(err)
		}
		if info.Row.Paused || len(next) != 3 || !next[0].After(time.Now().Add(-time.Minute)) ||
			next[1].Sub(next[0]) != time.Hour || next[0].Minute() != 0 {
			t.Errorf("after resume: paused %v, next %v; want three hours from the next one after now", info.Row.Paused, next)
		}
		x.fire()
		if rs := x.scheduled(s.ID); len(rs) != 0 {
			t.Errorf("a resumed schedule caught up on %d paused ticks", len(rs))
		}
		run, err := x.e.TriggerSchedule(x.ctx, "hourly", "default", "user:test")
		if err != nil {
			t.Fatal(err)
		}
		if run.ScheduleID != s.ID || run.ScheduledAt == 0 || run.CreatedBy != "user:test" {
			t.Errorf("triggered run: schedule %d, due %d, by %q", run.ScheduleID, run.ScheduledAt, run.CreatedBy)
		}
	})
}

func TestScheduleApplyChangesAndRemoves(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply("name: w\ntasks: [{name: t, noop: true}]\nschedules:\n  - {name: a, cron: \"@daily\"}\n  - {name: b, cron: \"@hourly\"}\n")
		if err := x.e.PauseSchedule(x.ctx, "w", "a", true, "", "user:test"); err != nil {
			t.Fatal(err)
		}
		x.apply("name: w\ntasks: [{name: t, noop: true}]\nschedules:\n  - {name: a, cron: \"*/5 * * * *\"}\n")
		infos, err := x.e.Schedules(x.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(infos) != 1 || infos[0].Row.Name != "a" || !infos[0].Row.Paused || infos[0].Def.Cron != "*/5 * * * *" {
			t.Fatalf("schedules after re-apply: %+v; want only a, still paused, with the new cron", infos)
		}
		if next := time.UnixMilli(infos[0].Row.NextFireAt); next.Minute()%5 != 0 || next.Second() != 0 {
			t.Errorf("next due %v is not on the new cron", next)
		}
	})
}

// Servers fire together: each due time gets one run.
func TestScheduleFiresOnceAcrossEngines(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		s := x.pastSchedule(30, "all", "allow_all")
		var wg sync.WaitGroup
		for range 4 {
			e := engine.New(x.s, engine.Config{})
			wg.Go(func() {
				if _, err := e.FireSchedules(x.ctx); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		rs := x.scheduled(s.ID)
		if len(rs) != 30 {
			t.Errorf("%d runs for 30 due times", len(rs))
		}
		seen := map[int64]bool{}
		for _, r := range rs {
			if seen[r.ScheduledAt] {
				t.Errorf("due time %d fired twice", r.ScheduledAt)
			}
			seen[r.ScheduledAt] = true
		}
	})
}

// Schedules whose buffered runs wait for active ones come back in every
// batch of due schedules: they must neither keep the loop going nor hide
// a schedule that is due.
func TestScheduleBufferedDoNotStarveDueOnes(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		var def strings.Builder
		def.WriteString("name: many\ntasks: [{name: t, noop: true}]\nschedules:\n")
		for i := range 60 {
			fmt.Fprintf(&def, "  - {name: s%d, cron: \"@every 1m\", start: %s, end: %s, catchup: all, overlap: buffer_all}\n",
				i, t0.Format(time.RFC3339), t0.Add(2*time.Minute).Format(time.RFC3339))
		}
		x.apply(def.String())
		for i := range 60 {
			x.rewind("many", fmt.Sprintf("s%d", i), t0)
		}
		x.fire() // each starts one run and buffers two
		if got := x.kindCount("schedule.buffered"); got != 120 {
			t.Fatalf("%d schedule.buffered events, want 120", got)
		}
		s := x.pastSchedule(3, "all", "allow_all")
		x.fire()
		if got := len(x.scheduled(s.ID)); got != 3 {
			t.Errorf("the due schedule fired %d runs beside 60 buffered ones, want 3", got)
		}
	})
}
