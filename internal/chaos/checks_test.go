package chaos

import (
	"strings"
	"testing"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/workflow"
)

// The checks on hand-made evidence: each must catch the breach it is for.

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

// testEvidence is one workflow "w" with one task "t", rerunnable or not,
// and the runs given.
func testEvidence(rerunnable bool, runs ...runEvidence) *evidence {
	def := &workflow.Definition{Name: "w", Tasks: []workflow.Task{{Name: "t", Rerunnable: &rerunnable}}}
	sc := &Scenario{Workload: []Load{{Definition: def, Runs: len(runs)}},
		Expect: Expect{Runs: map[string]string{"*": "succeeded"}, Alerts: DefaultAlerts}}
	ev := &evidence{sc: sc, started: map[int64]startedRun{}, workers: map[string]client.Worker{},
		cuts: map[string][]cut{}}
	for _, r := range runs {
		ev.started[r.ID] = startedRun{ID: r.ID, Workflow: "w"}
	}
	ev.runs = runs
	return ev
}

func run(id int64, state string, attempts ...client.Attempt) runEvidence {
	for i := range attempts {
		attempts[i].Task, attempts[i].Number = "t", int64(i+1)
	}
	return runEvidence{RunDetail: client.RunDetail{Run: client.Run{ID: id, Workflow: "w", State: state},
		Tasks: []client.Task{{Name: "t", State: state}}}, Attempts: attempts}
}

func attempt(id int64, state, worker string, dispatched, started, finished int) client.Attempt {
	return client.Attempt{ID: id, State: state, WorkerID: worker, DispatchedAt: at(dispatched), StartedAt: at(started),
		FinishedAt: at(finished)}
}

func wantFail(t *testing.T, c Check, problem string) {
	t.Helper()
	if c.Passed {
		t.Fatalf("%s passed (%s), want it to fail with %q", c.Name, c.Summary, problem)
	}
	if !strings.Contains(strings.Join(c.Problems, "\n"), problem) {
		t.Errorf("%s problems:\n%s\nwant %q", c.Name, strings.Join(c.Problems, "\n"), problem)
	}
}

func wantPass(t *testing.T, c Check) {
	t.Helper()
	if !c.Passed {
		t.Errorf("%s failed: %v", c.Name, c.Problems)
	}
}

func TestCheckRuns(t *testing.T) {
	ev := testEvidence(true, run(1, "succeeded"), run(2, "failed"), run(3, "running"))
	c := checkRuns(ev)
	wantFail(t, c, "run 2 of w ended failed, want succeeded")
	wantFail(t, c, "run 3 of w is still running after settling")
	ev.sc.Expect.Runs["w"] = "terminal" // failed is fine now, running is not
	c = checkRuns(ev)
	wantFail(t, c, "run 3 of w is still running")
	if len(c.Problems) != 1 {
		t.Errorf("problems %v, want only run 3's", c.Problems)
	}
}

func TestCheckFinished(t *testing.T) {
	wantPass(t, checkFinished(testEvidence(true, run(1, "succeeded",
		attempt(10, "lost", "w1", 0, 10, 3000), attempt(11, "succeeded", "w2", 3000, 3100, 6000)))))
	ev := testEvidence(true, run(1, "succeeded",
		attempt(10, "succeeded", "w1", 0, 10, 3000), attempt(11, "succeeded", "w2", 3000, 3100, 6000)))
	wantFail(t, checkFinished(ev), "attempts #1 and #2 both succeeded")
	// The witness saw an attempt start after the success.
	ev = testEvidence(true, run(1, "succeeded", attempt(10, "succeeded", "w1", 0, 10, 3000)))
	ev.witness = Witness{Spans: []Span{{RunID: 1, Task: "t", AttemptID: 10, Start: at(10), Last: at(3000), Ended: true},
		{RunID: 1, Task: "t", AttemptID: 12, Start: at(4000), Last: at(5000)}}}
	wantFail(t, checkFinished(ev), "attempt 12 started 1s after attempt 10 had succeeded")
	// Two ends: a note, and a failure only when ended_once is expected.
	ev = testEvidence(true, run(1, "succeeded", attempt(10, "lost", "w1", 0, 10, 3000),
		attempt(11, "succeeded", "w2", 3000, 3100, 6000)))
	ev.witness = Witness{Spans: []Span{{RunID: 1, Task: "t", AttemptID: 10, Start: at(10), Last: at(2000), Ended: true},
		{RunID: 1, Task: "t", AttemptID: 11, Start: at(3100), Last: at(6000), Ended: true}}}
	c := checkFinished(ev)
	wantPass(t, c)
	if !strings.Contains(c.Summary, "1 attempt(s) ran to their end but their result never counted") {
		t.Errorf("summary %q does not note the lost result", c.Summary)
	}
	ev.sc.Expect.EndedOnce = true
	wantFail(t, checkFinished(ev), "run 1 task t ran to its end 2 times")
}

func TestCheckOverlap(t *testing.T) {
	ev := testEvidence(true)
	ev.witness = Witness{Spans: []Span{{RunID: 1, Task: "t", AttemptID: 10, Start: at(0), Last: at(3500)},
		{RunID: 1, Task: "t", AttemptID: 11, Start: at(3000), Last: at(6000), Ended: true}}}
	wantFail(t, checkOverlap(ev), "attempt 10 last seen 500ms after attempt 11 started")
	ev.sc.Expect.MaxOverlap = time.Second
	wantPass(t, checkOverlap(ev))
}

func TestCheckRerunnable(t *testing.T) {
	good := run(1, "failed", attempt(10, "lost", "w1", 0, 10, 3000))
	good.Tasks[0].Reason = "lost"
	ev := testEvidence(false, good)
	ev.events = []client.Event{{Kind: "alert.task_lost", RunID: 1, Task: "t"}}
	wantPass(t, checkRerunnable(ev))

	ev = testEvidence(false, run(1, "succeeded", attempt(10, "lost", "w1", 0, 10, 3000),
		attempt(11, "succeeded", "w2", 3000, 3100, 6000)))
	c := checkRerunnable(ev)
	wantFail(t, c, "attempt #1 was lost, then attempt #2 ran")
	wantFail(t, c, "lost without an alert.task_lost event")
}

func TestFailoverStatsAndBound(t *testing.T) {
	var attempts []runEvidence
	for i := range 100 {
		// Lost at 0 (the kill), next attempt running (i+1)*10 ms later.
		attempts = append(attempts, run(int64(i+1), "succeeded",
			attempt(int64(2*i+10), "lost", "victim", -100, -90, 500),
			attempt(int64(2*i+11), "succeeded", "other", 600, (i+1)*10, 9000)))
	}
	ev := testEvidence(true, attempts...)
	ev.workers["victim"] = client.Worker{ID: "victim", Name: "a1"}
	ev.cuts["a1"] = []cut{{From: at(0)}}
	st := newFailoverStats(failoverSamples(ev))
	if st.Samples != 100 || st.P50 != Millis(500*time.Millisecond) || st.P99 != Millis(990*time.Millisecond) ||
		st.Max != Millis(time.Second) {
		t.Fatalf("stats %d samples, p50 %v, p99 %v, max %v", st.Samples, st.P50, st.P99, st.Max)
	}
	ev.sc.Expect.Failover = FailoverBound{P99: 5 * time.Second, Min: 1}
	wantPass(t, checkFailover(ev, st))
	ev.sc.Expect.Failover = FailoverBound{Max: time.Millisecond, Min: 200}
	c := checkFailover(ev, st)
	wantFail(t, c, "failover max 1s exceeds the bound 1ms (run 100 task t")
	wantFail(t, c, "100 failovers measured, want at least 200")
}

func TestCheckTicks(t *testing.T) {
	def := &workflow.Definition{Name: "w", Tasks: []workflow.Task{{Name: "t"}},
		Schedules: []workflow.Schedule{{Name: "default", Cron: "@every 1s"}}}
	ev := testEvidence(true)
	ev.sc.Workload[0].Definition = def
	ev.appliedAt, ev.pausedAt = at(0), at(10_000) // due times 1s..7s are checked
	for s := 1; s <= 8; s++ {
		if s == 4 {
			continue // missing
		}
		r := run(int64(s), "succeeded")
		r.CreatedBy, r.ScheduledAt = "schedule:w/default", at(s*1000)
		ev.runs = append(ev.runs, r)
	}
	dup := run(99, "succeeded")
	dup.CreatedBy, dup.ScheduledAt = "schedule:w/default", at(6000)
	ev.runs = append(ev.runs, dup)
	c, ok := checkTicks(ev)
	if !ok {
		t.Fatal("no ticks check for a scheduled workflow")
	}
	wantFail(t, c, "due time 2026-01-01T12:00:06Z has 2 runs")
	wantFail(t, c, "due time 2026-01-01T12:00:04Z has no run and was not recorded as missed or skipped")
	// A due time the catch-up policy skipped is accounted for.
	ev.runs = ev.runs[:len(ev.runs)-1]
	ev.events = []client.Event{{Kind: "schedule.missed", NewState: "2026-01-01T12:00:04Z",
		Reason: "schedule w/default: due 2026-01-01T12:00:04Z skipped: catchup none"}}
	c, _ = checkTicks(ev)
	wantPass(t, c)
}

func TestCheckPriority(t *testing.T) {
	lo := run(1, "succeeded", attempt(10, "succeeded", "w1", 5000, 5010, 9000))
	hi := run(2, "succeeded", attempt(11, "succeeded", "w1", 9000, 9010, 12000))
	lo.CreatedAt, lo.Priority = at(0), 0
	hi.CreatedAt, hi.Priority = at(1000), 10
	wantFail(t, checkPriority(testEvidence(true, lo, hi)), "run 1 (priority 0) started 4s before run 2 (priority 10)")
	hi.Attempts[0].DispatchedAt = at(4000)
	wantPass(t, checkPriority(testEvidence(true, lo, hi)))
}

func TestCheckAlerts(t *testing.T) {
	ev := testEvidence(true)
	ev.alertsFrom = at(0)
	ev.events = []client.Event{
		{ID: 1, At: at(-1000), Kind: "worker.lost", WorkerID: "w0"}, // before the channel applied
		{ID: 2, At: at(1000), Kind: "worker.lost", WorkerID: "w1"},
		{ID: 3, At: at(2000), Kind: "zone.down", Zone: "b"},
		{ID: 4, At: at(3000), Kind: "task.succeeded", RunID: 1}, // not subscribed
	}
	ev.alerts = []Alert{{AlertID: "x", Kind: "worker.lost", WorkerID: "w1"}}
	wantFail(t, checkAlerts(ev), "event 3 zone.down")
	ev.alerts = append(ev.alerts, Alert{AlertID: "y", Kind: "zone.down", Zone: "b"})
	wantPass(t, checkAlerts(ev))
}

func TestLossTime(t *testing.T) {
	ev := testEvidence(true)
	ev.workers["w"] = client.Worker{ID: "w", Name: "a1"}
	ev.cuts["a1"] = []cut{{From: at(1000), To: at(3000)}, {From: at(10_000), To: at(12_000)}}
	ev.cuts[""] = []cut{{From: at(20_000), To: at(24_000)}}
	for _, tc := range []struct {
		name                 string
		dispatched, finished int
		want                 time.Time
		from                 string
	}{
		{"cut while it ran", 0, 4000, at(1000), "fault"},
		{"the latest cut while it ran", 0, 13_000, at(10_000), "fault"},
		{"handed to a worker already cut off", 11_000, 14_000, at(11_000), "fault"},
		{"the database went away", 19_000, 25_000, at(20_000), "fault"},
		{"no fault: when it was declared lost", 4000, 8000, at(8000), "declared"},
	} {
		got, from := lossTime(ev, 1, attempt(1, "lost", "w", tc.dispatched, tc.dispatched, tc.finished))
		if !got.Equal(tc.want) || from != tc.from {
			t.Errorf("%s: loss at %v from the %s, want %v from the %s", tc.name, got.Sub(t0), from, tc.want.Sub(t0), tc.from)
		}
	}
}
