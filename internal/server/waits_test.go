package server_test

import (
	"context"
	"testing"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/client/vocab"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/kinds/wait"
	"github.com/baton-sched/baton/internal/server"
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/storetest"
)

// The upstream workflow succeeds on the servers alone: its only task
// waits for a time long past, met at its first check.
const waitUpstream = `name: load-orders
tasks:
  - name: ready
    wait: {until: "2020-01-01T00:00:00Z", interval: 1s}
`

// The sensor waits an hour between checks: it can only succeed within
// the test's time through the check the servers make when its wait
// starts or the wake of the upstream run's success.
const waitSensor = `name: report
tasks:
  - name: upstream-done
    wait: {workflow: load-orders, interval: 1h, timeout: 2h}
  - name: after
    needs: [upstream-done]
    wait: {until: "2020-01-01T00:00:00Z", interval: 1s}
`

// TestWaitLoopOfARealServer: the loops of a started server start a wait
// task, keep it waiting while the workflow it waits for has no
// successful run for the day, and end it succeeded once a run of that
// workflow succeeded, so the rest of the run goes on; no worker is
// registered.
func TestWaitLoopOfARealServer(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		srv := server.New(engine.New(s, engine.Config{}), server.Config{Addr: "127.0.0.1:0"})
		if err := srv.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(srv.Stop)
		c, err := client.New([]string{"http://" + srv.Addr()}, testTokens(t, s)...)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Apply(ctx, []client.SourceFile{{Filename: "up.yaml", Content: waitUpstream},
			{Filename: "report.yaml", Content: waitSensor}}); err != nil {
			t.Fatalf("apply: %v", err)
		}
		sensor, err := c.StartRun(ctx, "report", client.StartRunRequest{})
		if err != nil {
			t.Fatal(err)
		}
		task := func(run int64, name string) client.Task {
			d, err := c.Run(ctx, run)
			if err != nil {
				t.Fatal(err)
			}
			for _, tk := range d.Tasks {
				if tk.Name == name {
					return tk
				}
			}
			t.Fatalf("run %d has no task %s", run, name)
			return client.Task{}
		}
		eventually(t, "the wait to start", func() bool { return task(sensor.ID, "upstream-done").State == vocab.TaskRunning })
		if tk := task(sensor.ID, "upstream-done"); tk.Group != wait.Group || tk.Attempts != 1 {
			t.Fatalf("waiting task %+v, want one attempt in @wait", tk)
		}
		up, err := c.StartRun(ctx, "load-orders", client.StartRunRequest{})
		if err != nil {
			t.Fatal(err)
		}
		var upRun, done client.RunDetail
		eventually(t, "the upstream run to succeed", func() bool {
			upRun, err = c.Run(ctx, up.ID)
			return err == nil && upRun.Terminal()
		})
		if upRun.State != vocab.RunSucceeded {
			t.Fatalf("upstream run %+v, want succeeded", upRun.Run)
		}
		eventually(t, "the sensor run to end", func() bool {
			done, err = c.Run(ctx, sensor.ID)
			return err == nil && done.Terminal()
		})
		if done.State != vocab.RunSucceeded {
			t.Fatalf("sensor run %+v, want succeeded", done)
		}
		if tk := task(sensor.ID, "upstream-done"); tk.State != vocab.TaskSucceeded || tk.Attempts != 1 ||
			tk.FinishedAt.Before(upRun.FinishedAt) {
			t.Errorf("wait %+v, want succeeded at its first attempt, after the upstream run ended at %s", tk, upRun.FinishedAt)
		}
	})
}
