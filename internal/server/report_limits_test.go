package server_test

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/storetest"
)

// A finish report carrying 10 MB of outputs gets through (no 413): the
// task ends failed, naming the limit, within the report's own request.
func TestHugeOutputsReportIsAcceptedAndFailsTheTask(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s, engine.Config{})
		if _, err := f.c.Apply(f.ctx, []client.SourceFile{{Filename: "big.yaml",
			Content: "name: big\ntasks:\n  - {name: dump, run: dump}\n"}}); err != nil {
			t.Fatal(err)
		}
		run, err := f.c.StartRun(f.ctx, "big", client.StartRunRequest{})
		if err != nil {
			t.Fatal(err)
		}
		reg, err := f.c.Register(f.ctx, client.RegisterRequest{Name: "w1", Zone: "a", Capacity: 1})
		if err != nil {
			t.Fatal(err)
		}
		as, err := f.c.Claim(f.ctx, reg.Worker.ID, client.ClaimRequest{Max: 1, FreeCU: 1, Wait: 5 * time.Second})
		if err != nil || len(as) != 1 {
			t.Fatalf("claim: %v %v", as, err)
		}
		outputs := make(map[string]string, 100_000)
		for i := range 100_000 {
			outputs["key"+strconv.Itoa(i)] = strings.Repeat("v", 95)
		}
		res, err := f.c.Report(f.ctx, reg.Worker.ID, []client.Report{
			{AttemptID: as[0].AttemptID, Kind: "start"},
			{AttemptID: as[0].AttemptID, Kind: "finish", State: "succeeded", Outputs: outputs},
		})
		if err != nil || res[1].Status != 200 {
			t.Fatalf("report of 10 MB of outputs: %+v %v, want accepted", res, err)
		}
		detail, err := f.c.Run(f.ctx, run.ID)
		if err != nil || detail.State != "failed" {
			t.Fatalf("run %+v %v, want failed", detail.State, err)
		}
		if la := detail.Tasks[0].LastAttempt; la == nil || !strings.Contains(la.Reason, "max_output_bytes") {
			t.Errorf("last attempt %+v, want its reason to name max_output_bytes", la)
		}
	})
}

// Requests over a limit are refused 413 naming the limit, nothing stored.
func TestLimitsAnswer413NamingTheLimit(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s, engine.Config{Limits: engine.Limits{MaxTasksPerWorkflow: 2, MaxRunsPerBatch: 2}})
		_, err := f.c.Apply(f.ctx, []client.SourceFile{{Filename: "w.yaml",
			Content: "name: w\ntasks:\n  - {name: a, run: a}\n  - {name: b, run: b}\n  - {name: c, run: c}\n"}})
		var ce *client.Error
		if !errors.As(err, &ce) || ce.Status != http.StatusRequestEntityTooLarge || !strings.Contains(ce.Detail, "max_tasks_per_workflow") {
			t.Errorf("apply of 3 tasks: %v, want 413 naming max_tasks_per_workflow", err)
		}
		if _, err := f.c.Apply(f.ctx, []client.SourceFile{{Filename: "w.yaml",
			Content: "name: w\ntasks:\n  - {name: a, run: a}\n"}}); err != nil {
			t.Fatal(err)
		}
		_, err = f.c.StartRuns(f.ctx, "w", make([]client.StartRunRequest, 3))
		if !errors.As(err, &ce) || ce.Status != http.StatusRequestEntityTooLarge || !strings.Contains(ce.Detail, "max_runs_per_batch") {
			t.Errorf("start of 3 runs: %v, want 413 naming max_runs_per_batch", err)
		}
		page, err := f.c.Runs(f.ctx, client.RunFilter{Workflow: "w"})
		if err != nil || len(page.Items) != 0 {
			t.Errorf("runs after the refusal: %+v %v, want none", page, err)
		}
	})
}
