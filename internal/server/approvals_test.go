package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	neturl "net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/client/vocab"
	"github.com/baton-sched/baton/internal/auth"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/server"
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/storetest"
)

const approvalFlow = `name: release
params:
  date: {default: "2026-12-01"}
tasks:
  - name: sign-off
    approval:
      message: "Load ${{ params.date }} into prod?"
  - {name: load, run: load, needs: [sign-off]}
`

// approvalEnv is an authEnv whose run of release waits at sign-off.
func approvalEnv(t *testing.T, st store.Store) (*authEnv, *engine.Engine, client.Run) {
	e := engine.New(st, engine.Config{})
	srv := server.New(e, server.Config{})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { ts.Close(); srv.Stop() })
	env := &authEnv{t: t, ctx: context.Background(), st: st, url: ts.URL}
	env.admin = env.as(env.issue("admin", auth.RoleAdmin))
	if _, err := env.admin.Apply(env.ctx, []client.SourceFile{{Filename: "r.yaml", Content: approvalFlow}}); err != nil {
		t.Fatal(err)
	}
	run, err := env.admin.StartRun(env.ctx, "release", client.StartRunRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := e.StartServerTasks(env.ctx, vocab.KindApproval, 10); err != nil || n != 1 {
		t.Fatalf("start approvals: %d %v", n, err)
	}
	return env, e, run
}

func TestApprovalThroughTheAPI(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st store.Store) {
		env, _, run := approvalEnv(t, st)
		ctx := env.ctx
		approve := client.ApprovalDecision{Decision: vocab.DecisionApprove, Note: "ship it"}

		if _, err := env.as("").Decide(ctx, run.ID, "sign-off", approve); status(err) != http.StatusUnauthorized {
			t.Errorf("anonymous decision: %v, want 401", err)
		}
		viewer := env.as(env.issue("viewer", auth.RoleViewer))
		if _, err := viewer.Decide(ctx, run.ID, "sign-off", approve); status(err) != http.StatusForbidden {
			t.Errorf("viewer decision: %v, want 403", err)
		}
		pending, err := viewer.Approvals(ctx, vocab.ApprovalPending, 0)
		if err != nil || len(pending) != 1 || pending[0].Message != "Load 2026-12-01 into prod?" || pending[0].Task != "sign-off" {
			t.Fatalf("viewer lists pending approvals: %+v %v", pending, err)
		}
		op := env.as(env.issue("olga", auth.RoleOperator))
		long := client.ApprovalDecision{Decision: vocab.DecisionApprove, Note: strings.Repeat("x", 2049)}
		if _, err := op.Decide(ctx, run.ID, "sign-off", long); status(err) != http.StatusUnprocessableEntity ||
			!strings.Contains(err.Error(), "note") {
			t.Errorf("oversize note: %v, want 422 naming note", err)
		}
		if _, err := op.Decide(ctx, run.ID, "sign-off", client.ApprovalDecision{Decision: "maybe"}); status(err) != http.StatusUnprocessableEntity {
			t.Errorf("decision maybe: %v, want 422", err)
		}
		if _, err := op.Decide(ctx, run.ID+1000, "sign-off", approve); status(err) != http.StatusNotFound {
			t.Errorf("unknown run: %v, want 404", err)
		}
		if _, err := op.Decide(ctx, run.ID, "nope", approve); status(err) != http.StatusNotFound {
			t.Errorf("unknown task: %v, want 404", err)
		}
		if _, err := op.Decide(ctx, run.ID, "load", approve); status(err) != http.StatusConflict {
			t.Errorf("task not waiting: %v, want 409", err)
		}
		ap, err := op.Decide(ctx, run.ID, "sign-off", approve)
		if err != nil || ap.State != vocab.ApprovalApproved || ap.DecidedBy != "token:olga" || ap.Note != "ship it" {
			t.Fatalf("operator approves: %+v %v", ap, err)
		}
		if _, err := op.Decide(ctx, run.ID, "sign-off", approve); status(err) != http.StatusConflict {
			t.Errorf("second decision: %v, want 409", err)
		}
		detail, err := env.admin.Run(ctx, run.ID)
		if err != nil || detail.Tasks[0].State != vocab.TaskSucceeded || detail.Tasks[1].State != vocab.TaskQueued {
			t.Fatalf("run after approval: %+v %v, want sign-off succeeded and load queued", detail.Tasks, err)
		}
		evs, err := env.admin.Events(ctx, client.EventFilter{RunID: run.ID, Kind: vocab.EventApprovalApproved})
		if err != nil || len(evs.Items) != 1 || evs.Items[0].Actor != "token:olga" {
			t.Errorf("approval.approved events %+v %v, want one by token:olga", evs, err)
		}
		if pending, _ := viewer.Approvals(ctx, vocab.ApprovalPending, 0); len(pending) != 0 {
			t.Errorf("pending after the decision: %+v", pending)
		}
	})
}

// TestApprovalBodyBounded sends the request an attacker would: a huge
// body is refused before it is read whole.
func TestApprovalBodyBounded(t *testing.T) {
	env, _, run := approvalEnv(t, storetest.OpenSQLite(t))
	body, _ := json.Marshal(map[string]string{"decision": "approve", "note": strings.Repeat("x", 1<<20)})
	req, _ := http.NewRequest(http.MethodPost, env.url+"/api/v1/runs/"+strconv.FormatInt(run.ID, 10)+"/tasks/sign-off/approval",
		bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+env.issue("op", auth.RoleOperator))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("1 MiB body: %d, want 413", resp.StatusCode)
	}
}

// TestApprovalUI: the task panel of a waiting approval shows its message,
// and its buttons to an operator only; the form needs the session's CSRF
// token, a viewer's forged form is refused 403 and changes nothing, an
// operator's approves.
func TestApprovalUI(t *testing.T) {
	st := storetest.OpenSQLite(t)
	f := newUIFixture(t, st)
	if _, err := f.c.Apply(f.ctx, []client.SourceFile{{Filename: "r.yaml", Content: approvalFlow}}); err != nil {
		t.Fatal(err)
	}
	run, err := f.c.StartRun(f.ctx, "release", client.StartRunRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := engine.New(st, engine.Config{}).StartServerTasks(f.ctx, vocab.KindApproval, 10); err != nil || n != 1 {
		t.Fatalf("start approvals: %d %v", n, err)
	}
	panel := "/runs/" + strconv.FormatInt(run.ID, 10) + "?task=sign-off"
	action := "/runs/" + strconv.FormatInt(run.ID, 10) + "/tasks/sign-off/approval"
	status, body := f.viewer.get(panel)
	if status != http.StatusOK || !strings.Contains(body, "Load 2026-12-01 into prod?") {
		t.Fatalf("viewer's panel: %d, message missing:\n%.2000s", status, body)
	}
	if strings.Contains(body, `action="`+action+`"`) {
		t.Error("a viewer is shown the approval form")
	}
	if status, _ := f.viewer.post(action, neturl.Values{"decision": {vocab.DecisionApprove}}); status != http.StatusForbidden {
		t.Errorf("viewer's approval form: %d, want 403", status)
	}
	if status, _ := f.operator.post(action, neturl.Values{"decision": {vocab.DecisionApprove}, "csrf": {""}}); status != http.StatusForbidden {
		t.Errorf("operator's form without CSRF token: %d, want 403", status)
	}
	if aps, _ := f.c.Approvals(f.ctx, vocab.ApprovalPending, 0); len(aps) != 1 {
		t.Fatalf("refused forms decided: pending %+v", aps)
	}
	if _, body := f.viewer.get("/"); !strings.Contains(body, "Waiting for approval") || !strings.Contains(body, "Load 2026-12-01 into prod?") {
		t.Errorf("the overview does not list the waiting approval:\n%.3000s", body)
	}
	if _, body := f.operator.get(panel); !strings.Contains(body, `action="`+action+`"`) {
		t.Errorf("the operator is not shown the approval form:\n%.3000s", body)
	}
	status, body = f.operator.post(action, neturl.Values{"decision": {vocab.DecisionApprove}, "note": {"fine"}})
	if status != http.StatusOK || !strings.Contains(body, "task sign-off approved") {
		t.Fatalf("operator approves: %d, flash missing:\n%.3000s", status, body)
	}
	aps, err := f.c.Approvals(f.ctx, vocab.ApprovalApproved, 0)
	if err != nil || len(aps) != 1 || aps[0].DecidedBy != "token:ui-operator" || aps[0].Note != "fine" {
		t.Errorf("approved: %+v %v, want one by the operator with the note", aps, err)
	}
}
