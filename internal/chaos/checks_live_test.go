package chaos

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/workflow"
)

// liveEvidence is testEvidence on a cluster of one 1-CU worker "a1"
// whose tasks take 1 CU.
func liveEvidence(runs ...runEvidence) *evidence {
	ev := testEvidence(true, runs...)
	ev.t0 = t0
	ev.unavailable = map[string][]cut{}
	ev.sc.Cluster = ClusterSpec{Servers: 1, Zones: []ZoneSpec{{Name: "a", Workers: 1, Capacity: 1}}}
	for i := range ev.runs {
		ev.runs[i].Tasks[0].CU = 1
	}
	return ev
}

func TestLiveness(t *testing.T) {
	// Run 1's task runs 0..1s. Run 2's task is queued at 500 ms but
	// dispatched only at 4 s, although the worker was free from 1 s: a
	// 3 s stall.
	r1 := run(1, "succeeded", attempt(10, "succeeded", "w", 0, 0, 1000))
	r2 := run(2, "succeeded", attempt(11, "succeeded", "w", 4000, 4100, 5000))
	ev := liveEvidence(r1, r2)
	ev.events = []client.Event{{Kind: "run.running", RunID: 1, At: at(0)}, {Kind: "run.running", RunID: 2, At: at(500)}}
	st := liveness(ev)
	if st.Waits != 2 || st.MaxGap != Millis(3*time.Second) || st.GapFrom != Millis(time.Second) ||
		st.MaxWait != Millis(3600*time.Millisecond) {
		t.Fatalf("stats %+v, want 2 waits, a 3s stall from 1s, max wait 3.6s", st)
	}
	ev.sc.Expect.Liveness = LivenessBound{MaxGap: 2 * time.Second}
	wantFail(t, checkLiveness(ev, st), "for 3s from +1s a task waited with capacity free for it and nothing started (bound 2s)")
	ev.sc.Expect.Liveness = LivenessBound{P99Wait: time.Second}
	wantFail(t, checkLiveness(ev, st), "p99 wait from queued to running 3.6s exceeds the bound 1s")

	// The worker was cut off from 1.5 s to 3.5 s: no capacity then, so
	// the stalls are 1..1.5 s and 3.5..4 s.
	ev.cuts["a1"] = []cut{{From: at(1500), To: at(3500)}}
	if st := liveness(ev); st.MaxGap != Millis(500*time.Millisecond) {
		t.Errorf("with the worker cut off: longest stall %v, want 500ms", st.MaxGap)
	}
	// Cordoned for good from 1 s: no stall at all.
	ev.cuts = map[string][]cut{}
	ev.unavailable["a1"] = []cut{{From: at(1000)}}
	if st := liveness(ev); st.MaxGap != 0 {
		t.Errorf("with the worker cordoned: longest stall %v, want none", st.MaxGap)
	}
	// A task that needs more than the free capacity does not stall.
	ev.unavailable = map[string][]cut{}
	ev.runs[1].Tasks[0].CU = 2
	if st := liveness(ev); st.MaxGap != 0 {
		t.Errorf("with a task too big for the worker: longest stall %v, want none", st.MaxGap)
	}
}

func TestLivenessQueuedAfterUpstreamAndRetry(t *testing.T) {
	// The task is queued at 2 s (task.queued: upstream done, or its
	// retry due), after its run started at 0: its wait counts from 2 s.
	r := run(1, "succeeded", attempt(10, "succeeded", "w", 2200, 2300, 3000))
	ev := liveEvidence(r)
	ev.events = []client.Event{{Kind: "run.running", RunID: 1, At: at(0)}, {Kind: "task.queued", RunID: 1, Task: "t", At: at(2000)}}
	if st := liveness(ev); st.MaxWait != Millis(300*time.Millisecond) || st.MaxGap != Millis(200*time.Millisecond) {
		t.Errorf("stats %+v, want a wait of 300ms and a stall of 200ms", st)
	}
}

func TestCheckLimitsSlots(t *testing.T) {
	r1 := run(1, "succeeded", attempt(10, "succeeded", "w", 0, 0, 3000))
	r2 := run(2, "succeeded", attempt(11, "succeeded", "w", 1000, 1000, 4000))
	r3 := run(3, "succeeded", attempt(12, "succeeded", "w", 5000, 5000, 6000))
	ev := liveEvidence(r1, r2, r3)
	for i := range ev.runs {
		ev.runs[i].Tasks[0].Slot = "db"
	}
	ev.slots = []client.Slot{{Name: "db", Size: 1}}
	wantFail(t, checkLimits(ev), "slot db: attempt 11 started as the 2nd running task, but the slot's size was 1")
	// Grown to 2 before attempt 11 started: fine.
	ev.slotSets = []slotSet{{Slot: "db", Size: 1, At: at(-1000)}, {Slot: "db", Size: 2, At: at(500)}}
	wantPass(t, checkLimits(ev))
	// A slot that never existed.
	ev.slotSets, ev.slots = nil, nil
	wantFail(t, checkLimits(ev), "attempt 10 took a place in slot db, which did not exist")
}

func TestCheckLimitsMaxActiveRuns(t *testing.T) {
	ev := liveEvidence(run(1, "succeeded"), run(2, "succeeded"), run(3, "succeeded"))
	ev.sc.Workload[0].Definition = &workflow.Definition{Name: "w", MaxActiveRuns: 1, Tasks: []workflow.Task{{Name: "t"}}}
	ev.events = []client.Event{
		{Kind: "run.running", RunID: 1, At: at(0)},
		{Kind: "run.paused", RunID: 1, At: at(100), OldState: "running"},
		{Kind: "run.running", RunID: 1, At: at(200), OldState: "paused"}, // a resume starts nothing
		{Kind: "run.succeeded", RunID: 1, At: at(1000)},
		{Kind: "run.running", RunID: 2, At: at(1000), OldState: "queued"},
	}
	wantPass(t, checkLimits(ev))
	ev.events = append(ev.events, client.Event{Kind: "run.running", RunID: 3, At: at(1500), OldState: "queued"})
	wantFail(t, checkLimits(ev), "workflow w: run 3 started at")
}

func TestCheckEventsInWindow(t *testing.T) {
	ev := liveEvidence()
	ev.events = []client.Event{{Kind: "worker.lost", At: at(500)}, {Kind: "worker.lost", At: at(5000)}}
	ev.sc.Expect.Events = []EventCount{{Kind: "worker.lost", Op: "==", N: 0, Window: true, From: time.Second, To: 4 * time.Second},
		{Kind: "worker.lost", Op: "==", N: 2}}
	wantPass(t, checkEvents(ev))
	ev.sc.Expect.Events[0].To = 0 // from 1 s to the end
	wantFail(t, checkEvents(ev), "1 worker.lost events from 1s, want == 0")
}

func TestCheckRerunnableFenced(t *testing.T) {
	ev := testEvidence(false, run(1, "succeeded", attempt(10, "fenced", "w1", 0, 10, 3000),
		attempt(11, "succeeded", "w2", 3000, 3100, 6000)))
	wantFail(t, checkRerunnable(ev), "attempt #1 was fenced, then attempt #2 ran")
}

func TestEndedOncePerWorkflow(t *testing.T) {
	ev := testEvidence(true, run(1, "succeeded", attempt(10, "lost", "w1", 0, 10, 3000),
		attempt(11, "succeeded", "w2", 3000, 3100, 6000)))
	ev.witness = Witness{Spans: []Span{{RunID: 1, Task: "t", AttemptID: 10, Start: at(10), Last: at(2000), Ended: true},
		{RunID: 1, Task: "t", AttemptID: 11, Start: at(3100), Last: at(6000), Ended: true}}}
	ev.sc.Expect.EndedOnceOf = []string{"other"}
	wantPass(t, checkFinished(ev))
	ev.sc.Expect.EndedOnceOf = []string{"w"}
	wantFail(t, checkFinished(ev), "run 1 task t ran to its end 2 times")
}

func TestNewIncarnation(t *testing.T) {
	old := client.Worker{ID: "w-1", Name: "a1", RegisteredAt: at(0)}
	for _, tc := range []struct {
		name   string
		before []client.Worker
		now    []client.Worker
		want   bool
	}{
		{"only the old one", []client.Worker{old}, []client.Worker{old}, false},
		{"the old one declared lost, none new yet", []client.Worker{old}, nil, false},
		{"the old one lost, a new one live", []client.Worker{old}, []client.Worker{{ID: "w-2", Name: "a1", RegisteredAt: at(5000)}}, true},
		{"both live", []client.Worker{old}, []client.Worker{old, {ID: "w-2", Name: "a1"}}, true},
		{"the same ID registered again", []client.Worker{old}, []client.Worker{{ID: "w-1", Name: "a1", RegisteredAt: at(5000)}}, true},
		{"first start", nil, []client.Worker{old}, true},
	} {
		if got := newIncarnation(tc.before, tc.now); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// echoServer answers each byte it reads with the same byte and counts
// what it read.
func echoServer(t *testing.T) (addr string, got chan byte) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	got = make(chan byte, 100)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				b := make([]byte, 1)
				for {
					if _, err := c.Read(b); err != nil {
						return
					}
					got <- b[0]
					if _, err := c.Write(b); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String(), got
}

// roundTrip sends a byte through conn and waits up to wait for the echo.
func roundTrip(t *testing.T, conn net.Conn, b byte, wait time.Duration) (time.Duration, bool) {
	t.Helper()
	start := time.Now()
	if _, err := conn.Write([]byte{b}); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(wait))
	buf := make([]byte, 1)
	_, err := conn.Read(buf)
	return time.Since(start), err == nil && buf[0] == b
}

func TestLinkOneWayPartitionAndLoss(t *testing.T) {
	addr, got := echoServer(t)
	l, err := newProxies().link("test", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer l.close()
	conn, err := net.Dial("tcp", l.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, ok := roundTrip(t, conn, 1, 5*time.Second); !ok {
		t.Fatal("no echo through a healthy link")
	}
	<-got

	// Answers dropped: the request arrives, its answer does not.
	if err := l.PartitionWay("downstream"); err != nil {
		t.Fatal(err)
	}
	if _, ok := roundTrip(t, conn, 2, 300*time.Millisecond); ok {
		t.Error("an answer got through a downstream partition")
	}
	select {
	case b := <-got:
		if b != 2 {
			t.Errorf("server read %d, want 2", b)
		}
	case <-time.After(5 * time.Second):
		t.Error("the request did not reach the server through a downstream partition")
	}
	if err := l.Heal(); err != nil {
		t.Fatal(err)
	}

	// Requests dropped: nothing reaches the server on a fresh connection.
	if err := l.PartitionWay("upstream"); err != nil {
		t.Fatal(err)
	}
	c2, err := net.Dial("tcp", l.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if _, ok := roundTrip(t, c2, 3, 300*time.Millisecond); ok {
		t.Error("an echo came back through an upstream partition")
	}
	select {
	case b := <-got:
		if b == 3 {
			t.Error("the request reached the server through an upstream partition")
		}
	default:
	}
	if err := l.Heal(); err != nil {
		t.Fatal(err)
	}

	// Every packet lost once: each way costs a retransmission.
	if err := l.Lose(1, 150*time.Millisecond, "both"); err != nil {
		t.Fatal(err)
	}
	c3, err := net.Dial("tcp", l.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c3.Close()
	took, ok := roundTrip(t, c3, 4, 10*time.Second)
	if !ok || took < 300*time.Millisecond {
		t.Errorf("round trip with every packet lost once: %v (ok %v), want at least 300ms", took, ok)
	}
	if err := l.Unlose(); err != nil {
		t.Fatal(err)
	}
}

func TestExpandWorkflow(t *testing.T) {
	src := []byte("name: base\ntasks:\n  - {name: t, run: \"true\", cu: 0.5}\n  - {name: u, needs: [t], run: \"true\"}\n")
	out, err := expandWorkflow(src, "wide", 3)
	if err != nil {
		t.Fatal(err)
	}
	def, err := workflow.Parse("wide.yaml", out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if def.Name != "wide" || len(def.Tasks) != 3 || def.Tasks[2].Name != "t-3" || def.Tasks[2].CU != 0.5 || len(def.Tasks[1].Needs) != 0 {
		t.Errorf("expanded %+v", def)
	}
	if same, _ := expandWorkflow(src, "", 0); string(same) != string(src) {
		t.Errorf("nothing to change, but got\n%s", same)
	}
}

func TestCheckRefusals(t *testing.T) {
	ev := testEvidence(true)
	ev.sc.Workload = append(ev.sc.Workload,
		Load{Definition: &workflow.Definition{Name: "wider"}, Refused: "max_tasks_per_workflow"},
		Load{Definition: &workflow.Definition{Name: "many"}, Refused: "max_runs_per_batch", Runs: 101},
		Load{Definition: &workflow.Definition{Name: "never"}, Refused: "max_runs_per_batch"})
	ev.refusals = []Refusal{
		{Load: 1, Limit: "max_tasks_per_workflow", Step: "apply", Status: 422, Error: "workflow has 5001 tasks, more than max_tasks_per_workflow (5000)"},
		{Load: 2, Limit: "max_runs_per_batch", Step: "start", Status: 400, Error: "too many"},
	}
	ev.stored = map[int]string{2: "3 runs of many exist"}
	c := checkRefusals(ev)
	wantFail(t, c, "workload[2] (many): start answered 400 (too many), want 413 or 422 for max_runs_per_batch")
	wantFail(t, c, "workload[2] (many) was refused but changed the database: 3 runs of many exist")
	wantFail(t, c, "workload[3] (never) was never sent")
	if strings.Contains(strings.Join(c.Problems, "\n"), "workload[1]") {
		t.Errorf("the good refusal is reported: %v", c.Problems)
	}
	ev.refusals[1] = Refusal{Load: 2, Limit: "max_runs_per_batch", Step: "start", Status: 413, Error: "request too large"}
	wantFail(t, checkRefusals(ev), "the refusal (request too large) does not name the limit max_runs_per_batch")
	ev.refusals[1] = Refusal{Load: 2, Limit: "max_runs_per_batch"}
	wantFail(t, checkRefusals(ev), "workload[2] (many) was accepted, want it refused for max_runs_per_batch")
}
