package chaos_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/baton-sched/baton/internal/chaos"
)

// TestPartitionedWorkerFencesItself: a worker cut off from every server
// for longer than its lease kills its task itself, before the replacement
// starts elsewhere; once the partition heals, its late report of the
// fenced attempt is refused (409) and the replacement's result stands.
func TestPartitionedWorkerFencesItself(t *testing.T) {
	c, witness := sleepyCluster(t, 2, 40, "")
	cut, run, old := stranded(t, c, "cut")
	runs := []int64{run}
	if err := cut.Partition(); err != nil {
		t.Fatal(err)
	}
	runningOn(t, c, runs[0], "work", "other")
	if err := cut.Heal(); err != nil {
		t.Fatal(err)
	}
	wantSucceeded(t, waitRuns(t, c, runs, 30*time.Second))

	w := readWitness(t, witness)
	spans := w.Attempts(runs[0], "work")
	if len(spans) != 2 || spans[0].AttemptID != old.ID || spans[0].Ended || !spans[1].Ended {
		t.Fatalf("witness %+v, want the cut-off attempt killed and the replacement finished", spans)
	}
	wantNoOverlapBeyond(t, w, 0)
	wantRefused(t, c, old.ID)
	wantOneSuccessEach(t, c, runs, w)
}

// TestFrozenWorkerDoesNotRunOn: a worker stopped with SIGSTOP past its
// lease and resumed after its task was handed over: the old task process
// was killed by its shim when the lease ran out, so it does not run on
// after SIGCONT, and the replacement's result stands.
func TestFrozenWorkerDoesNotRunOn(t *testing.T) {
	c, witness := sleepyCluster(t, 1, 40, "")
	frozen, run, old := stranded(t, c, "frozen")
	runs := []int64{run}
	if err := frozen.Freeze(); err != nil {
		t.Fatal(err)
	}
	runningOn(t, c, runs[0], "work", "other")
	thawed := time.Now()
	if err := frozen.Thaw(); err != nil {
		t.Fatal(err)
	}
	wantSucceeded(t, waitRuns(t, c, runs, 30*time.Second))

	w := readWitness(t, witness)
	spans := w.Attempts(runs[0], "work")
	if len(spans) != 2 || spans[0].AttemptID != old.ID || spans[0].Ended || !spans[1].Ended {
		t.Fatalf("witness %+v, want the frozen worker's attempt stopped and the replacement finished", spans)
	}
	if spans[0].Last.After(thawed) {
		t.Errorf("the old attempt ran on after SIGCONT: last seen %v after", spans[0].Last.Sub(thawed))
	}
	wantNoOverlapBeyond(t, w, 0)
	as := attempts(t, c, runs[0])
	if len(as) != 2 || as[0].State != "lost" || as[1].State != "succeeded" {
		t.Errorf("attempts %v, want lost then succeeded", states(as))
	}
	wantOneSuccessEach(t, c, runs, w)
	wantRefused(t, c, old.ID)
}

// wantRefused waits for the servers to refuse a late report of a
// superseded attempt: the worker reported what it did once it could.
func wantRefused(t *testing.T, c *chaos.Cluster, attemptID int64) {
	t.Helper()
	eventually(t, 30*time.Second, fmt.Sprintf("the late report of attempt %d to be refused", attemptID), func() bool {
		for _, e := range events(t, c, "attempt.report_refused") {
			if e.AttemptID == attemptID {
				return true
			}
		}
		return false
	})
}
