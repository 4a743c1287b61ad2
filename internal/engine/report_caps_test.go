package engine_test

import (
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store"
)

// A finish report with 10 MB of outputs is accepted: the attempt fails,
// naming the limit, and nothing of the outputs is stored.
func TestOversizedOutputsFailTheTask(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply("name: big\ntasks:\n  - {name: dump, run: dump}\n  - {name: use, run: use, needs: [dump]}\n")
		run := x.start("big", nil)
		w := x.worker("a", 1)
		a := x.claimOne(w)
		outputs := map[string]string{}
		for i := range 100_000 {
			outputs["key"+itoa(i)] = strings.Repeat("v", 90)
		}
		r := x.finish(w, a, store.AttemptSucceeded, outputs)
		if r.Status != engine.Accepted || r.State != store.AttemptFailed {
			t.Fatalf("finish with 10 MB of outputs: %+v, want accepted and failed", r)
		}
		as := x.attempts(run.ID)
		if !strings.Contains(as[0].Reason, "max_output_bytes") {
			t.Errorf("attempt reason %q, want the limit named", as[0].Reason)
		}
		ts := x.tasks(run.ID)
		if ts["dump"].State != store.TaskFailed || ts["use"].State != store.TaskUpstreamFailed {
			t.Errorf("dump %s, use %s; want failed, upstream_failed", ts["dump"].State, ts["use"].State)
		}
		if o := ts["dump"].Outputs; o != "" && o != "{}" && o != "null" {
			t.Errorf("outputs stored: %.80s", o)
		}
		// A resend of the same report is accepted again, without effect.
		if r := x.finish(w, a, store.AttemptSucceeded, outputs); r.Status != engine.Accepted {
			t.Errorf("resend: %+v, want accepted", r)
		}
	})
}

// A checkpoint past its limit does not refuse the batch: the attempt
// fails, naming the limit, and the worker is told to kill it.
func TestOversizedCheckpointFailsTheAttempt(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply("name: cp\ntasks:\n  - {name: a, run: a}\n  - {name: b, run: b}\n")
		run := x.start("cp", nil)
		w := x.worker("a", 2)
		as := x.claim(w, 2)
		big := base64.StdEncoding.EncodeToString(make([]byte, engine.MaxCheckpoint+1))
		res := x.report(w,
			engine.Report{AttemptID: as[0].AttemptID, Kind: engine.ReportStart},
			engine.Report{AttemptID: as[1].AttemptID, Kind: engine.ReportStart},
			engine.Report{AttemptID: as[0].AttemptID, Kind: engine.ReportCheckpoint, Checkpoint: big},
			engine.Report{AttemptID: as[1].AttemptID, Kind: engine.ReportFinish, State: store.AttemptSucceeded})
		if res[2].Status != engine.Fenced || res[2].State != store.AttemptFailed {
			t.Errorf("oversized checkpoint: %+v, want fenced (kill it) and failed", res[2])
		}
		if res[3].Status != engine.Accepted {
			t.Errorf("the batch's other finish: %+v, want accepted", res[3])
		}
		ts := x.tasks(run.ID)
		if ts[as[0].Task].State != store.TaskFailed || ts[as[1].Task].State != store.TaskSucceeded {
			t.Errorf("tasks %s, %s; want failed, succeeded", ts[as[0].Task].State, ts[as[1].Task].State)
		}
		for _, a := range x.attempts(run.ID) {
			if a.ID == as[0].AttemptID && !strings.Contains(a.Reason, "checkpoint") {
				t.Errorf("attempt reason %q, want the checkpoint limit named", a.Reason)
			}
		}
	})
}

// A worker whose heartbeat lists everything it holds has any other of its
// attempts ended at once; one whose finish report is on its way is kept.
func TestHeartbeatEndsAttemptsTheWorkerNoLongerHas(t *testing.T) {
	cfg := engine.Config{LeaseTTL: 300 * time.Millisecond, DispatchTimeout: 600 * time.Millisecond}
	eachStore(t, cfg, func(t *testing.T, x *env) {
		x.apply("name: three\ntasks:\n  - {name: a, run: a}\n  - {name: b, run: b}\n  - {name: c, run: c}\n")
		run := x.start("three", nil)
		w := x.worker("a", 3)
		as := x.claim(w, 3)
		for _, a := range as {
			x.report(w, engine.Report{AttemptID: a.AttemptID, Kind: engine.ReportStart})
		}
		kept, ending, forgotten := as[0], as[1], as[2]
		h := engine.Holding{Running: []int64{kept.AttemptID}, Ending: []int64{ending.AttemptID}, Complete: true}
		// A heartbeat that may have been sent before the claim's answer
		// arrived judges nothing.
		if _, err := x.e.Renew(x.ctx, w.ID, h); err != nil {
			t.Fatal(err)
		}
		if st := x.tasks(run.ID)[forgotten.Task].State; st != store.TaskRunning {
			t.Fatalf("%s %s right after its claim, want running", forgotten.Task, st)
		}
		// A heartbeat without Complete never loses a started attempt.
		if _, err := x.e.Heartbeat(x.ctx, w.ID, []int64{kept.AttemptID}); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for x.tasks(run.ID)[forgotten.Task].State == store.TaskRunning {
			if time.Now().After(deadline) {
				t.Fatal("the forgotten attempt is still running")
			}
			if _, err := x.e.Renew(x.ctx, w.ID, h); err != nil {
				t.Fatal(err)
			}
			time.Sleep(20 * time.Millisecond) // poll interval
		}
		for _, a := range x.attempts(run.ID) {
			switch a.ID {
			case forgotten.AttemptID:
				if a.State != store.AttemptLost || !strings.Contains(a.Reason, "no longer has it") {
					t.Errorf("forgotten attempt %s (%s), want lost, no longer on the worker", a.State, a.Reason)
				}
			case kept.AttemptID, ending.AttemptID:
				if a.State != store.AttemptRunning {
					t.Errorf("attempt of %s %s, want running", a.Task, a.State)
				}
			}
		}
		if r := x.finish(w, ending, store.AttemptSucceeded, nil); r.Status != engine.Accepted {
			t.Errorf("the finish report on its way: %+v, want accepted", r)
		}
	})
}

func itoa(i int) string { return strconv.Itoa(i) }
