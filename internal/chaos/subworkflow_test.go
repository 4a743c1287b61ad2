package chaos_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/chaos"
)

// TestSubWorkflowSurvivesWorkerKills: a parent run whose middle task is a
// sub-workflow loses a worker while the child's long task runs, then
// another while the parent's last task runs (SIGKILL both). The child's
// task and the parent's task are each retried elsewhere; the sub-workflow
// task itself never restarts (its child run recovered inside), and no
// task that finished ran again.
func TestSubWorkflowSurvivesWorkerKills(t *testing.T) {
	c := newCluster(t, 2, testTiming, "")
	witness := filepath.Join(t.TempDir(), "witness")
	long := chaos.WitnessCommand(witness, 30, 100*time.Millisecond)
	short := chaos.WitnessCommand(witness, 2, 100*time.Millisecond)
	apply(t, c, fmt.Sprintf("name: child\ntasks:\n  - {name: c1, run: %q}\n  - {name: c2, run: %q, needs: [c1]}\n", long, short))
	apply(t, c, fmt.Sprintf("name: parent\ntasks:\n  - {name: p1, run: %q}\n"+
		"  - {name: sub, workflow: child, needs: [p1]}\n  - {name: p2, run: %q, needs: [sub]}\n", short, long))
	workers := map[string]*chaos.Worker{}
	for i, zone := range []string{"a", "b", "c"} {
		name := fmt.Sprintf("w%d", i+1)
		workers[name] = addWorker(t, c, name, zone, 4)
	}
	parent := startRuns(t, c, "parent", 1)[0]

	var child int64
	eventually(t, time.Minute, "the child run", func() bool {
		page, err := c.Client().Runs(t.Context(), client.RunFilter{Workflow: "child", Limit: 10})
		if err != nil || len(page.Items) != 1 {
			return false
		}
		child = page.Items[0].ID
		return true
	})
	killRunning(t, c, workers, child, "c1")
	killRunning(t, c, workers, parent, "p2")

	runs := waitRuns(t, c, []int64{parent, child}, 2*time.Minute)
	wantSucceeded(t, runs)
	if r := runs[child]; r.ParentRunID != parent {
		t.Errorf("child run %d has parent %d, want %d", child, r.ParentRunID, parent)
	}
	for _, tc := range []struct {
		run  int64
		task string
		want []string
	}{
		{child, "c1", []string{"lost", "succeeded"}},
		{parent, "p2", []string{"lost", "succeeded"}},
		{parent, "sub", []string{"succeeded"}},
	} {
		var got []string
		for _, a := range attempts(t, c, tc.run) {
			if a.Task == tc.task {
				got = append(got, a.State)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("run %d task %s: attempts %v, want %v", tc.run, tc.task, got, tc.want)
		}
	}
	wantOneSuccessEach(t, c, []int64{parent, child}, readWitness(t, witness))
}

// killRunning waits until the task of a run has run a few ticks and kills
// (SIGKILL) the worker running it.
func killRunning(t *testing.T, c *chaos.Cluster, workers map[string]*chaos.Worker, runID int64, task string) {
	t.Helper()
	var workerID string
	eventually(t, time.Minute, fmt.Sprintf("run %d task %s running", runID, task), func() bool {
		for _, a := range attempts(t, c, runID) {
			if a.Task == task && a.State == "running" && time.Since(a.StartedAt) > 500*time.Millisecond {
				workerID = a.WorkerID
				return true
			}
		}
		return false
	})
	for name, w := range workers {
		ids, err := c.WorkerIDs(t.Context(), name)
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(ids, workerID) {
			if err := w.Kill(); err != nil {
				t.Fatal(err)
			}
			delete(workers, name)
			return
		}
	}
	t.Fatalf("no live worker has ID %s", workerID)
}
