package server_test

import (
	"context"
	"encoding/base64"
	"io"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/secrets"
	"github.com/baton-sched/baton/internal/server"
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/storetest"
)

const (
	kidWorkflow = "name: kid\ntasks:\n  - {name: step, run: step}\n"
	momWorkflow = "name: mom\ntasks:\n  - {name: sub, workflow: kid}\n"
	slyWorkflow = `name: sly
params:
  who: {default: "<script>alert('who')</script>"}
tasks:
  - name: push
    run: ./push ${{ params.who }}
    env: {TOKEN: "${{ secrets.api_token }}"}
  - name: notify
    needs: [push]
    http:
      url: https://hooks.example.com/x
      headers: {Authorization: "Bearer ${{ secrets.api_token }}"}
`
	slyValue = "s3cr3t-v4lue-never-shown"
)

// TestUITaskPanelChildAndCheckpoint: through a real server and store, a
// sub-workflow task's panel links to the run it started, a task's panel
// shows the decoded size of its checkpoint, and its command and request
// expanded with each secret as its placeholder, never its value.
func TestUITaskPanelChildAndCheckpoint(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		ring, err := secrets.ParseKeys(secrets.NewKey())
		if err != nil {
			t.Fatal(err)
		}
		e := engine.New(s, engine.Config{Secrets: ring})
		srv := server.New(e, server.Config{})
		ts := httptest.NewServer(srv.Handler())
		t.Cleanup(func() { ts.Close(); srv.Stop() })
		rememberTokens(t, ts.URL, s)
		admin, join := tokensOf(ts.URL)
		c, err := client.New([]string{ts.URL}, client.WithToken(admin), client.WithJoinToken(join))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.SetSecret(ctx, "api_token", slyValue, "user:test"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Apply(ctx, []client.SourceFile{{Filename: "kid.yaml", Content: kidWorkflow},
			{Filename: "mom.yaml", Content: momWorkflow}, {Filename: "sly.yaml", Content: slyWorkflow}}); err != nil {
			t.Fatal(err)
		}
		mom, err := c.StartRun(ctx, "mom", client.StartRunRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if n, err := e.StartSubWorkflows(ctx, 10); err != nil || n != 1 {
			t.Fatalf("start sub-workflows: %d %v, want 1", n, err)
		}
		kids, err := c.Runs(ctx, client.RunFilter{Workflow: "kid", Limit: 10})
		if err != nil || len(kids.Items) != 1 {
			t.Fatalf("runs of kid: %+v %v, want one", kids, err)
		}
		kid := kids.Items[0].ID

		reg, err := c.Register(ctx, client.RegisterRequest{Name: "w1", Zone: "a", Capacity: 2})
		if err != nil {
			t.Fatal(err)
		}
		as, err := c.Claim(ctx, reg.Worker.ID, client.ClaimRequest{Max: 1, FreeCU: 2, Wait: 5 * time.Second})
		if err != nil || len(as) != 1 {
			t.Fatalf("claim: %+v %v", as, err)
		}
		cp := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("c", 3000)))
		if err := c.ReportOne(ctx, reg.Worker.ID, client.Report{AttemptID: as[0].AttemptID, Kind: "checkpoint", Checkpoint: cp}); err != nil {
			t.Fatal(err)
		}

		// Started after the claim, so that the claim takes kid's task.
		sly, err := c.StartRun(ctx, "sly", client.StartRunRequest{})
		if err != nil {
			t.Fatal(err)
		}
		browser := logIn(t, ts.URL, admin)
		slyID := strconv.FormatInt(sly.ID, 10)
		for path, want := range map[string]string{
			"/runs/" + strconv.FormatInt(mom.ID, 10) + "?task=sub": `<a href="/runs/` + strconv.FormatInt(kid, 10) + `">child run`,
			"/runs/" + strconv.FormatInt(kid, 10) + "?task=step":   "Checkpoint: 2.9 KiB (3000 B)",
			"/runs/" + slyID + "?task=push":                        "<dt>TOKEN</dt><dd><code>${{ secrets.api_token }}</code>",
			"/runs/" + slyID + "/tasks/push":                       "&lt;script&gt;alert(&#39;who&#39;)&lt;/script&gt;",
			"/runs/" + slyID + "?task=notify":                      "Authorization: Bearer ${{ secrets.api_token }}",
		} {
			resp, err := browser.Get(ts.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
				t.Errorf("GET %s: %d, want %q in\n%s", path, resp.StatusCode, want, body)
			}
			if strings.Contains(string(body), slyValue) || strings.Contains(string(body), "<script>alert") {
				t.Errorf("GET %s shows a secret's value or renders a parameter as markup", path)
			}
		}
	})
}
