package ui_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/ui"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fake is an in-memory Source; it counts run reads.
type fake struct {
	mu       sync.Mutex
	run      client.RunDetail
	def      map[string]any
	attempts []client.Attempt
	events   []client.Event
	runReads atomic.Int64
	// eventQueries are the event reads made, in order.
	eventQueries []ui.EventQuery
	runQueries   []ui.RunQuery // the runs reads made, in order
	more         moreData      // the administration lists (more_test.go)
}

func (f *fake) Placement(context.Context) (client.Placement, error) {
	return client.Placement{Zones: []client.Zone{{Name: "a", State: "healthy", Workers: 1,
		Capacity: client.Capacity{LiveCU: 4, RegisteredCU: 4, UsedCU: 1, Availability: 1}}}}, nil
}
func (f *fake) Workers(context.Context, bool) ([]client.Worker, error) {
	return []client.Worker{{ID: "w-aaaaaaaaaaaa", Name: "alpha", Zone: "a", State: "active"}, {ID: "w-bbbbbbbbbbbb", Name: "beta", Zone: "b", State: "active"}}, nil
}
func (f *fake) Runs(_ context.Context, q ui.RunQuery) ([]client.Run, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.runQueries = append(f.runQueries, q)
	return []client.Run{f.run.Run}, "", nil
}
func (f *fake) Run(_ context.Context, id int64) (client.RunDetail, error) {
	f.runReads.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	if id != f.run.ID {
		return client.RunDetail{}, fmt.Errorf("run %d: %w", id, engine.ErrNotFound)
	}
	run := f.run
	run.Tasks = slices.Clone(f.run.Tasks) // setState changes them while pages read
	return run, nil
}
func (f *fake) Attempts(context.Context, int64) ([]client.Attempt, error) { return f.attempts, nil }
func (f *fake) Logs(_ context.Context, _ int64, task string, _, _, _ int64) (client.Logs, error) {
	return client.Logs{Attempt: 1, State: "succeeded", Chunks: []client.LogChunk{{Seq: 1, Data: "<script>alert(1)</script>\n"}}}, nil
}
func (f *fake) Events(_ context.Context, q ui.EventQuery) ([]client.Event, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.eventQueries = append(f.eventQueries, q)
	return f.events, nil
}
func (f *fake) Workflows(context.Context) ([]client.Workflow, error) {
	return []client.Workflow{{Name: "wf", LatestVersion: 1}}, nil
}
func (f *fake) Versions(context.Context, string) ([]client.WorkflowVersion, error) {
	return []client.WorkflowVersion{{Workflow: "wf", Version: 1}}, nil
}
func (f *fake) Version(_ context.Context, name string, version int64) (client.WorkflowVersion, error) {
	if name != "wf" {
		return client.WorkflowVersion{}, fmt.Errorf("workflow %q: %w", name, engine.ErrNotFound)
	}
	if v, ok := f.more.versions[version]; ok {
		return v, nil
	}
	return client.WorkflowVersion{Workflow: "wf", Version: 1, Definition: f.def}, nil
}
func (f *fake) Schedules(context.Context) ([]client.Schedule, error) {
	return []client.Schedule{{Workflow: "wf", Name: "nightly", Cron: "0 3 * * *", Paused: true}}, nil
}

func (f *fake) setState(state string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.run.State = state
	for i := range f.run.Tasks {
		f.run.Tasks[i].State = state
	}
}

// newFake is a run of a 1 -> n -> 1 workflow: its first task was lost in
// zone a and replaced in zone b.
func newFake(n int) *fake {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	f := &fake{run: client.RunDetail{Run: client.Run{ID: 7, Workflow: "wf", Version: 1, State: "running", CreatedAt: t0}}}
	tasks := []any{map[string]any{"name": "split"}}
	f.run.Tasks = append(f.run.Tasks, client.Task{ID: 1, Name: "split", State: "succeeded"})
	var mids []any
	for i := range n {
		name := fmt.Sprintf("part-%d", i)
		tasks = append(tasks, map[string]any{"name": name, "needs": []any{"split"}})
		f.run.Tasks = append(f.run.Tasks, client.Task{ID: int64(i + 2), Name: name, State: "running"})
		mids = append(mids, name)
	}
	tasks = append(tasks, map[string]any{"name": "join", "needs": mids})
	f.run.Tasks = append(f.run.Tasks, client.Task{ID: int64(n + 2), Name: "join", State: "pending"})
	f.def = map[string]any{"name": "wf", "description": "d <script>alert(2)</script>", "tasks": tasks}
	f.attempts = []client.Attempt{
		{ID: 1, TaskID: 1, Task: "split", Number: 1, State: "lost", Reason: "worker lost", WorkerID: "w-aaaaaaaaaaaa", Zone: "a",
			DispatchedAt: t0, FinishedAt: t0.Add(5 * time.Second)},
		{ID: 2, TaskID: 1, Task: "split", Number: 2, State: "succeeded", WorkerID: "w-bbbbbbbbbbbb", Zone: "b",
			DispatchedAt: t0.Add(6 * time.Second), FinishedAt: t0.Add(8 * time.Second)},
	}
	f.events = []client.Event{{ID: 1, At: t0.Add(5 * time.Second), Kind: "attempt.lost", RunID: 7, TaskID: 1, Task: "split",
		AttemptID: 1, WorkerID: "w-aaaaaaaaaaaa", Zone: "a", Reason: "worker lost"}}
	return f
}

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Code, rec.Body.String()
}

func TestPages(t *testing.T) {
	h := ui.New(newFake(3), ui.Options{})
	defer h.Close()
	for _, tc := range []struct {
		path   string
		status int
		want   []string
	}{
		{"/", 200, []string{"Zone a", "100%", "Recent failovers", "#1 zone a", "#2 zone b", "1s"}},
		{"/runs", 200, []string{`href="/runs/7"`}},
		{"/runs/7", 200, []string{`data-task="part-2"`, `class="failover"`, `data-zone="b"`}},
		{"/runs/7?task=split", 200, []string{"&lt;script&gt;alert(1)&lt;/script&gt;", "worker lost"}},
		{"/runs/8", 404, nil},
		{"/runs/x", 404, nil},
		{"/workflows", 200, []string{`href="/workflows/wf"`}},
		{"/workflows/wf", 200, []string{"d &lt;script&gt;alert(2)&lt;/script&gt;", "‖ paused", `data-task="join"`}},
		{"/zones", 200, []string{"alpha", "beta"}},
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
}

// TestFailoversReadRecentEvents: the overview reads lost attempts from
// the first event of the oldest run of the last 24 hours on, not from the
// start of the audit trail.
func TestFailoversReadRecentEvents(t *testing.T) {
	f := newFake(1)
	h := ui.New(f, ui.Options{})
	defer h.Close()
	if code, _ := get(t, h, "/"); code != 200 {
		t.Fatalf("status %d", code)
	}
	want := []ui.EventQuery{{Run: 7, Limit: 1}, {Kind: "attempt.lost", After: 0, Limit: 1000}}
	if fmt.Sprint(f.eventQueries) != fmt.Sprint(want) {
		t.Errorf("event reads %+v, want %+v", f.eventQueries, want)
	}
}

// TestBigDAG draws a 1 -> 1000 -> 1 run: the middle layer becomes one
// group node counting its tasks. The render time is logged, not asserted
// (the machine is shared): docs/performance.md records it.
func TestBigDAG(t *testing.T) {
	h := ui.New(newFake(1000), ui.Options{})
	defer h.Close()
	// The best of three renders, so that a loaded machine does not fail it.
	var code int
	var body string
	took := time.Hour
	for range 3 {
		start := time.Now()
		code, body = get(t, h, "/runs/7")
		took = min(took, time.Since(start))
	}
	if code != 200 {
		t.Fatalf("status %d", code)
	}
	if !strings.Contains(body, "1000 tasks") || !strings.Contains(body, "▶ 1000 running") {
		t.Errorf("the 1000-task layer is not one group node")
	}
	if n := strings.Count(body, `<g class="node`); n != 3 {
		t.Errorf("%d nodes drawn, want 3 (split, the group, join)", n)
	}
	t.Logf("1 -> 1000 -> 1 run page rendered in %v (%d bytes)", took, len(body))
}

func TestDAGLayers(t *testing.T) {
	svg := string(ui.DAG([]ui.Node{{Name: "c", Needs: []string{"b"}}, {Name: "a"}, {Name: "b", Needs: []string{"a"}}, {Name: "<x>", Needs: []string{"a", "missing"}}}))
	xs := map[string]string{}
	for _, m := range regexp.MustCompile(`data-task="([^"]*)"[^>]*><rect x="(\d+)"`).FindAllStringSubmatch(svg, -1) {
		xs[m[1]] = m[2]
	}
	if xs["a"] != "10" || xs["b"] != "250" || xs["c"] != "490" || xs["&lt;x&gt;"] != "250" {
		t.Errorf("layers by x: %v, want a, then b and <x>, then c", xs)
	}
	if strings.Count(svg, "<path") != 3 {
		t.Errorf("want 3 edges (the missing need ignored):\n%s", svg)
	}
}

func TestGanttLanes(t *testing.T) {
	f := newFake(1)
	svg := string(ui.Gantt(f.attempts, map[string]string{"w-aaaaaaaaaaaa": "alpha"}, time.Now()))
	if n := strings.Count(svg, `<g class="lane"`); n != 2 {
		t.Errorf("%d lanes, want 2 (one per zone and worker)", n)
	}
	if !strings.Contains(svg, "zone a · alpha") || !strings.Contains(svg, "zone b · w-bbbbbb") {
		t.Errorf("lane labels missing:\n%s", svg)
	}
	if !strings.Contains(svg, `class="failover"`) || !strings.Contains(svg, "lost in zone a, replaced in zone b after 1s") {
		t.Errorf("no failover link from the lost attempt to its replacement:\n%s", svg)
	}
	// Two attempts overlapping on one worker take two rows of its lane.
	t0 := time.Now()
	two := []client.Attempt{
		{ID: 1, TaskID: 1, Task: "x", State: "running", WorkerID: "w", Zone: "a", DispatchedAt: t0},
		{ID: 2, TaskID: 2, Task: "y", State: "running", WorkerID: "w", Zone: "a", DispatchedAt: t0.Add(time.Millisecond)},
	}
	ys := regexp.MustCompile(`data-attempt="\d+"[^>]*><rect x="[\d.]+" y="([\d.]+)"`).FindAllStringSubmatch(string(ui.Gantt(two, nil, t0.Add(time.Second))), -1)
	if len(ys) != 2 || ys[0][1] == ys[1][1] {
		t.Errorf("overlapping attempts share a row: %v", ys)
	}
}

// TestLiveFansOut opens many live streams of one run: the hub reads the
// run once per interval whatever their number, every stream gets each
// change, and the reads stop when the run finishes.
func TestLiveFansOut(t *testing.T) {
	f := newFake(3)
	h := ui.New(f, ui.Options{PollInterval: 20 * time.Millisecond})
	srv := httptest.NewServer(h)
	defer srv.Close()
	defer h.Close()
	const watchers = 20
	type stream struct {
		resp *http.Response
		r    *bufio.Reader
	}
	streams := make([]stream, watchers)
	for i := range streams {
		resp, err := http.Get(srv.URL + "/runs/7/live")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
			t.Fatalf("content type %q", ct)
		}
		streams[i] = stream{resp, bufio.NewReader(resp.Body)}
	}
	// Every stream gets the running state first.
	for i, s := range streams {
		if ev := readEvent(t, s.r); ev.name != "update" || !strings.Contains(ev.data, `data-state="running"`) {
			t.Fatalf("stream %d: first event %q", i, ev.name)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for h.Hub().Watching() != 1 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := h.Hub().Watching(); n != 1 {
		t.Fatalf("hub polls %d runs, want 1", n)
	}
	before := f.runReads.Load()
	f.setState("succeeded")
	for i, s := range streams {
		ev := readEvent(t, s.r)
		for ev.name == "update" && !strings.Contains(ev.data, `data-state="succeeded"`) {
			ev = readEvent(t, s.r)
		}
		if ev.name != "update" {
			t.Fatalf("stream %d: %q, want the succeeded update", i, ev.name)
		}
		if ev := readEvent(t, s.r); ev.name != "done" {
			t.Fatalf("stream %d: %q after the last update, want done", i, ev.name)
		}
	}
	reads := f.runReads.Load() - before
	// A few polls happened between the change and its delivery; 20
	// watchers polling for themselves would have read at least 20 times.
	if reads >= watchers {
		t.Errorf("%d run reads for %d watchers, want one read per poll, not per watcher", reads, watchers)
	}
	deadline = time.Now().Add(10 * time.Second)
	for h.Hub().Watching() != 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if h.Hub().Watching() != 0 {
		t.Errorf("the hub still polls a finished run")
	}
	t.Logf("%d watchers, %d run reads from the change to done", watchers, reads)
}

type event struct{ name, data string }

func readEvent(t *testing.T, r *bufio.Reader) event {
	t.Helper()
	var ev event
	var data []string
	for {
		line, err := r.ReadString('\n')
		if err == io.EOF && line == "" {
			t.Fatal("stream ended")
		}
		if err != nil && err != io.EOF {
			t.Fatal(err)
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "" && ev.name != "":
			ev.data = strings.Join(data, "\n")
			return ev
		case strings.HasPrefix(line, "event: "):
			ev.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data = append(data, strings.TrimPrefix(line, "data: "))
		}
	}
}

// TestHubLeave: the poll stops as soon as the last watcher leaves.
func TestHubLeave(t *testing.T) {
	var polls atomic.Int64
	hub := ui.NewHub(time.Millisecond, func(ctx context.Context, id int64) (ui.Update, error) {
		return ui.Update{HTML: fmt.Sprint(polls.Add(1))}, nil
	}, nil)
	defer hub.Close()
	a, leaveA := hub.Subscribe(1)
	b, leaveB := hub.Subscribe(1)
	<-a
	<-b
	leaveA()
	if hub.Watching() != 1 {
		t.Errorf("watching %d runs with one watcher left, want 1", hub.Watching())
	}
	leaveB()
	leaveB() // twice is fine
	if hub.Watching() != 0 {
		t.Errorf("watching %d runs with no watcher, want 0", hub.Watching())
	}
	if _, ok := <-b; ok {
		// a buffered update may remain; the channel must then be closed
		if _, ok := <-b; ok {
			t.Errorf("channel of a watcher that left is open")
		}
	}
}

// TestHubClose ends every watcher's stream, as a stopping server needs.
func TestHubClose(t *testing.T) {
	hub := ui.NewHub(time.Hour, func(ctx context.Context, id int64) (ui.Update, error) {
		return ui.Update{HTML: "x"}, nil
	}, nil)
	a, leave := hub.Subscribe(1)
	defer leave()
	if u := <-a; u.HTML != "x" {
		t.Fatalf("first update %+v", u)
	}
	hub.Close()
	if _, ok := <-a; ok {
		t.Errorf("a watcher's channel is open after Close")
	}
	if hub.Watching() != 0 {
		t.Errorf("watching %d runs after Close", hub.Watching())
	}
	b, _ := hub.Subscribe(2)
	if _, ok := <-b; ok {
		t.Errorf("a closed hub accepted a watcher")
	}
	hub.Close() // twice is fine
}
