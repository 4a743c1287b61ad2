package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/server"
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/storetest"
	"github.com/baton-sched/baton/internal/worker"
)

func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "task-shim" { // tasks of real agents (resources_test.go)
		os.Exit(worker.ShimMain(os.Args[2:]))
	}
	if os.Getenv(connServerEnv) != "" {
		os.Exit(connServer())
	}
	goleak.VerifyTestMain(m)
}

type fixture struct {
	t   *testing.T
	ctx context.Context
	c   *client.Client
	url string
}

func newFixture(t *testing.T, s store.Store, cfg engine.Config) *fixture {
	c, url := serve(t, s, cfg)
	return &fixture{t: t, ctx: context.Background(), c: c, url: url}
}

// serve starts a test server on s and returns a client of it holding the
// test tokens, and its URL.
func serve(tb testing.TB, s store.Store, cfg engine.Config) (*client.Client, string) {
	srv := server.New(engine.New(s, cfg), server.Config{})
	ts := httptest.NewServer(srv.Handler())
	tb.Cleanup(func() { ts.Close(); srv.Stop() })
	rememberTokens(tb, ts.URL, s)
	admin, join := tokensOf(ts.URL)
	c, err := client.New([]string{ts.URL}, client.WithToken(admin), client.WithJoinToken(join))
	if err != nil {
		tb.Fatal(err)
	}
	return c, ts.URL
}

const hello = `name: hello
params:
  who: world
tasks:
  - name: greet
    run: echo hello ${{ params.who }}
  - name: after
    needs: [greet]
    run: echo done
`

func TestRunThroughTheAPI(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s, engine.Config{})
		applied, err := f.c.Apply(f.ctx, []client.SourceFile{{Filename: "hello.yaml", Content: hello}})
		if err != nil || len(applied) != 1 || !applied[0].Changed || applied[0].Version != 1 {
			t.Fatalf("apply: %+v %v", applied, err)
		}
		run, err := f.c.StartRun(f.ctx, "hello", client.StartRunRequest{Params: map[string]string{"who": "baton"}})
		if err != nil || run.State != "running" {
			t.Fatalf("start: %+v %v", run, err)
		}
		reg, err := f.c.Register(f.ctx, client.RegisterRequest{Name: "w1", Zone: "a", Capacity: 2})
		if err != nil || reg.LeaseTTL <= 0 || reg.HeartbeatInterval <= 0 {
			t.Fatalf("register: %+v %v", reg, err)
		}
		wid := reg.Worker.ID
		// The parameter travels as a variable, never as shell text.
		for _, want := range []string{`echo hello "${BATON_TPL_1}"`, "echo done"} {
			as, err := f.c.Claim(f.ctx, wid, client.ClaimRequest{Max: 2, FreeCU: 2, Wait: 5 * time.Second})
			if err != nil || len(as) != 1 || as[0].Command != want || (want != "echo done" && as[0].Env["BATON_TPL_1"] != "baton") {
				t.Fatalf("claim: %+v %v, want one %q", as, err, want)
			}
			res, err := f.c.Report(f.ctx, wid, []client.Report{
				{AttemptID: as[0].AttemptID, Kind: "start"},
				{AttemptID: as[0].AttemptID, Kind: "finish", State: "succeeded"},
			})
			if err != nil || res[0].Status != 200 || res[1].Status != 200 {
				t.Fatalf("report: %+v %v", res, err)
			}
			if _, err := f.c.SendLogs(f.ctx, wid, []client.NewLogChunk{
				{AttemptID: as[0].AttemptID, Seq: 1, Stream: "stdout", Data: "out of " + as[0].Task + "\n"},
			}); err != nil {
				t.Fatalf("logs: %v", err)
			}
		}
		detail, err := f.c.Run(f.ctx, run.ID)
		if err != nil || detail.State != "succeeded" || len(detail.Tasks) != 2 {
			t.Fatalf("run: %+v %v", detail, err)
		}
		if la := detail.Tasks[0].LastAttempt; la == nil || la.WorkerID != wid || la.Zone != "a" {
			t.Errorf("last attempt %+v", la)
		}
		logs, err := f.c.Logs(f.ctx, run.ID, "greet", 0, 0)
		if err != nil || len(logs.Chunks) != 1 || logs.Chunks[0].Data != "out of greet\n" {
			t.Errorf("logs: %+v %v", logs, err)
		}
		page, err := f.c.Runs(f.ctx, client.RunFilter{Workflow: "hello", State: "succeeded"})
		if err != nil || len(page.Items) != 1 {
			t.Errorf("list runs: %+v %v", page, err)
		}
		evs, err := f.c.Events(f.ctx, client.EventFilter{RunID: run.ID, Kind: "run.succeeded"})
		if err != nil || len(evs.Items) != 1 {
			t.Errorf("events: %+v %v", evs, err)
		}
		started, err := f.c.Events(f.ctx, client.EventFilter{RunID: run.ID, Kind: "run.running"})
		if err != nil || len(started.Items) != 1 || started.Items[0].Actor != "token:test" {
			t.Errorf("run.running event %+v %v, want actor token:test, the authenticated principal", started, err)
		}
	})
}

func TestInvalidDefinitionIsRefusedWithLocations(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite(t), engine.Config{})
	bad := "name: cyc\ntasks:\n  - {name: a, run: x, needs: [b]}\n  - {name: b, run: x, needs: [a]}\n  - {name: c, rn: x}\n"
	_, err := f.c.Apply(f.ctx, []client.SourceFile{{Filename: "cyc.yaml", Content: bad}})
	var apiErr *client.Error
	if !errorsAs(err, &apiErr) || apiErr.Status != http.StatusUnprocessableEntity {
		t.Fatalf("apply: %v, want 422", err)
	}
	msg := apiErr.Error()
	for _, want := range []string{"cycle: a -> b -> a", "cyc.yaml:5: tasks[2]: " /* file:line: path: message, as docs/workflows.md shows */, `"rn"`} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	wfs, err := f.c.Workflows(f.ctx)
	if err != nil || len(wfs) != 0 {
		t.Errorf("workflows after refused apply: %+v %v", wfs, err)
	}
}

// helloClaimed starts a run of hello on a fresh SQLite store and has a
// new worker of zone a claim its first task.
func helloClaimed(t *testing.T) (*fixture, client.Run, client.Registration, client.Assignment) {
	t.Helper()
	f := newFixture(t, storetest.OpenSQLite(t), engine.Config{})
	if _, err := f.c.Apply(f.ctx, []client.SourceFile{{Filename: "h.yaml", Content: hello}}); err != nil {
		t.Fatal(err)
	}
	run, err := f.c.StartRun(f.ctx, "hello", client.StartRunRequest{})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := f.c.Register(f.ctx, client.RegisterRequest{Zone: "a"})
	if err != nil {
		t.Fatal(err)
	}
	as, err := f.c.Claim(f.ctx, reg.Worker.ID, client.ClaimRequest{Max: 1, FreeCU: 1})
	if err != nil || len(as) != 1 {
		t.Fatalf("claim: %v %v", as, err)
	}
	return f, run, reg, as[0]
}

func TestFencedReportGets409AndLostWorker410(t *testing.T) {
	f, run, reg, a := helloClaimed(t)
	if _, err := f.c.CancelRun(f.ctx, run.ID, "test"); err != nil {
		t.Fatal(err)
	}
	err := f.c.ReportOne(f.ctx, reg.Worker.ID, client.Report{AttemptID: a.AttemptID, Kind: "finish", State: "succeeded"})
	if !client.IsConflict(err) {
		t.Errorf("report after cancel: %v, want 409", err)
	}
	gone, err := f.c.Register(f.ctx, client.RegisterRequest{Zone: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.c.StopWorker(f.ctx, gone.Worker.ID, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.Heartbeat(f.ctx, gone.Worker.ID, nil); !client.IsGone(err) {
		t.Errorf("heartbeat of a stopped worker: %v, want 410", err)
	}
}

// TestStopCallsOffAClaimNeverReceived: a worker's stop that lists what it
// holds (here nothing: the answer of its last claim never reached it)
// calls off the attempt that claim dispatched and queues its task again,
// without an attempt.lost event; a stop that does not say, or has no body
// at all (a worker older than the field), loses it.
func TestStopCallsOffAClaimNeverReceived(t *testing.T) {
	type stopper func(f *fixture, id string) error
	viaClient := func(held []int64) stopper {
		return func(f *fixture, id string) error { return f.c.StopWorker(f.ctx, id, held) }
	}
	noBody := func(f *fixture, id string) error {
		req, err := http.NewRequestWithContext(f.ctx, http.MethodPost, f.url+"/api/v1/workers/"+id+"/stop", nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+client.CredentialOf(f.c, id))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			return fmt.Errorf("stop without a body: %s", resp.Status)
		}
		return nil
	}
	for _, c := range []struct {
		name            string
		stop            stopper
		lost, cancelled int
	}{
		{"holds nothing", viaClient([]int64{}), 0, 1},
		{"does not say", viaClient(nil), 1, 0},
		{"sends no body", noBody, 1, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, run, reg, _ := helloClaimed(t)
			if err := c.stop(f, reg.Worker.ID); err != nil {
				t.Fatal(err)
			}
			count := func(kind string) int {
				page, err := f.c.Events(f.ctx, client.EventFilter{RunID: run.ID, Kind: kind})
				if err != nil {
					t.Fatal(err)
				}
				return len(page.Items)
			}
			if lost, cancelled := count("attempt.lost"), count("attempt.cancelled"); lost != c.lost || cancelled != c.cancelled {
				t.Errorf("%d attempt.lost, %d attempt.cancelled events, want %d and %d", lost, cancelled, c.lost, c.cancelled)
			}
			d, err := f.c.Run(f.ctx, run.ID)
			if err != nil {
				t.Fatal(err)
			}
			// Handed on either way (greet is rerunnable); a loss is counted only when lost.
			if got := d.Tasks[0]; got.State != "queued" || got.Lost != int64(c.lost) {
				t.Errorf("task %s %s, lost %d; want queued, lost %d", got.Name, got.State, got.Lost, c.lost)
			}
		})
	}
}

func TestOpenAPIAndHealth(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite(t), engine.Config{})
	for path, want := range map[string]string{
		"/api/v1/openapi.json": `"openapi":"3.1`,
		"/healthz":             "ok",
		"/readyz":              "ok",
	} {
		resp, err := authGet(f.url + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Errorf("GET %s: %d %.80s", path, resp.StatusCode, body)
		}
	}
	resp, err := authGet(f.url + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Paths map[string]any `json:"paths"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/api/v1/workflows", "/api/v1/runs/{id}", "/api/v1/workers/{id}/claim", "/api/v1/events"} {
		if doc.Paths[p] == nil {
			t.Errorf("OpenAPI lacks %s", p)
		}
	}
}

func TestStartRunsInABatch(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite(t), engine.Config{})
	if _, err := f.c.Apply(f.ctx, []client.SourceFile{{Filename: "hello.yaml", Content: hello}}); err != nil {
		t.Fatal(err)
	}
	runs, err := f.c.StartRuns(f.ctx, "hello", []client.StartRunRequest{
		{Params: map[string]string{"who": "a"}, IdempotencyKey: "same"}, {}, {IdempotencyKey: "same"},
	})
	if err != nil || len(runs) != 3 {
		t.Fatalf("start batch: %+v %v", runs, err)
	}
	if runs[0].ID != runs[2].ID || runs[1].ID == runs[0].ID || runs[0].Params["who"] != "a" || runs[1].Params["who"] != "world" {
		t.Errorf("runs %+v, want the repeated key to return the first run", runs)
	}
	_, err = f.c.StartRuns(f.ctx, "hello", []client.StartRunRequest{{}, {Params: map[string]string{"nope": "x"}}})
	var apiErr *client.Error
	if !errorsAs(err, &apiErr) || apiErr.Status != http.StatusUnprocessableEntity || !strings.Contains(apiErr.Error(), "runs[1]") {
		t.Errorf("batch with an unknown parameter: %v, want 422 naming runs[1]", err)
	}
	page, err := f.c.Runs(f.ctx, client.RunFilter{})
	if err != nil || len(page.Items) != 2 {
		t.Errorf("%d runs stored (%v), want 2: the refused batch stored nothing", len(page.Items), err)
	}
}
