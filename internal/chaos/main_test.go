package chaos_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/chaos"
	"github.com/baton-sched/baton/internal/store/storetest"
)

// binary is the baton binary the clusters of this package run, built once
// by TestMain.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "baton-chaos-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "baton")
	build := exec.Command("go", "build", "-o", binary, "github.com/baton-sched/baton/cmd/baton")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build baton: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// testTiming detects failures fast but leaves a loaded test machine some
// slack: a worker fences itself 1.6 s after its last renewal; its lease
// ends on the servers at 2 s.
var testTiming = chaos.Timing{LeaseTTL: 2 * time.Second, HeartbeatInterval: 500 * time.Millisecond,
	SweepInterval: 250 * time.Millisecond}

// newCluster starts a cluster of servers on a fresh database of the test
// Postgres server, or on dsn when given. Its processes are killed when the
// test ends; if the test failed, the end of each process's log is printed.
func newCluster(t *testing.T, servers int, timing chaos.Timing, dsn string) *chaos.Cluster {
	t.Helper()
	if dsn == "" {
		dsn = storetest.CreateDatabase(t)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	c, err := chaos.Start(ctx, chaos.Config{Binary: binary, Dir: t.TempDir(), DSN: dsn, Servers: servers, Timing: timing})
	if err != nil {
		t.Fatalf("start cluster: %v", err)
	}
	t.Cleanup(func() {
		c.Close()
		if t.Failed() {
			for _, s := range c.Servers() {
				dumpLog(t, s.Process)
			}
			for _, w := range c.Workers() {
				dumpLog(t, w.Process)
			}
		}
	})
	return c
}

func dumpLog(t *testing.T, p *chaos.Process) {
	f, err := os.Open(p.LogPath)
	if err != nil {
		return
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	t.Logf("---- last lines of %s:\n%s", p.Name, strings.Join(lines[max(0, len(lines)-40):], "\n"))
}

func addWorker(t *testing.T, c *chaos.Cluster, name, zone string, capacity float64) *chaos.Worker {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	w, err := c.AddWorker(ctx, chaos.WorkerSpec{Name: name, Zone: zone, Capacity: capacity})
	if err != nil {
		t.Fatalf("add worker %s: %v", name, err)
	}
	return w
}

func apply(t *testing.T, c *chaos.Cluster, def string) {
	t.Helper()
	if _, err := c.Client().Apply(t.Context(), []client.SourceFile{{Filename: "test.yaml", Content: def}}); err != nil {
		t.Fatalf("apply: %v", err)
	}
}

func startRuns(t *testing.T, c *chaos.Cluster, workflow string, n int) []int64 {
	t.Helper()
	ids := make([]int64, n)
	for i := range ids {
		r, err := c.Client().StartRun(t.Context(), workflow, client.StartRunRequest{
			IdempotencyKey: fmt.Sprintf("%s-%d", workflow, i)})
		if err != nil {
			t.Fatalf("start run %d of %s: %v", i, workflow, err)
		}
		ids[i] = r.ID
	}
	return ids
}

// eventually polls cond every 50 ms until it holds or timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond) // poll interval
	}
}

// waitRuns waits until every run ended and returns them.
func waitRuns(t *testing.T, c *chaos.Cluster, ids []int64, timeout time.Duration) map[int64]client.RunDetail {
	t.Helper()
	out := map[int64]client.RunDetail{}
	eventually(t, timeout, fmt.Sprintf("%d runs to end", len(ids)), func() bool {
		for _, id := range ids {
			if r, ok := out[id]; ok && r.Terminal() {
				continue
			}
			r, err := c.Client().Run(t.Context(), id)
			if err != nil || !r.Terminal() {
				return false
			}
			out[id] = r
		}
		return true
	})
	return out
}

// wantSucceeded checks that every run succeeded.
func wantSucceeded(t *testing.T, runs map[int64]client.RunDetail) {
	t.Helper()
	for id, r := range runs {
		if r.State != "succeeded" {
			t.Errorf("run %d ended %s: %s", id, r.State, r.Reason)
		}
	}
}

// attempts returns every attempt of a run, by task and number.
func attempts(t *testing.T, c *chaos.Cluster, runID int64) []client.Attempt {
	t.Helper()
	as, err := c.Client().Attempts(t.Context(), runID)
	if err != nil {
		t.Fatalf("attempts of run %d: %v", runID, err)
	}
	return as
}

// wantOneSuccessEach checks "finished stays finished" from both sides: in
// the database every task has at most one succeeded attempt, its last; in
// the witness no task ran to its end twice.
func wantOneSuccessEach(t *testing.T, c *chaos.Cluster, runIDs []int64, w chaos.Witness) {
	t.Helper()
	for _, id := range runIDs {
		byTask := map[string][]client.Attempt{}
		for _, a := range attempts(t, c, id) {
			byTask[a.Task] = append(byTask[a.Task], a)
		}
		for task, as := range byTask {
			n := 0
			for _, a := range as {
				if a.State == "succeeded" {
					n++
				}
			}
			if n > 1 || (n == 1 && as[len(as)-1].State != "succeeded") {
				t.Errorf("run %d task %s: attempts %v, want one success, the last", id, task, states(as))
			}
		}
	}
	ended := map[string]int{}
	for _, s := range w.Spans {
		if s.Ended {
			ended[fmt.Sprintf("run %d task %s", s.RunID, s.Task)]++
		}
	}
	for k, n := range ended {
		if n > 1 {
			t.Errorf("%s ran to its end %d times", k, n)
		}
	}
}

func states(as []client.Attempt) []string {
	var out []string
	for _, a := range as {
		out = append(out, fmt.Sprintf("#%d %s on %s", a.Number, a.State, a.WorkerID))
	}
	return out
}

// wantNoOverlapBeyond checks that no two attempts of one task ran at once
// for longer than limit, and logs the largest overlap seen.
func wantNoOverlapBeyond(t *testing.T, w chaos.Witness, limit time.Duration) {
	t.Helper()
	o, ok := w.MaxOverlap()
	if !ok {
		t.Fatal("the witness shows no task with two attempts: the fault did not hit a running task")
	}
	t.Logf("largest overlap: %v (negative: a gap)", o.By)
	if o.By > limit {
		t.Errorf("two attempts ran at once for longer than %v: %v", limit, o)
	}
}

// events lists the events of a kind.
func events(t *testing.T, c *chaos.Cluster, kind string) []client.Event {
	t.Helper()
	page, err := c.Client().Events(t.Context(), client.EventFilter{Kind: kind, Limit: 10000})
	if err != nil {
		t.Fatalf("events %s: %v", kind, err)
	}
	return page.Items
}

// runningOn waits until the run's task named task runs on a worker of the
// given name, and returns the attempt.
func runningOn(t *testing.T, c *chaos.Cluster, runID int64, task, workerName string) client.Attempt {
	t.Helper()
	var got client.Attempt
	eventually(t, 30*time.Second, fmt.Sprintf("run %d task %s to run on %s", runID, task, workerName), func() bool {
		ids, err := c.WorkerIDs(t.Context(), workerName)
		if err != nil {
			return false
		}
		for _, a := range attempts(t, c, runID) {
			if a.Task == task && a.State == "running" && slices.Contains(ids, a.WorkerID) {
				got = a
				return true
			}
		}
		return false
	})
	return got
}

// witnessed waits until the witness shows each attempt's task process
// running: its start line written, its end line not. An attempt reads
// running in the database once its worker spawned the process, which on a
// loaded machine can be well before the shell writes its first line; a
// fault injected in between kills an attempt the witness never saw.
func witnessed(t *testing.T, path string, as []client.Attempt) {
	t.Helper()
	eventually(t, 30*time.Second, fmt.Sprintf("the witness to show %d attempts running", len(as)), func() bool {
		w, err := chaos.ReadWitness(path)
		if err != nil {
			return false
		}
		seen := map[int64]bool{}
		for _, s := range w.Spans {
			seen[s.AttemptID] = !s.Ended
		}
		for _, a := range as {
			if !seen[a.ID] {
				return false
			}
		}
		return true
	})
}

// readWitness reads a witness file or fails the test.
func readWitness(t *testing.T, path string) chaos.Witness {
	t.Helper()
	w, err := chaos.ReadWitness(path)
	if err != nil {
		t.Fatal(err)
	}
	return w
}
