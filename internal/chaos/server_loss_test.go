package chaos_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/chaos"
)

// pipeline is a workflow of two short tasks in a chain.
func pipeline(witness string) string {
	cmd := chaos.WitnessCommand(witness, 3, 100*time.Millisecond)
	return fmt.Sprintf("name: pipeline\ntasks:\n  - {name: extract, run: %q}\n  - {name: load, needs: [extract], run: %q}\n", cmd, cmd)
}

// succeededCount counts the runs among ids that succeeded.
func succeededCount(t *testing.T, c *chaos.Cluster, ids []int64) int {
	n := 0
	for _, id := range ids {
		if r, err := c.Client().Run(t.Context(), id); err == nil && r.State == "succeeded" {
			n++
		}
	}
	return n
}

// TestServerKilledMidRuns: one of two servers is killed in the middle of
// 100 runs. Every run succeeds, none is doubled, and the workers move to
// the other server within their lease: none is declared lost.
func TestServerKilledMidRuns(t *testing.T) {
	c := newCluster(t, 2, testTiming, "")
	witness := filepath.Join(t.TempDir(), "witness")
	apply(t, c, pipeline(witness))
	for i, zone := range []string{"a", "a", "b", "b"} {
		addWorker(t, c, fmt.Sprintf("%s%d", zone, i), zone, 5)
	}
	runs := startRuns(t, c, "pipeline", 100)
	eventually(t, time.Minute, "a fifth of the runs to succeed", func() bool { return succeededCount(t, c, runs) >= 20 })
	if err := c.Servers()[0].Kill(); err != nil {
		t.Fatal(err)
	}
	done := waitRuns(t, c, runs, 2*time.Minute)
	wantSucceeded(t, done)
	wantOneSuccessEach(t, c, runs, readWitness(t, witness))
	if lost := events(t, c, "worker.lost"); len(lost) != 0 {
		t.Errorf("workers declared lost after a server died: %+v", lost)
	}
	// Work started after the kill is served by the survivor alone.
	wantSucceeded(t, waitRuns(t, c, startRuns(t, c, "pipeline", 5), time.Minute))
}

// TestPostgresRestartMidRuns: the database goes down for four seconds in
// the middle of runs and comes back. Servers and workers retry through
// it; every run succeeds, no run is created twice and no task runs to its
// end twice.
func TestPostgresRestartMidRuns(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	pg, err := chaos.StartPostgres(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pg.Close)
	if err := pg.CreateDatabase(ctx, "baton"); err != nil {
		t.Fatal(err)
	}
	// Default timing: a restart shorter than the lease fences nothing.
	c := newCluster(t, 2, chaos.Timing{}, pg.DSN("baton"))
	witness := filepath.Join(t.TempDir(), "witness")
	apply(t, c, pipeline(witness))
	for i, zone := range []string{"a", "b", "c"} {
		addWorker(t, c, fmt.Sprintf("%s%d", zone, i), zone, 4)
	}
	runs := startRuns(t, c, "pipeline", 60)
	eventually(t, time.Minute, "some runs to succeed", func() bool { return succeededCount(t, c, runs) >= 10 })
	// Down for longer than the 3 s lease: nobody can renew meanwhile, and
	// workers hold the results of tasks that ended during the outage. The
	// first sweep after it extends the leases instead of declaring every
	// worker lost, so those results are accepted, not run again.
	down, err := pg.Restart(ctx, 4*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("postgres refused connections for %v", down)
	done := waitRuns(t, c, runs, 2*time.Minute)
	wantSucceeded(t, done)
	again := 0
	for _, id := range runs {
		again += len(attempts(t, c, id)) - 2
	}
	t.Logf("attempts run again after the outage: %d; workers declared lost: %d; sweeps resumed: %d",
		again, len(events(t, c, "worker.lost")), len(events(t, c, "sweeper.resumed")))
	wantOneSuccessEach(t, c, runs, readWitness(t, witness))
	page, err := c.Client().Runs(t.Context(), client.RunFilter{Limit: 1000})
	if err != nil || len(page.Items) != len(runs) {
		t.Errorf("runs in the database: %d (%v), want %d: none doubled", len(page.Items), err, len(runs))
	}
}
