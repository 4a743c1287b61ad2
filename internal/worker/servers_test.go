package worker

import (
	"context"
	"fmt"
	"github.com/baton-sched/baton/client"
	"net/http"
	"slices"
	"testing"
	"time"
)

func TestSpreadIndex(t *testing.T) {
	for _, n := range []int{2, 3} {
		counts := make([]int, n)
		for i := range 300 {
			counts[spreadIndex(fmt.Sprintf("worker-%d", i), n)]++
		}
		for i, c := range counts {
			if c < 300/n/2 {
				t.Errorf("%d servers: server %d is first for %d of 300 workers (%v)", n, i, c, counts)
			}
		}
	}
	if got := spreadIndex("x", 1); got != 0 {
		t.Errorf("spreadIndex of one server = %d", got)
	}
	if got := rotate([]string{"a", "b", "c"}, 1); !slices.Equal(got, []string{"b", "c", "a"}) {
		t.Errorf("rotate = %v", got)
	}
}

// nameStartingAt returns a worker name whose server list starts at index
// i of n.
func nameStartingAt(t *testing.T, i, n int) string {
	for k := range 1000 {
		if name := fmt.Sprintf("worker-%d", k); spreadIndex(name, n) == i {
			return name
		}
	}
	t.Fatalf("no name starts at %d of %d", i, n)
	return ""
}

func TestNewServersSpreads(t *testing.T) {
	urls := []string{"http://a:1", "http://b:2", "http://c:3"}
	s, err := newServers(urls, nameStartingAt(t, 2, 3), http.DefaultClient, "")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"http://c:3", "http://a:1", "http://b:2"}; !slices.Equal(s.urls, want) {
		t.Errorf("order %v, want %v", s.urls, want)
	}
}

// A heartbeat that the preferred server does not answer goes to the next
// one after the hedge delay, and its answer wins long before the try on
// the hung server would time out.
func TestHeartbeatHedges(t *testing.T) {
	hung := newFakeServer(t, testTTL, testInterval)
	ok := newFakeServer(t, testTTL, testInterval)
	hung.set(func(f *fakeServer) { f.heartbeatMode = "hang" })
	a := idleAgent(t, func(c *Config) {
		c.Servers, c.Name = []string{hung.URL, ok.URL}, nameStartingAt(t, 0, 2)
	})
	const hedge, try = 50 * time.Millisecond, 10 * time.Second
	start := time.Now()
	_, sent, err := a.sendHeartbeat(context.Background(), try, "w-1", client.HeartbeatRequest{}, hedge, try)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > try/2 {
		t.Errorf("heartbeat took %v with one server hung; the hedge should answer after ~%v", d, hedge)
	}
	if sent.Sub(start) < hedge {
		t.Errorf("the answer's try was sent %v after the start, before the hedge delay", sent.Sub(start))
	}
	if n := len(get(ok, func(f *fakeServer) []gotBeat { return f.beats })); n != 1 {
		t.Errorf("the healthy server got %d heartbeats, want 1", n)
	}
	if pref := a.srv.preferred(); a.srv.urls[pref] != ok.URL {
		t.Errorf("preferred server %s, want the one that answered", a.srv.urls[pref])
	}
}

// With hedging off (measurement), a heartbeat the preferred server does
// not answer goes to the next server only once its try gave up.
func TestHeartbeatNoHedge(t *testing.T) {
	hung := newFakeServer(t, testTTL, testInterval)
	ok := newFakeServer(t, testTTL, testInterval)
	hung.set(func(f *fakeServer) { f.heartbeatMode = "hang" })
	a := idleAgent(t, func(c *Config) {
		c.Servers, c.Name, c.NoHedge = []string{hung.URL, ok.URL}, nameStartingAt(t, 0, 2), true
	})
	const hedge, try = 10 * time.Millisecond, 300 * time.Millisecond
	start := time.Now()
	_, sent, err := a.sendHeartbeat(context.Background(), 10*time.Second, "w-1", client.HeartbeatRequest{}, hedge, try)
	if err != nil {
		t.Fatal(err)
	}
	if sent.Sub(start) < try-try/10 {
		t.Errorf("the answer's try was sent %v after the start, before the first try gave up (%v)", sent.Sub(start), try)
	}
	if n := len(get(hung, func(f *fakeServer) []gotBeat { return f.beats })); n != 1 {
		t.Errorf("the hung server got %d tries, want 1", n)
	}
}

// A hung server gets one try of a heartbeat at a time, sent again only
// when the last one gave up: hedging must not pile tries on a server that
// is slow, nor wait for a try stuck on a dead connection.
func TestHeartbeatOneTryPerServer(t *testing.T) {
	hung := newFakeServer(t, testTTL, testInterval)
	hung.set(func(f *fakeServer) { f.heartbeatMode = "hang" })
	a := idleAgent(t, func(c *Config) { c.Servers = []string{hung.URL} })
	const hedge, try, deadline = 10 * time.Millisecond, 200 * time.Millisecond, time.Second
	if _, _, err := a.sendHeartbeat(context.Background(), deadline, "w-1", client.HeartbeatRequest{}, hedge, try); err == nil {
		t.Fatal("a heartbeat to a hung server succeeded")
	}
	beats := get(hung, func(f *fakeServer) []gotBeat { return slices.Clone(f.beats) })
	// One try per 200 ms over a second: 5, give or take a late timer (a
	// try per hedge delay would be up to 100).
	if len(beats) < 2 || len(beats) > 6 {
		t.Fatalf("the hung server got %d tries in %v, want one at a time every %v", len(beats), deadline, try)
	}
	for i := 1; i < len(beats); i++ {
		if gap := beats[i].At.Sub(beats[i-1].At); gap < try-try/10 {
			t.Errorf("try %d came %v after the previous one, before it gave up (%v)", i+1, gap, try)
		}
	}
}

// A server that answers 503 (not ready) is left at once for the next one.
func TestHeartbeatLeavesUnreadyServer(t *testing.T) {
	down := newFakeServer(t, testTTL, testInterval)
	ok := newFakeServer(t, testTTL, testInterval)
	down.set(func(f *fakeServer) { f.heartbeatMode = "503" })
	a := idleAgent(t, func(c *Config) {
		c.Servers, c.Name = []string{down.URL, ok.URL}, nameStartingAt(t, 0, 2)
	})
	start := time.Now()
	if _, _, err := a.sendHeartbeat(context.Background(), 10*time.Second, "w-1", client.HeartbeatRequest{}, 10*time.Second, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("heartbeat took %v: the 503 did not move it on at once", d)
	}
}

// One of two servers hangs on everything the worker sends it but
// registrations and reports: the worker keeps its lease through the other
// and claims its work there: the claim waiting on the hung server is
// abandoned as soon as a heartbeat try there timed out, long before the
// long-poll's own bound.
func TestAgentSurvivesHungServer(t *testing.T) {
	hung := newFakeServer(t, testTTL, testInterval)
	x := newAgentTest(t, func(c *Config) {
		c.Servers = []string{hung.URL, c.Servers[0]}
		c.Name = nameStartingAt(t, 0, 2)
		c.ClaimWait, c.RequestTimeout = 20*time.Second, 500*time.Millisecond
	})
	hung.set(func(f *fakeServer) { f.heartbeatMode, f.claimHang = "hang", true })
	waitFor(t, 5*time.Second, "registered", func() bool { return x.a.ID() != "" })
	start := time.Now()
	x.fake.enqueue(x.assignment(101, `sleep 2`))
	// Reports go to the first server that answers: the hung one records them.
	hung.waitReport(t, 101, "start")
	// A heartbeat try on the hung server times out after 7/4 of the
	// interval (175ms); a claim try's own bound is 20.5s.
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("task started %v after it was queued: the claim stayed on the hung server", d)
	}
	fin := hung.waitReport(t, 101, "finish")
	if fin.State != "succeeded" {
		t.Errorf("finish report %+v, want succeeded (not fenced)", fin)
	}
	if n := len(get(x.fake, func(f *fakeServer) []gotBeat { return f.beats })); n == 0 {
		t.Error("no heartbeat reached the healthy server")
	}
}

// A claim on a server that answers 503 moves to the next server at once.
func TestClaimLeavesUnreadyServer(t *testing.T) {
	down := newFakeServer(t, testTTL, testInterval)
	down.set(func(f *fakeServer) { f.down = true })
	x := newAgentTest(t, func(c *Config) {
		c.Servers = []string{down.URL, c.Servers[0]}
		c.Name = nameStartingAt(t, 0, 2)
		c.ClaimWait, c.MinBackoff, c.MaxBackoff = 5*time.Second, time.Second, 5*time.Second
	})
	waitFor(t, 5*time.Second, "registered", func() bool { return x.a.ID() != "" })
	start := time.Now()
	x.fake.enqueue(x.assignment(101, `true`))
	x.fake.waitReport(t, 101, "finish")
	if d := time.Since(start); d > x.cfg.ClaimWait {
		t.Errorf("task started %v after it was queued, want well within the long-poll (%v)", d, x.cfg.ClaimWait)
	}
}
