package engine_test

import (
	"encoding/base64"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store"
)

func TestCheckpointGoesToTheNextAttempt(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply(`name: cp
tasks:
  - name: count
    run: "count"
    retry: {strategy: fixed, max_attempts: 2, delay: 0s}
`)
		run := x.start("cp", nil)
		w := x.worker("a", 10)
		other := x.named("other", "b", 10, nil)
		a := x.claimOne(w)
		if a.Checkpoint != "" {
			t.Errorf("first attempt got checkpoint %q", a.Checkpoint)
		}
		x.report(w, engine.Report{AttemptID: a.AttemptID, Kind: engine.ReportStart})
		cp := func(worker store.Worker, data string) engine.ReportResult {
			return x.report(worker, engine.Report{AttemptID: a.AttemptID, Kind: engine.ReportCheckpoint,
				Checkpoint: base64.StdEncoding.EncodeToString([]byte(data))})[0]
		}
		if r := cp(w, "step=3"); r.Status != engine.Accepted {
			t.Errorf("checkpoint of the live attempt: %+v", r)
		}
		if r := cp(other, "step=99"); r.Status != engine.Fenced {
			t.Errorf("checkpoint from another worker: %+v, want fenced", r)
		}
		if got := x.tasks(run.ID)["count"]; got.Checkpoint != base64.StdEncoding.EncodeToString([]byte("step=3")) ||
			got.CheckpointAt == 0 {
			t.Errorf("task checkpoint %q at %d", got.Checkpoint, got.CheckpointAt)
		}
		if _, err := x.e.Report(x.ctx, w.ID, []engine.Report{{AttemptID: a.AttemptID, Kind: engine.ReportCheckpoint,
			Checkpoint: "not base64!"}}); err == nil {
			t.Error("a checkpoint that is not base64 was accepted")
		}
		// The batch a worker sends when the task ends: last checkpoint, then
		// the finish.
		res := x.report(w,
			engine.Report{AttemptID: a.AttemptID, Kind: engine.ReportCheckpoint,
				Checkpoint: base64.StdEncoding.EncodeToString([]byte("step=5"))},
			engine.Report{AttemptID: a.AttemptID, Kind: engine.ReportFinish, State: store.AttemptFailed})
		if res[0].Status != engine.Accepted || res[1].Status != engine.Accepted {
			t.Fatalf("checkpoint and finish: %+v", res)
		}
		next := x.claimOne(w)
		if got, _ := base64.StdEncoding.DecodeString(next.Checkpoint); string(got) != "step=5" || next.Number != 2 {
			t.Errorf("attempt %d got checkpoint %q, want step=5", next.Number, got)
		}
		if r := cp(w, "late"); r.Status != engine.Accepted || x.tasks(run.ID)["count"].Checkpoint == "" {
			t.Errorf("resent checkpoint of an attempt that ended: %+v", r)
		}
	})
}

func TestHTTPTaskAssignment(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply(`name: hook
params:
  env: {default: prod}
tasks:
  - {name: a, run: "a"}
  - name: notify
    needs: [a]
    timeout: 10s
    http:
      method: POST
      url: "https://hooks.example/${{ params.env }}"
      headers: {X-Run: "${{ run.id }}"}
      body: "${{ tasks.a.outputs.file }}"
      expect_status: [200]
  - name: ping
    http: {url: "https://example.org/ping"}
`)
		run := x.start("hook", nil)
		w := x.worker("a", 10)
		byTask := map[string]engine.Assignment{}
		for _, a := range x.claim(w, 10) {
			byTask[a.Task] = a
		}
		ping := byTask["ping"]
		if ping.Kind != engine.KindHTTP || httpOf(ping.Payload) == nil || httpOf(ping.Payload).Method != "GET" ||
			httpOf(ping.Payload).URL != "https://example.org/ping" || ping.Timeout != time.Minute {
			t.Errorf("ping: kind %s, timeout %v, request %+v", ping.Kind, ping.Timeout, httpOf(ping.Payload))
		}
		x.finish(w, byTask["a"], store.AttemptSucceeded, map[string]string{"file": "/data/x.csv"})
		n := x.claimOne(w)
		want := &client.HTTPRequest{Method: "POST", URL: "https://hooks.example/prod",
			Headers: map[string]string{"X-Run": fmt.Sprint(run.ID)}, Body: "/data/x.csv", ExpectStatus: []int{200}}
		if diff := cmp.Diff(want, httpOf(n.Payload)); diff != "" || n.Timeout != 10*time.Second || n.Task != "notify" {
			t.Errorf("notify (%s, timeout %v) request (-want +got):\n%s", n.Task, n.Timeout, diff)
		}
	})
}
