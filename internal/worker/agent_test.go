package worker

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/baton-sched/baton/client"
)

// Protocol timing of the fake servers: the local lease deadline is 800ms
// after a heartbeat was sent.
const (
	testTTL      = time.Second
	testInterval = 100 * time.Millisecond
)

type agentTest struct {
	t    *testing.T
	fake *fakeServer
	a    *Agent
	cfg  Config
	dir  string // for files tasks write (PIDs)
}

// newAgentTest starts an agent against a fake server.
func newAgentTest(t *testing.T, mutate func(*Config)) *agentTest {
	t.Helper()
	return newScriptedAgentTest(t, nil, mutate)
}

// newScriptedAgentTest starts an agent against a fake server scripted
// before the agent starts.
func newScriptedAgentTest(t *testing.T, script func(*fakeServer), mutate func(*Config)) *agentTest {
	t.Helper()
	x := &agentTest{t: t, fake: newFakeServer(t, testTTL, testInterval), dir: t.TempDir()}
	if script != nil {
		x.fake.set(script)
	}
	x.cfg = Config{
		Servers: []string{x.fake.URL}, Name: "test-worker", Zone: "z1", Capacity: 4,
		WorkDir: t.TempDir(), Shim: testShim(t),
		KillGrace: 500 * time.Millisecond, ShutdownGrace: 5 * time.Second, FlushTimeout: 5 * time.Second,
		ClaimWait: 5 * time.Second, RequestTimeout: 2 * time.Second,
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond,
		LogFlushInterval: 50 * time.Millisecond, Logger: testLogger(t),
	}
	if mutate != nil {
		mutate(&x.cfg)
	}
	a, err := New(x.cfg)
	if err != nil {
		t.Fatal(err)
	}
	x.a = a
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Stop)
	return x
}

// assignment is an attempt of a task running command; the task can find
// the test's directory in $TESTDIR.
func (x *agentTest) assignment(id int64, command string) client.Assignment {
	return client.Assignment{AttemptID: id, Number: 1, RunID: 7, TaskID: id * 10, Task: "t" + fmt.Sprint(id),
		Workflow: "wf", Command: command, CU: 1, Env: map[string]string{"TESTDIR": x.dir}}
}

// sleeper runs a task that records its PIDs (shell, background sleep) in
// $TESTDIR/<id>.pids and sleeps; it returns them once the task started.
func (x *agentTest) sleeper(id int64) []int {
	x.fake.enqueue(x.assignment(id, fmt.Sprintf(`sleep 60 & echo $$ $! > "$TESTDIR/%d.pids"; wait`, id)))
	x.fake.waitReport(x.t, id, "start")
	return readPIDs(x.t, filepath.Join(x.dir, fmt.Sprintf("%d.pids", id)), 2)
}

// waitIdle waits until the agent runs nothing.
func (x *agentTest) waitIdle() {
	x.t.Helper()
	waitFor(x.t, 10*time.Second, "no running attempts", func() bool { return len(x.a.Running()) == 0 })
}

func TestAgentRunsTask(t *testing.T) {
	x := newAgentTest(t, nil)
	asg := x.assignment(101, `
echo "hello $GREETING from $BATON_TASK"
echo oops >&2
for v in RUN_ID WORKFLOW TASK ATTEMPT ATTEMPT_ID; do eval echo "$v=\$BATON_$v"; done
[ "$(pwd)" = "$BATON_WORKDIR" ] && echo "cwd ok"
printf 'file=/data/x.csv\n# comment\n\nnot a pair\nrows = 42\n' > "$BATON_OUTPUT"
`)
	asg.Number, asg.Env["GREETING"] = 2, "hi"
	x.fake.enqueue(asg)
	fin := x.fake.waitReport(t, 101, "finish")
	want := []gotReport{
		{WorkerID: "w-1", Report: client.Report{AttemptID: 101, Kind: "start"}, Status: http.StatusOK},
		{WorkerID: "w-1", Report: client.Report{AttemptID: 101, Kind: "finish", State: "succeeded",
			Outputs: map[string]string{"file": "/data/x.csv", "rows": " 42"}}, Status: http.StatusOK},
	}
	if diff := cmp.Diff(want, x.fake.reportsOf(101)); diff != "" {
		t.Errorf("reports (-want +got):\n%s\nfinish: %+v", diff, fin)
	}
	// Standard error is in the output where it was written; Baton's own
	// notes are on stderr.
	wantOut := "hello hi from t101\noops\nRUN_ID=7\nWORKFLOW=wf\nTASK=t101\nATTEMPT=2\nATTEMPT_ID=101\ncwd ok\n"
	if got := x.fake.output(101, "stdout"); got != wantOut {
		t.Errorf("stdout = %q, want %q", got, wantOut)
	}
	wantErr := "[baton] BATON_OUTPUT line 4 is not key=value: \"not a pair\"\n"
	if got := x.fake.output(101, "stderr"); got != wantErr {
		t.Errorf("stderr = %q, want %q", got, wantErr)
	}
	reg := get(x.fake, func(f *fakeServer) []client.RegisterRequest { return f.registrations })
	if len(reg) != 1 || reg[0].Name != "test-worker" || reg[0].Zone != "z1" || reg[0].Capacity != 4 {
		t.Errorf("registrations = %+v", reg)
	}
	x.waitIdle()
	// The directory goes once the finish report is queued, just after it.
	waitFor(t, 10*time.Second, "the attempt directory removed", func() bool {
		matches, _ := filepath.Glob(filepath.Join(x.cfg.WorkDir, "attempts", "*"))
		return len(matches) == 0
	})
}

func TestAgentReportsFailureAndTimeout(t *testing.T) {
	x := newAgentTest(t, nil)
	slow := x.assignment(102, `trap '' TERM; sleep 60 & echo $$ $! > "$TESTDIR/102.pids"; wait`)
	// Long enough for a loaded machine's shell to set its trap and write
	// the pid file before the timeout: the test is about what follows.
	slow.Timeout = 2 * time.Second
	x.fake.enqueue(x.assignment(101, `exit 3`), slow)
	pids := readPIDs(t, filepath.Join(x.dir, "102.pids"), 2)
	got := []client.Report{x.fake.waitReport(t, 101, "finish").Report, x.fake.waitReport(t, 102, "finish").Report}
	want := []client.Report{
		{AttemptID: 101, Kind: "finish", State: "failed", ExitCode: 3, Reason: "exit status 3"},
		{AttemptID: 102, Kind: "finish", State: "timed_out", ExitCode: 137, Reason: "timed out after 2s"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("finish reports (-want +got):\n%s", diff)
	}
	waitDead(t, 5*time.Second, pids...) // the whole group, the background sleep too
	if out := x.fake.output(102, "stderr"); !strings.Contains(out, "[baton] task timed out after 2s (killed by signal 9)") {
		t.Errorf("stderr of the timed out task = %q", out)
	}
}

func TestAgentRegistersOnceServersAnswer(t *testing.T) {
	x := newScriptedAgentTest(t, func(f *fakeServer) { f.registerFailures = 3 },
		func(c *Config) { c.Labels = map[string]string{"disk": "ssd"} })
	waitFor(t, 10*time.Second, "registration", func() bool { return x.a.ID() != "" })
	x.fake.enqueue(x.assignment(101, `true`))
	x.fake.waitReport(t, 101, "finish")
	reg := get(x.fake, func(f *fakeServer) []client.RegisterRequest { return f.registrations })
	if len(reg) != 1 || reg[0].Labels["disk"] != "ssd" {
		t.Errorf("registrations %+v, want one with the labels", reg)
	}
	if left := get(x.fake, func(f *fakeServer) int { return f.registerFailures }); left != 0 {
		t.Errorf("%d registration failures never served", left)
	}
}

func TestAgentReportsTaskThatCannotStart(t *testing.T) {
	x := newAgentTest(t, func(c *Config) { c.Shim = []string{"/nonexistent/baton", "task-shim"} })
	x.fake.enqueue(x.assignment(101, `true`))
	got := x.fake.waitReport(t, 101, "finish")
	if got.State != "failed" || !strings.Contains(got.Reason, "start task shim") {
		t.Errorf("finish report %+v, want failed to start", got)
	}
	if len(x.fake.reportsOf(101)) != 1 {
		t.Errorf("reports %+v, want only the finish", x.fake.reportsOf(101))
	}
}

func TestAgentLogsInSeqOrder(t *testing.T) {
	x := newAgentTest(t, nil)
	x.fake.enqueue(x.assignment(101, `i=0; while [ $i -lt 3000 ]; do echo "line $i of the output"; i=$((i+1)); done; echo err >&2`))
	x.fake.waitReport(t, 101, "finish")
	chunks := get(x.fake, func(f *fakeServer) []client.NewLogChunk { return slices.Clone(f.chunks[101]) })
	for i, c := range chunks {
		if c.Seq != int64(i+1) {
			t.Fatalf("chunk %d arrived with seq %d", i+1, c.Seq)
		}
	}
	var want strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&want, "line %d of the output\n", i)
	}
	want.WriteString("err\n") // standard error, after what was written before it
	if got := x.fake.output(101, "stdout"); got != want.String() {
		t.Errorf("stdout: got %d bytes, want %d", len(got), want.Len())
	}
	if len(chunks) < 2 {
		t.Errorf("%d chunks: want the output cut in several", len(chunks))
	}
}

func TestAgentKillsSupersededAttempt(t *testing.T) {
	tests := []struct {
		name    string
		script  func(f *fakeServer)
		refused string // the kind of report refused, if any
	}{
		{name: "409 on start report", refused: "start",
			script: func(f *fakeServer) { f.conflict[101] = true }},
		{name: "heartbeat kill list",
			script: func(f *fakeServer) { f.kill[101] = true }},
		{name: "logs fenced",
			script: func(f *fakeServer) { f.logsFenced[101] = true }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := newAgentTest(t, nil)
			gate := make(chan struct{}) // the start report is answered once the task runs
			x.fake.set(func(f *fakeServer) { f.reportGate = gate })
			// It writes output on and on, so that a log upload follows the
			// script's change whenever that comes.
			x.fake.enqueue(x.assignment(101, `sleep 60 & echo $$ $! > "$TESTDIR/101.pids"; while :; do echo tick; sleep 0.1; done`))
			pids := readPIDs(t, filepath.Join(x.dir, "101.pids"), 2)
			x.fake.set(tt.script)
			close(gate)
			waitDead(t, 10*time.Second, pids...)
			x.waitIdle()
			x.a.Stop() // delivers whatever is left
			for _, r := range x.fake.reportsOf(101) {
				if r.Kind == "finish" {
					t.Errorf("finish report sent for a superseded attempt: %+v", r)
				}
				if r.Status == http.StatusConflict && r.Kind != tt.refused {
					t.Errorf("unexpected refused report %+v", r)
				}
			}
		})
	}
}

func TestAgentReRegistersWhenGone(t *testing.T) {
	x := newAgentTest(t, nil)
	pids := x.sleeper(101)
	x.fake.set(func(f *fakeServer) { f.gone["w-1"] = true })
	waitDead(t, 10*time.Second, pids...)
	waitFor(t, 10*time.Second, "new registration", func() bool { return x.a.ID() == "w-2" })
	x.fake.enqueue(x.assignment(102, `echo again`))
	if got := x.fake.waitReport(t, 102, "finish"); got.WorkerID != "w-2" || got.State != "succeeded" {
		t.Errorf("finish of the new attempt: %+v", got)
	}
	for _, r := range x.fake.reportsOf(101) {
		if r.Kind == "finish" {
			t.Errorf("finish report sent for an attempt of the lost worker: %+v", r)
		}
	}
}

// Cut off from the servers for longer than the lease, the agent kills its
// task by itself and reports it fenced once a server answers again.
func TestAgentSelfFences(t *testing.T) {
	for _, mode := range []string{"503", "hang"} {
		t.Run(mode, func(t *testing.T) {
			x := newAgentTest(t, nil)
			pids := x.sleeper(101)
			x.fake.set(func(f *fakeServer) { f.heartbeatMode, f.down = mode, true })
			waitDead(t, 5*time.Second, pids...)
			lastOK := get(x.fake, func(f *fakeServer) time.Time {
				var at time.Time
				for _, b := range f.beats {
					if b.OK {
						at = b.At
					}
				}
				return at
			})
			// The servers would hand the task on after the lease TTL.
			if d := time.Since(lastOK); d >= testTTL {
				t.Errorf("task killed %v after the last renewal, not before the lease TTL %v", d, testTTL)
			}
			if len(x.fake.reportsOf(101)) != 1 {
				t.Errorf("reports during the outage: %+v", x.fake.reportsOf(101))
			}
			x.fake.set(func(f *fakeServer) { f.heartbeatMode, f.down = "", false })
			got := x.fake.waitReport(t, 101, "finish")
			if got.WorkerID != "w-1" || got.State != "fenced" || got.Reason != "worker lease expired" {
				t.Errorf("finish report %+v, want fenced by w-1", got)
			}
			if out := x.fake.output(101, "stderr"); !strings.Contains(out, "[baton] worker lost its lease") {
				t.Errorf("stderr = %q", out)
			}
			// Claiming resumes with the lease.
			x.fake.enqueue(x.assignment(102, `true`))
			x.fake.waitReport(t, 102, "finish")
		})
	}
}

func TestAgentRetriesReports(t *testing.T) {
	x := newAgentTest(t, nil)
	x.fake.set(func(f *fakeServer) { f.reportFailures = 4 })
	for id := int64(101); id <= 103; id++ {
		x.fake.enqueue(x.assignment(id, fmt.Sprintf(`echo %d`, id)))
	}
	for id := int64(101); id <= 103; id++ {
		x.fake.waitReport(t, id, "finish")
	}
	x.waitIdle()
	x.a.Stop()
	for id := int64(101); id <= 103; id++ {
		var kinds []string
		for _, r := range x.fake.reportsOf(id) {
			kinds = append(kinds, r.Kind+":"+r.State)
		}
		if diff := cmp.Diff([]string{"start:", "finish:succeeded"}, kinds); diff != "" {
			t.Errorf("reports of attempt %d (-want +got):\n%s", id, diff)
		}
	}
	if left := get(x.fake, func(f *fakeServer) int { return f.reportFailures }); left != 0 {
		t.Errorf("%d report failures never served", left)
	}
}

func TestAgentStop(t *testing.T) {
	t.Run("lets a short task finish", func(t *testing.T) {
		x := newAgentTest(t, nil)
		x.fake.enqueue(x.assignment(101, `sleep 0.3; echo done`))
		x.fake.waitReport(t, 101, "start")
		x.a.Stop()
		got := x.fake.reportsOf(101)
		if len(got) != 2 || got[1].State != "succeeded" {
			t.Errorf("reports %+v, want start and succeeded", got)
		}
		if out := x.fake.output(101, "stdout"); out != "done\n" {
			t.Errorf("stdout = %q", out)
		}
		if stops := get(x.fake, func(f *fakeServer) []string { return f.stops }); !slices.Equal(stops, []string{"w-1"}) {
			t.Errorf("stops = %v, want [w-1]", stops)
		}
		// It says it holds nothing (not null: the servers would lose what
		// a claim given up on committed).
		if held := get(x.fake, func(f *fakeServer) [][]int64 { return f.stopHeld }); len(held) != 1 || held[0] == nil || len(held[0]) != 0 {
			t.Errorf("stops said the worker holds %v, want [[]]", held)
		}
		x.a.Stop() // twice is fine
	})
	t.Run("kills a long task after the grace", func(t *testing.T) {
		x := newAgentTest(t, func(c *Config) { c.ShutdownGrace = 200 * time.Millisecond })
		pids := x.sleeper(101)
		start := time.Now()
		x.a.Stop()
		// Reported ended and the worker stopped as soon as the task died,
		// not when the lease ran out.
		if d := time.Since(start); d > x.cfg.ShutdownGrace+x.cfg.KillGrace+2*time.Second {
			t.Errorf("Stop took %v", d)
		}
		waitDead(t, 5*time.Second, pids...)
		got := x.fake.reportsOf(101)
		if len(got) != 2 || got[1].State != "lost" || got[1].Reason != "worker shut down" {
			t.Errorf("reports %+v, want start and lost", got)
		}
		if stops := get(x.fake, func(f *fakeServer) []string { return f.stops }); !slices.Equal(stops, []string{"w-1"}) {
			t.Errorf("stops = %v, want [w-1]", stops)
		}
		if err := x.a.Start(context.Background()); !errors.Is(err, ErrStopped) {
			t.Errorf("Start after Stop: %v, want ErrStopped", err)
		}
	})
	t.Run("says it holds what it could not report", func(t *testing.T) {
		x := newAgentTest(t, func(c *Config) {
			c.ShutdownGrace, c.FlushTimeout = 200*time.Millisecond, 300*time.Millisecond
		})
		pids := x.sleeper(101)
		x.fake.set(func(f *fakeServer) { f.reportFailures = 1 << 20 })
		x.a.Stop()
		waitDead(t, 5*time.Second, pids...)
		if held := get(x.fake, func(f *fakeServer) [][]int64 { return f.stopHeld }); len(held) != 1 || !slices.Equal(held[0], []int64{101}) {
			t.Errorf("stops said the worker holds %v, want [[101]]", held)
		}
	})
	t.Run("gives up delivering after FlushTimeout", func(t *testing.T) {
		x := newAgentTest(t, func(c *Config) { c.FlushTimeout = 300 * time.Millisecond })
		x.fake.enqueue(x.assignment(101, `echo bye`))
		x.fake.waitReport(t, 101, "start")
		x.fake.set(func(f *fakeServer) { f.down = true })
		start := time.Now()
		x.a.Stop()
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("Stop took %v with the servers down", d)
		}
	})
	t.Run("before start", func(t *testing.T) {
		a, err := New(Config{Servers: []string{"http://127.0.0.1:1"}, WorkDir: t.TempDir(), Shim: testShim(t)})
		if err != nil {
			t.Fatal(err)
		}
		a.Stop()
		a.Stop()
	})
}

func TestAgentStopsPreemptedAttempt(t *testing.T) {
	x := newAgentTest(t, nil)
	pids := x.sleeper(101)
	x.fake.set(func(f *fakeServer) { f.preempt[101] = true })
	waitDead(t, 10*time.Second, pids...)
	fin := x.fake.waitReport(t, 101, "finish")
	if fin.State != "cancelled" || !strings.Contains(fin.Reason, "preempted") {
		t.Errorf("finish report %+v, want cancelled (preempted)", fin.Report)
	}
	if out := x.fake.output(101, "stderr"); !strings.Contains(out, "stopped to run elsewhere") {
		t.Errorf("stderr %q lacks the note explaining the stop", out)
	}
}

func TestAgentExitsWhenDrainedAndIdle(t *testing.T) {
	x := newAgentTest(t, nil)
	x.fake.enqueue(x.assignment(101, `sleep 0.5; echo done`))
	x.fake.waitReport(t, 101, "start")
	x.fake.set(func(f *fakeServer) { f.draining = true })
	select {
	case <-x.a.Done():
	case <-time.After(15 * time.Second):
		t.Fatal("a drained worker did not exit after its last task")
	}
	if got := x.fake.reportsOf(101); len(got) != 2 || got[1].State != "succeeded" {
		t.Errorf("reports %+v, want the running task to finish and be reported before the exit", got)
	}
	if stops := get(x.fake, func(f *fakeServer) []string { return f.stops }); !slices.Equal(stops, []string{"w-1"}) {
		t.Errorf("stops = %v, want the worker to tell the servers it left", stops)
	}
	if n := len(get(x.fake, func(f *fakeServer) []gotBeat { return f.beats })); n == 0 {
		t.Error("no heartbeat carried the draining state")
	}
}

// TestHeartbeatListsEveryHeldAttempt: heartbeats are complete (the servers
// end any other started attempt of the worker), so an attempt that ended
// and whose finish report is not yet delivered is listed as ending, never
// left out while its report waits.
func TestHeartbeatListsEveryHeldAttempt(t *testing.T) {
	x := newAgentTest(t, nil)
	gate := make(chan struct{}) // reports wait: the finish stays queued
	x.fake.set(func(f *fakeServer) { f.reportGate = gate })
	x.fake.enqueue(x.assignment(101, `echo done`))
	waitFor(t, 10*time.Second, "a heartbeat with attempt 101 ending", func() bool {
		beats := get(x.fake, func(f *fakeServer) []gotBeat { return slices.Clone(f.beats) })
		return len(beats) > 0 && slices.Contains(beats[len(beats)-1].Ending, 101)
	})
	// From the first heartbeat that had it on, none left it out.
	held := false
	for _, b := range get(x.fake, func(f *fakeServer) []gotBeat { return slices.Clone(f.beats) }) {
		in := slices.Contains(b.Running, 101) || slices.Contains(b.Ending, 101)
		if !b.Complete || held && !in {
			t.Errorf("heartbeat %+v: want complete, listing attempt 101 until its report is delivered", b)
		}
		held = held || in
	}
	close(gate)
}

// TestClaimAfterAFailedClaimListsHeldAttempts: a claim that failed may
// have committed on its server, its answer lost: the next claims list
// every attempt the worker holds (redeliver), so that the servers send
// again those it does not; claims before any failure list nothing.
func TestClaimAfterAFailedClaimListsHeldAttempts(t *testing.T) {
	x := newAgentTest(t, nil)
	x.sleeper(101)
	var n0 int
	x.fake.set(func(f *fakeServer) { f.down, n0 = true, len(f.claims) })
	x.fake.enqueue(x.assignment(102, `true`)) // wakes the waiting claim: it fails
	// Claim n0 was sent while the server was down: it failed.
	waitFor(t, 10*time.Second, "a claim after a failed one", func() bool {
		return get(x.fake, func(f *fakeServer) bool { return len(f.claims) >= n0+2 })
	})
	x.fake.set(func(f *fakeServer) { f.down = false })
	x.fake.waitReport(t, 102, "finish")
	claims := get(x.fake, func(f *fakeServer) []client.ClaimRequest { return slices.Clone(f.claims) })
	if claims[0].Redeliver || claims[0].Held != nil {
		t.Errorf("first claim %+v: want no held list", claims[0])
	}
	if after := claims[n0+1]; !after.Redeliver || !slices.Contains(after.Held, 101) {
		t.Errorf("claim after the failure %+v: want redeliver, listing attempt 101", after)
	}
}
