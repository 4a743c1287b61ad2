package ui_test

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/ui"
	"github.com/baton-sched/baton/internal/workflow"
)

// TestPanelCheckpointAndChild: a task's panel shows its checkpoint's
// decoded size and when it was taken, and a sub-workflow task's panel
// links to the latest run it started.
func TestPanelCheckpointAndChild(t *testing.T) {
	f := newFake(1)
	at := time.Date(2026, 1, 2, 3, 9, 0, 0, time.UTC)
	f.run.Tasks[0].Checkpoint = base64.StdEncoding.EncodeToString([]byte(strings.Repeat("x", 1500)))
	f.run.Tasks[0].CheckpointAt = at
	f.run.Tasks[1].Group = workflow.SubWorkflowGroup
	f.run.Tasks[1].Reason = "child " + xss
	f.more.children = []ui.ChildRun{
		{TaskID: 2, RunID: 40, State: "failed"},
		{TaskID: 9, RunID: 41, State: "running"}, // another task's
		{TaskID: 2, RunID: 42, State: "running"}, // the rerun: the latest
	}
	h := ui.New(f, ui.Options{})
	defer h.Close()

	for _, tc := range []struct {
		path        string
		want, avoid []string
	}{
		{"/runs/7?task=split", []string{"Checkpoint: 1.5 KiB (1500 B)", "2026-01-02 03:09:00Z"}, []string{"Sub-workflow"}},
		{"/runs/7/tasks/split", []string{"Checkpoint: 1.5 KiB (1500 B)"}, nil},
		{"/runs/7?task=part-0", []string{`<a href="/runs/42">child run 42</a>`, "child &lt;script&gt;"},
			[]string{"/runs/40", "/runs/41", "Checkpoint:"}},
		{"/runs/7?task=join", nil, []string{"Sub-workflow", "Checkpoint:"}},
	} {
		code, body := get(t, h, tc.path)
		if code != 200 {
			t.Fatalf("GET %s: %d", tc.path, code)
		}
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("GET %s lacks %q", tc.path, w)
			}
		}
		for _, a := range tc.avoid {
			if strings.Contains(body, a) {
				t.Errorf("GET %s has %q", tc.path, a)
			}
		}
		if strings.Contains(body, "<script>alert") {
			t.Errorf("GET %s renders user text as markup", tc.path)
		}
	}
}

// TestPanelRenderedCommand: a task's panel shows its templates expanded
// as the engine answers them, as text, an http task's URL redacted, and
// says why templates do not expand yet.
func TestPanelRenderedCommand(t *testing.T) {
	f := newFake(2)
	f.more.rendered = map[string]engine.RenderedTask{
		"split": {Kind: "shell", Command: `./push "${BATON_TPL_1}"`,
			Env: map[string]string{"BATON_TPL_1": xss, "TOKEN": "${{ secrets.api_token }}"}},
		"part-0": {Kind: "http", Payload: &client.HTTPRequest{Method: "POST", URL: "https://u:pw@hooks.example.com/x?token=abc&day=1",
			Headers: map[string]string{"Authorization": "Bearer ${{ secrets.api_token }}"}, Body: xss}},
		"part-1": {Kind: "http", Problem: "http.url: tasks.split.outputs.id: task split has no output \"id\" " + xss},
		"join":   {Kind: "sql", Payload: &client.SQLRequest{DSN: "${{ secrets.db }}", Statements: []client.SQLStatement{{Query: "select $1", Params: []string{xss}}}}},
	}
	h := ui.New(f, ui.Options{})
	defer h.Close()
	for _, tc := range []struct {
		path        string
		want, avoid []string
	}{
		{"/runs/7?task=split", []string{"Command of attempt 1", `./push &#34;${BATON_TPL_1}&#34;`, "BATON_TPL_1", "&lt;script&gt;alert(9)",
			"${{ secrets.api_token }}"}, nil},
		{"/runs/7?task=part-0", []string{"Request of attempt 1", "POST https://u:***@hooks.example.com/x?token=***&amp;day=1",
			"Authorization: Bearer ${{ secrets.api_token }}", "&lt;script&gt;alert(9)"}, []string{"pw@", "abc"}},
		{"/runs/7?task=part-1", []string{"do not expand yet", "has no output &#34;id&#34; &lt;script&gt;"}, []string{"Request of"}},
		{"/runs/7?task=join", []string{"SQL of attempt 1", "${{ secrets.db }}", "select $1", "&lt;script&gt;alert(9)"}, nil},
	} {
		code, body := get(t, h, tc.path)
		if code != 200 {
			t.Fatalf("GET %s: %d", tc.path, code)
		}
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("GET %s lacks %q", tc.path, w)
			}
		}
		for _, a := range tc.avoid {
			if strings.Contains(body, a) {
				t.Errorf("GET %s has %q", tc.path, a)
			}
		}
		if strings.Contains(body, "<script>alert") {
			t.Errorf("GET %s renders user text as markup", tc.path)
		}
	}
}
