package chaos_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/chaos"
)

// TestDrainZoneWithReschedule: draining a zone with reschedule stops its
// running rerunnable tasks, which run again in another zone (never two at
// once), and its workers exit once idle. Every step is in the audit trail
// with the operator who asked.
func TestDrainZoneWithReschedule(t *testing.T) {
	c, witness := sleepyCluster(t, 1, 40, "")
	b1 := addWorker(t, c, "b1", "b", 2)
	runs := startRuns(t, c, "sleepy", 2)
	for _, id := range runs {
		runningOn(t, c, id, "work", "b1")
	}
	addWorker(t, c, "a1", "a", 2)
	z, err := c.Client().ZoneAction(t.Context(), "b", "drain", client.DrainRequest{Reschedule: true, Reason: "rack move"})
	if err != nil || !z.Cordoned {
		t.Fatalf("drain zone b: %+v %v", z, err)
	}
	wantSucceeded(t, waitRuns(t, c, runs, time.Minute))
	for _, id := range runs {
		as := attempts(t, c, id)
		if len(as) != 2 || as[0].State != "cancelled" || as[1].State != "succeeded" || as[1].Zone != "a" {
			t.Errorf("run %d attempts %v, want cancelled in b, then succeeded in a", id, states(as))
		}
	}
	w := readWitness(t, witness)
	wantNoOverlapBeyond(t, w, 0)
	wantOneSuccessEach(t, c, runs, w)
	select {
	case <-b1.Exited():
	case <-time.After(30 * time.Second):
		t.Fatal("the drained worker did not exit")
	}
	if code := b1.ExitCode(); code != 0 {
		t.Errorf("drained worker exited with %d, want 0", code)
	}
	for kind, want := range map[string]int{"zone.cordoned": 1, "worker.draining": 1, "attempt.stop_requested": 2} {
		evs := events(t, c, kind)
		if len(evs) != want {
			t.Errorf("%d %s events, want %d", len(evs), kind, want)
		}
		for _, e := range evs {
			if e.Actor != "token:bootstrap" || e.Reason != "rack move" {
				t.Errorf("%s event by %q for %q, want the operator and the reason", kind, e.Actor, e.Reason)
			}
		}
	}
}

// TestOperatorActionsScenario: every operator action of the timeline
// works against a real cluster, and the limits check passes when the
// servers keep a slot and max_active_runs.
func TestOperatorActionsScenario(t *testing.T) {
	r := runScenario(t, "testdata/operator-actions.yaml", false, nil)
	if !r.Passed {
		t.Fatalf("scenario failed:\n%s", strings.Join(r.Failures(), "\n"))
	}
	var actions []string
	for _, f := range r.Faults {
		actions = append(actions, f.Action)
	}
	all := strings.Join(actions, "\n")
	for _, want := range []string{"slot db size 1", "cordon zone b", "pause run", "resume run", "cancel run",
		"uncordon zone b", "slot db size 2", "rerun run", "drain worker b2"} {
		if !strings.Contains(all, want) {
			t.Errorf("no %q among the actions:\n%s", want, all)
		}
	}
	limits := slices.IndexFunc(r.Checks, func(c chaos.Check) bool { return c.Name == "limits" })
	if limits < 0 || !strings.Contains(r.Checks[limits].Summary, "slot db at most") {
		t.Errorf("checks %+v, want a limits check of slot db", r.Checks)
	}
}
