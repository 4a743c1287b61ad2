package ui_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/ui"
)

// moreData is what the fake answers for the administration lists.
type moreData struct {
	servers []client.Server
	slots   []client.Slot
	alerts  client.Alerts
	tokens  []client.Token
	users   []client.User
	// tokensDenied: Tokens answers ErrForbidden.
	tokensDenied bool
	// versions, when set, are the versions Version answers by number.
	versions map[int64]client.WorkflowVersion
	// children are the child runs Children answers.
	children []ui.ChildRun
	// rendered are the tasks RenderTask answers, by name.
	rendered map[string]engine.RenderedTask
	// approvals are what Approvals answers.
	approvals []client.Approval
}

func (f *fake) Servers(context.Context) ([]client.Server, error) { return f.more.servers, nil }
func (f *fake) Slots(context.Context) ([]client.Slot, error)     { return f.more.slots, nil }
func (f *fake) Alerts(context.Context) (client.Alerts, error)    { return f.more.alerts, nil }
func (f *fake) Children(context.Context, int64) ([]ui.ChildRun, error) {
	return f.more.children, nil
}
func (f *fake) Approvals(context.Context, int64) ([]client.Approval, error) {
	return f.more.approvals, nil
}
func (f *fake) RenderTask(_ context.Context, _ int64, task string, attempt int64) (engine.RenderedTask, error) {
	r := f.more.rendered[task]
	r.Attempt = max(attempt, 1)
	return r, nil
}
func (f *fake) Users(context.Context) ([]client.User, error) {
	if f.more.tokensDenied {
		return nil, fmt.Errorf("listing users needs admin: %w", ui.ErrForbidden)
	}
	return f.more.users, nil
}
func (f *fake) Tokens(context.Context) ([]client.Token, error) {
	if f.more.tokensDenied {
		return nil, fmt.Errorf("listing tokens needs admin: %w", ui.ErrForbidden)
	}
	return f.more.tokens, nil
}

const xss = "<script>alert(9)</script>"

func fakeWithLists() *fake {
	f := newFake(2)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	used := t0.Add(time.Minute)
	f.more = moreData{
		servers: []client.Server{
			{ID: "server-1", Address: "10.0.0.1:8420", Zone: "a", Version: "v1.2.0", Alive: true, Ready: true, StartedAt: t0, SeenAgo: 2},
			{ID: "server-2", Address: "10.0.0.2:8420", Zone: "b", Version: "v1.1.0", Alive: false, StartedAt: t0, SeenAgo: 3600},
		},
		slots: []client.Slot{{Name: "db", Size: 4, Running: 1, Queued: 2, Description: "pool " + xss}},
		alerts: client.Alerts{
			Channels: []client.AlertChannel{{Name: "ops", URL: "https://hooks.example.com/…", Events: []string{"run.failed"}, HasSecret: true}},
			Pending:  []client.PendingAlert{{AlertID: "al-1", Channel: "ops", Kind: "run.failed", State: "failed", LastError: xss}},
		},
		users:  []client.User{{Name: "alice " + xss, Role: "editor", CreatedAt: t0, UpdatedAt: t0}, {Name: "bob", Role: "viewer", Disabled: true}},
		tokens: []client.Token{{Name: "ci " + xss, Kind: "api", Role: "operator", Scope: "*", CreatedAt: t0, LastUsedAt: &used}},
	}
	f.events = append(f.events, client.Event{ID: 2, At: t0.Add(6 * time.Second), Kind: "run.cancelled", Actor: "user:mallory",
		RunID: 7, OldState: "running", NewState: "cancelled", Reason: "because " + xss})
	return f
}

func TestAdminPages(t *testing.T) {
	f := fakeWithLists()
	h := ui.New(f, ui.Options{})
	defer h.Close()
	for _, tc := range []struct {
		path   string
		status int
		want   []string
	}{
		{"/", 200, []string{"10.0.0.1:8420", "✓ alive", "v1.2.0", "✗ stale", "1h0m ago"}},
		{"/schedules", 200, []string{`href="/workflows/wf"`, "nightly", "‖ paused", "0 3 * * *"}},
		{"/slots", 200, []string{"db", "pool &lt;script&gt;", `aria-label="1 of 4 used"`}},
		{"/alerts", 200, []string{"ops", "https://hooks.example.com/…", "run.failed", "✗ failed", "&lt;script&gt;alert(9)"}},
		{"/users", 200, []string{"alice &lt;script&gt;", "editor", "✓ enabled", "‖ disabled"}},
		{"/tokens", 200, []string{"ci &lt;script&gt;", "operator", "✓ valid", "2026-01-02 03:05:05Z"}},
		{"/events?run=7", 200, []string{`href="/runs/7"`, "user:mallory", "because &lt;script&gt;", "running → cancelled",
			`href="/runs/7?task=split"`}},
	} {
		code, body := get(t, h, tc.path)
		if code != tc.status {
			t.Errorf("GET %s: %d, want %d", tc.path, code, tc.status)
		}
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("GET %s lacks %q", tc.path, w)
			}
		}
		if strings.Contains(body, "<script>alert") {
			t.Errorf("GET %s renders user text as markup", tc.path)
		}
	}
	f.more.tokensDenied = true
	if code, body := get(t, h, "/tokens"); code != http.StatusForbidden || strings.Contains(body, "operator") {
		t.Errorf("GET /tokens for a role that may not list them: %d", code)
	}
	if code, body := get(t, h, "/users"); code != http.StatusForbidden || strings.Contains(body, "alice") {
		t.Errorf("GET /users for a role that may not list them: %d", code)
	}
}

// The workflow page's grid: a row per task, a cell per recent run, each
// linking to the task's panel in that run, with the state in text too.
func TestWorkflowGrid(t *testing.T) {
	f := fakeWithLists()
	f.run.Tasks[1].State = "failed"
	f.run.Tasks = append(f.run.Tasks, client.Task{ID: 99, Name: "old <b>task</b>", State: "skipped"})
	h := ui.New(f, ui.Options{})
	defer h.Close()
	code, body := get(t, h, "/workflows/wf")
	if code != 200 {
		t.Fatalf("status %d", code)
	}
	for _, want := range []string{
		`<table class="grid">`,
		`<th scope="row">split</th><td><a class="cell s-ok" href="/runs/7?task=split" title="run 7 · split: succeeded">✓<span class="visually-hidden"> succeeded</span></a></td>`,
		`<th scope="row">part-0</th><td><a class="cell s-bad" href="/runs/7?task=part-0"`,
		// A task only an older version has comes last, escaped.
		`<th scope="row">old &lt;b&gt;task&lt;/b&gt;</th><td><a class="cell s-idle" href="/runs/7?task=old%20%3cb%3etask%3c%2fb%3e"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the grid lacks %s", want)
		}
	}
	if strings.Index(body, `scope="row">join<`) > strings.Index(body, `scope="row">old &lt;b&gt;`) {
		t.Errorf("rows are not in definition order, older tasks last")
	}
}

func TestWorkflowDiff(t *testing.T) {
	f := fakeWithLists()
	f.more.versions = map[int64]client.WorkflowVersion{
		1: {Workflow: "wf", Version: 1, Source: "name: wf\ntasks:\n  - name: a\n    run: echo <script>alert(1)</script>\n"},
		2: {Workflow: "wf", Version: 2, Source: "name: wf\ntasks:\n  - name: a\n    run: echo hi\n"},
		3: {Workflow: "wf", Version: 3, Definition: map[string]any{"name": "wf"}},
	}
	h := ui.New(f, ui.Options{})
	defer h.Close()
	code, body := get(t, h, "/workflows/wf?diff=1..2")
	if code != 200 {
		t.Fatalf("status %d", code)
	}
	for _, want := range []string{
		"Changes from v1 to v2",
		`<span class="d-hunk">@@ -1,4 &#43;1,4 @@</span>`,
		`<span class="d-same"> name: wf</span>`,
		`<span class="d-del">-    run: echo &lt;script&gt;alert(1)&lt;/script&gt;</span>`,
		`<span class="d-ins">&#43;    run: echo hi</span>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the diff lacks %s", want)
		}
	}
	if strings.Contains(body, "<script>alert") {
		t.Errorf("the diff renders a definition as markup")
	}
	// Without a source the definitions' JSON is compared.
	if _, body := get(t, h, "/workflows/wf?diff=3..3"); !strings.Contains(body, "The two definitions are the same.") {
		t.Errorf("a version against itself shows changes")
	}
	for path, want := range map[string]int{
		"/workflows/wf?diff=1":      http.StatusBadRequest,
		"/workflows/wf?diff=a..2":   http.StatusBadRequest,
		"/workflows/wf?diff=0..2":   http.StatusBadRequest,
		"/workflows/wf?diff=1..9":   http.StatusNotFound,
		"/workflows/nope?diff=1..2": http.StatusNotFound,
	} {
		if code, body := get(t, h, path); code != want || (want == 400 && !strings.Contains(body, "diff: want two versions")) {
			t.Errorf("GET %s: %d, want %d", path, code, want)
		}
	}
}
