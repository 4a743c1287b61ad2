package chaos_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/chaos"
)

// ticking defines a workflow of one noop task due every second.
func ticking(name, catchup, overlap, task string) string {
	return fmt.Sprintf("name: %s\ntasks:\n  - {name: t, %s}\nschedule: {cron: \"@every 1s\", catchup: %s, overlap: %s}\n",
		name, task, catchup, overlap)
}

// hold lets the scenario run for d: the time passing is what is tested.
func hold(t *testing.T, d time.Duration) {
	select {
	case <-t.Context().Done():
	case <-time.After(d):
	}
}

// scheduledRuns returns the runs of a workflow by due time, failing on a
// due time with two runs.
func scheduledRuns(t *testing.T, c *chaos.Cluster, workflow string) map[time.Time]client.Run {
	t.Helper()
	page, err := c.Client().Runs(t.Context(), client.RunFilter{Workflow: workflow, Limit: 1000})
	if err != nil {
		t.Fatalf("runs of %s: %v", workflow, err)
	}
	out := map[time.Time]client.Run{}
	for _, r := range page.Items {
		due := r.ScheduledAt.UTC()
		if prev, dup := out[due]; dup {
			t.Errorf("%s: due time %s fired twice: runs %d and %d", workflow, due.Format(time.RFC3339), prev.ID, r.ID)
		}
		out[due] = r
	}
	return out
}

// seconds returns the whole seconds from..to, both included.
func seconds(from, to time.Time) []time.Time {
	var out []time.Time
	for s := from.Truncate(time.Second); !s.After(to); s = s.Add(time.Second) {
		if !s.Before(from) {
			out = append(out, s.UTC())
		}
	}
	return out
}

func restartServer(t *testing.T, c *chaos.Cluster, s *chaos.Server) {
	t.Helper()
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := c.WaitReady(ctx, s); err != nil {
		t.Fatal(err)
	}
}

// TestScheduleTicksOnceWhileServersDie: three servers run the schedule
// loop of an "@every 1s" schedule for a minute while each in turn is
// SIGKILLed and restarted. Every due time in the window has exactly one
// run: none missing, none doubled.
func TestScheduleTicksOnceWhileServersDie(t *testing.T) {
	c := newCluster(t, 3, testTiming, "")
	apply(t, c, ticking("ticks", "all", "allow_all", "noop: true"))
	began := time.Now()
	for i := 0; time.Since(began) < time.Minute; i++ {
		hold(t, 3*time.Second)
		s := c.Servers()[i%3]
		if err := s.Kill(); err != nil {
			t.Fatal(err)
		}
		hold(t, 2*time.Second)
		restartServer(t, c, s)
	}
	end := time.Now()
	// Every due time from the first run's to a moment before the end (the
	// loop fires a due time within a second) has its run.
	runs := scheduledRuns(t, c, "ticks")
	var first time.Time
	for due := range runs {
		if first.IsZero() || due.Before(first) {
			first = due
		}
	}
	want := seconds(first, end.Add(-2*time.Second))
	var missing []string
	for _, due := range want {
		if _, ok := runs[due]; !ok {
			missing = append(missing, due.Format(time.TimeOnly))
		}
	}
	if len(missing) > 0 || len(want) < 55 {
		t.Errorf("%d due times in %s..%s, missing runs for %v", len(want), first.Format(time.TimeOnly),
			end.Format(time.TimeOnly), missing)
	}
	if skipped := events(t, c, "schedule.missed"); len(skipped) > 0 {
		t.Errorf("ticks skipped with a server always up: %+v", skipped[0])
	}
}

// TestScheduleCatchupAfterFullOutage: every server is down for 10 s. When
// they come back, `all` fires every missed due time, `latest` the latest
// one only and `none` none, recording the skipped due times as events.
func TestScheduleCatchupAfterFullOutage(t *testing.T) {
	c := newCluster(t, 2, testTiming, "")
	for _, p := range []string{"all", "latest", "none"} {
		apply(t, c, ticking("catchup-"+p, p, "allow_all", "noop: true"))
	}
	hold(t, 3*time.Second)
	down := time.Now()
	for _, s := range c.Servers() {
		if err := s.Kill(); err != nil {
			t.Fatal(err)
		}
	}
	hold(t, 10*time.Second)
	up := time.Now()
	for _, s := range c.Servers() {
		restartServer(t, c, s)
	}
	hold(t, 3*time.Second)
	// Due times certainly missed: due while every server was down.
	missed := seconds(down.Add(time.Second), up)
	skipped := map[string][]time.Time{}
	firstPass := map[string]time.Time{} // per workflow: its first firing after the outage
	for _, e := range events(t, c, "schedule.missed") {
		wf, _, _ := strings.Cut(strings.TrimPrefix(e.Reason, "schedule "), "/")
		due, err := time.Parse(time.RFC3339, e.NewState)
		if err != nil {
			t.Fatalf("skipped event without a due time: %+v", e)
		}
		skipped[wf] = append(skipped[wf], due.UTC())
		if p, ok := firstPass[wf]; !ok || e.At.Before(p) {
			firstPass[wf] = e.At
		}
	}
	count := func(runs map[time.Time]client.Run, from, to time.Time) int {
		n := 0
		for due := range runs {
			if !due.Before(from) && !due.After(to) {
				n++
			}
		}
		return n
	}
	all := scheduledRuns(t, c, "catchup-all")
	for _, due := range missed {
		if _, ok := all[due]; !ok {
			t.Errorf("catchup all: no run for %s, missed in the outage", due.Format(time.TimeOnly))
		}
	}
	if len(skipped["catchup-all"]) > 0 {
		t.Errorf("catchup all skipped %v", skipped["catchup-all"])
	}
	// latest: of the due times up to the first pass after the outage, one
	// fires, the others are skipped.
	latest := scheduledRuns(t, c, "catchup-latest")
	if n := count(latest, down.Add(time.Second), firstPass["catchup-latest"]); n != 1 {
		t.Errorf("catchup latest: %d runs due in the outage, want 1", n)
	}
	if n := len(skipped["catchup-latest"]); n < len(missed)-1 {
		t.Errorf("catchup latest: %d due times skipped, want at least %d", n, len(missed)-1)
	}
	none := scheduledRuns(t, c, "catchup-none")
	if n := count(none, down.Add(time.Second), up.Add(-time.Second)); n != 0 {
		t.Errorf("catchup none: %d runs due in the outage, want 0", n)
	}
	for _, due := range seconds(down.Add(time.Second), up.Add(-time.Second)) {
		if !slices.ContainsFunc(skipped["catchup-none"], due.Equal) {
			t.Errorf("catchup none: due time %s neither fired nor recorded as skipped", due.Format(time.TimeOnly))
		}
	}
	t.Logf("outage %s..%s: all %d runs, latest %d, none %d; skipped: latest %d, none %d",
		down.Format(time.TimeOnly), up.Format(time.TimeOnly), len(all), len(latest), len(none),
		len(skipped["catchup-latest"]), len(skipped["catchup-none"]))
}

// TestScheduleOverlapSkipAcrossFailover: a task slower than its schedule's
// interval, overlap skip: two runs of the schedule are never active at
// once, also when the server that fired the last run is killed.
func TestScheduleOverlapSkipAcrossFailover(t *testing.T) {
	c := newCluster(t, 2, testTiming, "")
	addWorker(t, c, "w1", "a", 4)
	addWorker(t, c, "w2", "b", 4)
	apply(t, c, ticking("slow", "all", "skip", `run: "sleep 2.5"`))
	hold(t, 6*time.Second)
	if err := c.Servers()[0].Kill(); err != nil {
		t.Fatal(err)
	}
	hold(t, 6*time.Second)
	restartServer(t, c, c.Servers()[0])
	if err := c.Servers()[1].Kill(); err != nil {
		t.Fatal(err)
	}
	hold(t, 6*time.Second)
	runs := slices.Collect(maps.Values(scheduledRuns(t, c, "slow")))
	slices.SortFunc(runs, func(a, b client.Run) int { return a.CreatedAt.Compare(b.CreatedAt) })
	if len(runs) < 4 {
		t.Fatalf("%d runs in 18 s of a slow task due every second, want at least 4", len(runs))
	}
	for i := 1; i < len(runs); i++ {
		prev := runs[i-1]
		if prev.FinishedAt.IsZero() || runs[i].CreatedAt.Before(prev.FinishedAt) {
			t.Errorf("run %d (created %s) began while run %d was active (finished %s)", runs[i].ID,
				runs[i].CreatedAt.Format(time.StampMilli), prev.ID, prev.FinishedAt.Format(time.StampMilli))
		}
	}
	if n := len(events(t, c, "schedule.skipped")); n == 0 {
		t.Error("no due time skipped for overlap")
	}
}
