package ui_test

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/ui"
)

// growingLog is a fake whose task output grows while the test appends to
// it, counting the log reads.
type growingLog struct {
	*fake
	mu     sync.Mutex
	chunks []client.LogChunk
	state  string
	reads  atomic.Int64
}

func (g *growingLog) Logs(_ context.Context, _ int64, _ string, _, after, limitBytes int64) (client.Logs, error) {
	g.reads.Add(1)
	g.mu.Lock()
	defer g.mu.Unlock()
	out := client.Logs{Attempt: 1, State: g.state, NextSeq: after}
	size := int64(0)
	for _, c := range g.chunks {
		if c.Seq <= after {
			continue
		}
		if len(out.Chunks) > 0 && size+int64(len(c.Data)) > limitBytes {
			break
		}
		out.Chunks = append(out.Chunks, c)
		out.NextSeq, size = c.Seq, size+int64(len(c.Data))
	}
	return out, nil
}

func (g *growingLog) write(data string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.chunks = append(g.chunks, client.LogChunk{Seq: int64(len(g.chunks) + 1), Data: data})
}

func (g *growingLog) finish() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.state = "succeeded"
}

// TestLogFollowFansOut: N followers of one attempt cost one read per
// interval; each gets only the lines after its cursor, in order, escaped,
// and the stream ends once the attempt has finished.
func TestLogFollowFansOut(t *testing.T) {
	g := &growingLog{fake: newFake(3), state: "running"}
	g.write("before the page\n")
	h := ui.New(g, ui.Options{PollInterval: 20 * time.Millisecond})
	srv := httptest.NewServer(h)
	defer srv.Close()
	defer h.Close()

	const followers = 20
	readers := make([]*bufio.Reader, followers)
	for i := range readers {
		resp, err := http.Get(srv.URL + "/runs/7/tasks/split/logs/live?attempt=1&after=1")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
			t.Fatalf("follower %d: %d %q", i, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		readers[i] = bufio.NewReader(resp.Body)
	}
	deadline := time.Now().Add(10 * time.Second)
	for h.LogHub().Watching() != 1 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := h.LogHub().Watching(); n != 1 {
		t.Fatalf("the hub follows %d attempts, want 1", n)
	}
	readsBefore, pollsBefore := g.reads.Load(), h.LogHub().Polls()
	lines := []string{"one\n", "<script>alert(1)</script>\n", "three & four\n"}
	for _, l := range lines {
		g.write(l)
	}
	g.finish()
	want := "one\n&lt;script&gt;alert(1)&lt;/script&gt;\nthree &amp; four\n"
	for i, r := range readers {
		var got strings.Builder
		for {
			ev := readEvent(t, r)
			if ev.name == "done" {
				break
			}
			if ev.name != "lines" {
				t.Fatalf("follower %d: event %q", i, ev.name)
			}
			got.WriteString(ev.data)
		}
		if got.String() != want {
			t.Errorf("follower %d got %q, want %q (only the lines after its cursor, in order, escaped)", i, got.String(), want)
		}
		if _, err := r.ReadString('\n'); err == nil {
			t.Errorf("follower %d: the stream goes on after done", i)
		}
	}
	reads, polls := g.reads.Load()-readsBefore, h.LogHub().Polls()-pollsBefore
	// A poll makes at most two reads (the new lines, then the end of a
	// finished attempt's output): followers reading for themselves would
	// have made at least one each.
	if reads > 2*polls || reads >= followers {
		t.Errorf("%d log reads in %d polls for %d followers, want one poll per interval, not per follower", reads, polls, followers)
	}
	deadline = time.Now().Add(10 * time.Second)
	for h.LogHub().Watching() != 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if h.LogHub().Watching() != 0 {
		t.Error("the hub still follows a finished attempt")
	}
	t.Logf("%d followers: %d log reads in %d polls", followers, reads, polls)
}

// TestLogFollowLateAndBad: a follower joining later than the feed's
// start gets what the feed kept from its cursor on; bad parameters
// answer 400 naming the field, an unknown run 404.
func TestLogFollowLateAndBad(t *testing.T) {
	g := &growingLog{fake: newFake(3), state: "running"}
	h := ui.New(g, ui.Options{PollInterval: 10 * time.Millisecond})
	srv := httptest.NewServer(h)
	defer srv.Close()
	defer h.Close()
	first, err := http.Get(srv.URL + "/runs/7/tasks/split/logs/live?attempt=1&after=0")
	if err != nil {
		t.Fatal(err)
	}
	defer first.Body.Close()
	g.write("a\n")
	g.write("b\n")
	if ev := readEvent(t, bufio.NewReader(first.Body)); ev.name != "lines" || !strings.HasPrefix(ev.data, "a") {
		t.Fatalf("first follower: %q %q", ev.name, ev.data)
	}
	late, err := http.Get(srv.URL + "/runs/7/tasks/split/logs/live?attempt=1&after=1")
	if err != nil {
		t.Fatal(err)
	}
	defer late.Body.Close()
	r := bufio.NewReader(late.Body)
	var got strings.Builder
	for !strings.Contains(got.String(), "b\n") {
		ev := readEvent(t, r)
		if ev.name != "lines" {
			t.Fatalf("late follower: %q", ev.name)
		}
		got.WriteString(ev.data)
	}
	if got.String() != "b\n" {
		t.Errorf("late follower after chunk 1 got %q, want only b", got.String())
	}

	for path, want := range map[string]int{
		"/runs/7/tasks/split/logs/live?after=0":           http.StatusBadRequest,
		"/runs/7/tasks/split/logs/live?attempt=1&after=x": http.StatusBadRequest,
		"/runs/x/tasks/split/logs/live?attempt=1&after=0": http.StatusNotFound,
	} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s: %d, want %d", path, resp.StatusCode, want)
		}
	}
}

// TestLogFollowClose: closing the handler (a stopping server) ends the
// streams.
func TestLogFollowClose(t *testing.T) {
	g := &growingLog{fake: newFake(3), state: "running"}
	h := ui.New(g, ui.Options{PollInterval: time.Hour})
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/runs/7/tasks/split/logs/live?attempt=1&after=0")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	deadline := time.Now().Add(10 * time.Second)
	for h.LogHub().Watching() != 1 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	h.Close()
	done := make(chan error, 1)
	go func() { _, err := bufio.NewReader(resp.Body).ReadString('\n'); done <- err }()
	select {
	case err := <-done:
		if err == nil {
			t.Error("the stream wrote after the hub closed")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the stream outlived the hub")
	}
}
