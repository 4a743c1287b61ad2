package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/server"
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/storetest"
)

const (
	liveDef     = "name: live\ntasks: [{name: a, noop: true}, {name: b, noop: true, needs: [a]}]\n"
	tickDef     = "name: tick\ntasks: [{name: t, noop: true}]\nschedule: {cron: \"@every 1s\", overlap: allow_all, catchup: all}\n"
	historyDef  = "name: history\ntasks: [{name: a, run: a}, {name: b, run: b}]\n"
	retainedAge = 30 * 24 * time.Hour
)

// playWorker plays a fast worker on the engine until ctx ends: it renews
// its lease, claims, and reports every attempt started and succeeded. It
// reports any answer but accepted as a test error.
func playWorker(ctx context.Context, t *testing.T, e *engine.Engine, zone string) {
	w, err := e.RegisterWorker(ctx, engine.WorkerSpec{Name: "w-" + zone, Zone: zone, Capacity: 50})
	if err != nil {
		t.Error(err)
		return
	}
	beat := time.Now()
	for ctx.Err() == nil {
		if time.Since(beat) > 200*time.Millisecond {
			if _, err := e.Heartbeat(ctx, w.ID, nil); err != nil && ctx.Err() == nil {
				t.Errorf("heartbeat: %v", err)
			}
			beat = time.Now()
		}
		signal := e.Store().WorkSignal()
		as, err := e.Claim(ctx, engine.ClaimRequest{WorkerID: w.ID, Max: 20, FreeCU: 50})
		if err != nil {
			if ctx.Err() == nil {
				t.Errorf("claim: %v", err)
			}
			return
		}
		var rs []engine.Report
		for _, a := range as {
			rs = append(rs, engine.Report{AttemptID: a.AttemptID, Kind: engine.ReportStart},
				engine.Report{AttemptID: a.AttemptID, Kind: engine.ReportFinish, State: store.AttemptSucceeded})
		}
		if len(rs) > 0 {
			res, err := e.Report(ctx, w.ID, rs)
			if err != nil && ctx.Err() == nil {
				t.Errorf("report: %v", err)
			}
			for _, r := range res {
				if r.Status != engine.Accepted {
					t.Errorf("report of attempt %d: %+v", r.AttemptID, r)
				}
			}
			continue
		}
		select {
		case <-ctx.Done():
		case <-signal:
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// expiredRuns is how many expired runs TestRetentionUnderSteadyWorkload
// deletes on each store: fewer on SQLite, whose deletes run about twenty
// times slower than PostgreSQL's under the race detector (37 s for 4,000);
// three batches of 500 show the batching as well as eight.
func expiredRuns(s store.Store) int64 {
	if s.Dialect() == "sqlite" {
		return 1_500
	}
	return 4_000
}

// TestRetentionUnderSteadyWorkload deletes 4,000 expired runs (1,500 on
// SQLite), with their tasks, attempts, events and logs, in batches, while
// a server's loops and two workers run a steady workload: runs started by
// hand and by a schedule. The workload loses nothing: every run it started is there,
// none of its attempts was fenced or lost, every report was accepted, and
// the schedule fired every second as usual.
func TestRetentionUnderSteadyWorkload(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s store.Store) {
		oldRuns := expiredRuns(s)
		e := engine.New(s, engine.Config{})
		srv := server.New(e, server.Config{Addr: "127.0.0.1:0"})
		ctx := context.Background()
		applied, err := e.Apply(ctx, []engine.Source{{Filename: "live.yaml", Text: []byte(liveDef)},
			{Filename: "history.yaml", Text: []byte(historyDef)}}, "user:test")
		if err != nil {
			t.Fatal(err)
		}
		hist := applied[1]
		first, last := storetest.LoadFinishedRuns(t, s, storetest.FinishedRuns{WorkflowID: hist.Workflow.ID,
			VersionID: hist.Version.ID, Workflow: "history", Runs: int(oldRuns), Tasks: 2,
			FinishedAt: time.Now().Add(-40 * 24 * time.Hour).UnixMilli()})
		// The schedule from now on: loading the history is not part of
		// the workload.
		tickFrom := dbNow(t, s)
		if _, err := e.Apply(ctx, []engine.Source{{Filename: "tick.yaml", Text: []byte(tickDef)}}, "user:test"); err != nil {
			t.Fatal(err)
		}
		if err := srv.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(srv.Stop)

		// The workload: two workers, a run started every 20 ms, the tick
		// schedule every second.
		load, stop := context.WithCancel(ctx)
		var wg sync.WaitGroup
		for _, zone := range []string{"a", "b"} {
			wg.Go(func() { playWorker(load, t, e, zone) })
		}
		var started []int64
		wg.Go(func() {
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-load.Done():
					return
				case <-tick.C:
				}
				st, err := e.StartRun(load, engine.StartRequest{Workflow: "live", Actor: "user:test"})
				if err != nil {
					if load.Err() == nil {
						t.Errorf("start: %v", err)
					}
					return
				}
				started = append(started, st.Run.ID)
			}
		})

		// Retention, in batches of 500 with a short rest between them: it
		// deletes several times faster than the servers' default pace.
		ret := server.NewRetainer(e, server.RetentionConfig{Runs: retainedAge, Batch: 500,
			Pause: 20 * time.Millisecond, RestFactor: 1})
		began := time.Now()
		res := ret.RunOnce(ctx)
		took := time.Since(began)
		// The workload runs for 2 s at least, for its figures.
		time.Sleep(2*time.Second - min(took, 2*time.Second))
		stop()
		wg.Wait()
		tickTo := dbNow(t, s)

		if res.Runs != oldRuns || res.Tasks != 2*oldRuns || res.Attempts != 2*oldRuns || res.Logs != 2*oldRuns ||
			res.Events != 8*oldRuns {
			t.Errorf("deleted %+v, want %d runs with 2 tasks, attempts and log chunks and 8 events each", res, oldRuns)
		}
		if int64(res.Batches) < oldRuns/500 {
			t.Errorf("deleted in %d transactions, want batches of at most 500 runs", res.Batches)
		}
		if n := storetest.RunRows(t, s, first, last); n != 0 {
			t.Errorf("%d rows of the expired runs, or without their run, left", n)
		}
		t.Logf("%s: deleted %d runs (%d rows) in %d batches in %v while %d runs started",
			s.Dialect(), res.Runs, res.Runs+res.Tasks+res.Attempts+res.Events+res.Logs, res.Batches,
			took.Round(time.Millisecond), len(started))

		// The workload lost nothing.
		if len(started) < 20 {
			t.Errorf("only %d runs started during the test", len(started))
		}
		var succeeded int
		for _, id := range started {
			var r store.Run
			err := s.Read(ctx, func(tx store.Tx) (err error) { r, err = tx.Runs().Get(ctx, id); return err })
			if err != nil {
				t.Errorf("live run %d: %v", id, err)
				continue
			}
			if r.State == store.RunSucceeded {
				succeeded++
			} else if r.State != store.RunRunning && r.State != store.RunQueued {
				t.Errorf("live run %d is %s", id, r.State)
			}
		}
		if succeeded < len(started)/2 {
			t.Errorf("%d of %d live runs succeeded", succeeded, len(started))
		}
		for _, kind := range []string{"attempt.fenced", "attempt.lost", "worker.lost", "task.failed"} {
			if n := e.Count(kind); n != 0 {
				t.Errorf("%d %s events during the test, want none", n, kind)
			}
		}
		// The schedule fired once for every due time of the workload, each
		// within the generous bound the schedule tests use (its normal
		// figure is a few milliseconds: a deletion holding the database
		// would show). With catchup: all, a tick the loaded machine made
		// late fires late and is measured, instead of being skipped.
		m := e.Metrics()
		if len(m.ReportsRefused) != 0 || len(m.RenewalsFailed) != 0 {
			t.Errorf("reports refused %v, renewals failed %v; want none", m.ReportsRefused, m.RenewalsFailed)
		}
		ticks := firedUpTo(t, s, "tick", tickTo-time.Second.Milliseconds())
		checkEverySecond(t, ticks, tickFrom)
		if n := e.Count("schedule.missed"); n != 0 {
			t.Errorf("%d due times skipped, want none (catchup: all)", n)
		}
		l := e.Metrics().Lateness
		maxLate := 0.0
		for _, ub := range engine.LatenessBuckets {
			if l.Buckets[ub] < l.Count {
				maxLate = ub
			}
		}
		// Between batches the deletion rests at least as long as the batch
		// took: a tick later than a quarter of the whole deletion (or 5 s)
		// means batches held the database together. (Under -race on a
		// saturated machine, one deletion of 10,000 runs took a minute.)
		if bound := max(5*time.Second, took/4); maxLate >= bound.Seconds() {
			t.Errorf("schedule lateness reached the %v s bucket, want under %v (the deletion took %v)", maxLate,
				bound, took.Round(time.Millisecond))
		}
		t.Logf("%s: schedule fired %d times, mean lateness %.1f ms", s.Dialect(), l.Count, 1000*l.Sum/float64(max(l.Count, 1)))

		// The metrics count what went, and the server's own loop exports
		// them.
		reg := prometheus.NewRegistry()
		reg.MustRegister(ret.Collectors()...)
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]float64{}
		for _, mf := range mfs {
			for _, m := range mf.GetMetric() {
				if mf.GetName() == "baton_retention_deleted_total" {
					got[m.GetLabel()[0].GetValue()] = m.GetCounter().GetValue()
				}
			}
		}
		old := float64(oldRuns)
		want := map[string]float64{"runs": old, "tasks": 2 * old, "attempts": 2 * old, "events": 8 * old, "logs": 2 * old,
			"audit": 0, "request_keys": 0}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("metrics %v, want %v", got, want)
		}
		for kind, n := range want {
			if d := ret.Deleted(kind); float64(d) != n {
				t.Errorf("Deleted(%q) = %d, want %v", kind, d, n)
			}
		}
		ts := httptest.NewServer(srv.Handler())
		defer ts.Close()
		rememberTokens(t, ts.URL, s)
		resp, err := authGet(ts.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, m := range []string{`baton_retention_deleted_total{kind="runs"}`, `baton_loop_duration_seconds_count{loop="retention"}`} {
			if !strings.Contains(string(body), m) {
				t.Errorf("/metrics lacks %s", m)
			}
		}
	})
}

// dbNow is the database's clock, in Unix milliseconds.
func dbNow(t *testing.T, s store.Store) int64 {
	t.Helper()
	var now int64
	err := s.Read(context.Background(), func(tx store.Tx) (err error) { now, err = tx.Schedules().Now(context.Background()); return err })
	if err != nil {
		t.Fatal(err)
	}
	return now
}

// firedUpTo waits (up to 30 s) until workflow's schedule has fired a run
// due at upTo or later, and returns the due times of its runs, in order.
func firedUpTo(t *testing.T, s store.Store, workflow string, upTo int64) []int64 {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var runs []store.Run
		err := s.Read(context.Background(), func(tx store.Tx) (err error) {
			runs, err = tx.Runs().List(context.Background(), store.RunFilter{Workflow: workflow, Limit: 10_000})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		due := make([]int64, 0, len(runs))
		for _, r := range runs {
			due = append(due, r.ScheduledAt)
		}
		slices.Sort(due)
		if len(due) > 0 && due[len(due)-1] >= upTo {
			return due
		}
		if time.Now().After(deadline) {
			t.Fatalf("schedule %s fired %d runs, none due at %d or later after 30 s", workflow, len(due), upTo)
		}
		time.Sleep(50 * time.Millisecond) // polling the database, bounded by the deadline
	}
}

// checkEverySecond checks the due times of an @every 1s schedule applied
// at from: the first within two seconds of it, then every second, none
// missing and none twice.
func checkEverySecond(t *testing.T, due []int64, from int64) {
	t.Helper()
	if len(due) == 0 || due[0] > from+2000 {
		t.Fatalf("first due time %v, want one within 2 s of %d", due, from)
	}
	for i := 1; i < len(due); i++ {
		if due[i]-due[i-1] != 1000 {
			t.Errorf("due times %d and %d fired one after the other, want every second once", due[i-1], due[i])
		}
	}
}
