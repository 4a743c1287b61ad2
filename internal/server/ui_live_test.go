package server_test

import (
	"bufio"
	"context"
	"html"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/storetest"
)

// countingStore counts the database reads and transactions of a server.
type countingStore struct {
	store.Store
	reads atomic.Int64
}

func (c *countingStore) Read(ctx context.Context, fn func(store.Tx) error) error {
	c.reads.Add(1)
	return c.Store.Read(ctx, fn)
}

func (c *countingStore) InTx(ctx context.Context, fn func(store.Tx) error) error {
	c.reads.Add(1)
	return c.Store.InTx(ctx, fn)
}

// liveWindow is how long the live reads are counted; the UI reads a
// watched run and a followed log once a second.
const liveWindow = 3 * time.Second

// TestUILiveReadsPerServer opens 1, then 50, run pages' live streams and
// as many log-following streams of a running attempt against a real
// server, and counts the database reads over a window: they must not grow
// with the number of browsers (docs/performance.md, Web UI).
func TestUILiveReadsPerServer(t *testing.T) {
	if testing.Short() {
		t.Skip("counts reads over two windows of " + liveWindow.String())
	}
	storetest.ForEach(t, func(t *testing.T, s store.Store) {
		cs := &countingStore{Store: s}
		f := newFixture(t, cs, engine.Config{})
		admin, _ := tokensOf(f.url)
		browser := logIn(t, f.url, admin)
		if _, err := f.c.Apply(f.ctx, []client.SourceFile{{Filename: "s.yaml", Content: scripted}}); err != nil {
			t.Fatal(err)
		}
		run, err := f.c.StartRun(f.ctx, "scripted", client.StartRunRequest{})
		if err != nil {
			t.Fatal(err)
		}
		reg, err := f.c.Register(f.ctx, client.RegisterRequest{Name: "w1", Zone: "a", Capacity: 2})
		if err != nil {
			t.Fatal(err)
		}
		as, err := f.c.Claim(f.ctx, reg.Worker.ID, client.ClaimRequest{Max: 1, FreeCU: 2, Wait: 5 * time.Second})
		if err != nil || len(as) != 1 {
			t.Fatalf("claim: %+v %v", as, err)
		}
		if err := f.c.ReportOne(f.ctx, reg.Worker.ID, client.Report{AttemptID: as[0].AttemptID, Kind: "start"}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.c.SendLogs(f.ctx, reg.Worker.ID, []client.NewLogChunk{{AttemptID: as[0].AttemptID, Seq: 1, Stream: "stdout",
			Data: "line <script>alert('log')</script>\n"}}); err != nil {
			t.Fatal(err)
		}
		// The task panel of the running attempt follows its output.
		id := strconv.FormatInt(run.ID, 10)
		resp, err := browser.Get(f.url + "/runs/" + id + "?task=emit")
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		m := regexp.MustCompile(`data-follow="([^"]+)"`).FindSubmatch(page)
		if m == nil {
			t.Fatalf("the panel of a running attempt does not follow its output:\n%s", page)
		}
		follow := html.UnescapeString(string(m[1]))
		// Following from the start sends the line written, escaped.
		follow = strings.Replace(follow, "after=1", "after=0", 1)

		count := func(n int) int64 {
			var bodies []io.Closer
			defer func() {
				for _, b := range bodies {
					b.Close()
				}
			}()
			for range n {
				for _, path := range []string{"/runs/" + id + "/live", follow} {
					resp, err := browser.Get(f.url + path)
					if err != nil {
						t.Fatal(err)
					}
					bodies = append(bodies, resp.Body)
					if resp.StatusCode != http.StatusOK {
						t.Fatalf("GET %s: %d", path, resp.StatusCode)
					}
					ev := readSSE(t, bufio.NewReader(resp.Body))
					if path == follow && !strings.Contains(ev, "line &lt;script&gt;") {
						t.Fatalf("first log event %q, want the line escaped", ev)
					}
				}
			}
			before := cs.reads.Load()
			time.Sleep(liveWindow) // a measurement window, not a wait for an event
			return cs.reads.Load() - before
		}
		one := count(1)
		fifty := count(50)
		t.Logf("database reads in %s: %d with 1 run page and 1 followed log open, %d with 50 of each", liveWindow, one, fifty)
		// One poll more or less per hub fits the window's edges; a read
		// per browser per poll would be 50 times as many.
		if fifty > one+10 {
			t.Errorf("%d reads with 50 browsers, %d with 1: live pages cost reads per browser", fifty, one)
		}
		if one == 0 {
			t.Error("no reads with a page open: the live streams poll nothing")
		}
	})
}

// readSSE reads one server-sent event, whole.
func readSSE(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	var b strings.Builder
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("stream ended: %v", err)
		}
		if line == "\n" && b.Len() > 0 {
			return b.String()
		}
		if !strings.HasPrefix(line, ":") {
			b.WriteString(line)
		}
	}
}
