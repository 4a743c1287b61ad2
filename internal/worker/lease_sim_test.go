package worker

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/baton-sched/baton/client"
)

// netSim is a network and a server in one, for tests in a synctest
// bubble: heartbeats are answered at once, except while the link is cut,
// when requests are lost (they hang until their context ends, even after
// the cut).
type netSim struct {
	ttl time.Duration

	mu       sync.Mutex
	cut      bool
	renewed  time.Time // when the server last renewed the lease
	requests int
}

func (n *netSim) RoundTrip(req *http.Request) (*http.Response, error) {
	n.mu.Lock()
	cut := n.cut
	n.requests++
	if !cut {
		n.renewed = time.Now()
	}
	n.mu.Unlock()
	if cut {
		<-req.Context().Done()
		return nil, req.Context().Err()
	}
	body := fmt.Sprintf(`{"kill":[],"state":"active","lease_ttl":%d}`, n.ttl)
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(body)), Request: req}, nil
}

func (n *netSim) setCut(cut bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.cut = cut
}

// expiry is when the server's view of the lease ends.
func (n *netSim) expiry() time.Time {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.renewed.Add(n.ttl)
}

// simAgent is a registered agent whose heartbeats go through sim, running
// one attempt (no process), with the session loop and the lease watch
// running until the test ends.
func simAgent(t *testing.T, sim *netSim, interval time.Duration) (*Agent, *attempt) {
	a := idleAgent(t, nil)
	c, err := client.New([]string{"http://sim"}, client.WithHTTPClient(&http.Client{Transport: sim}))
	if err != nil {
		t.Fatal(err)
	}
	a.srv = &servers{clients: []*client.Client{c}, urls: []string{"http://sim"}, failures: make([]int, 1)}
	at := &attempt{workerID: "w-1"}
	a.mu.Lock()
	a.beginSessionLocked(client.Registration{Worker: client.Worker{ID: "w-1", State: "active"},
		LeaseTTL: sim.ttl, HeartbeatInterval: interval}, time.Now())
	a.attempts[1] = at
	a.mu.Unlock()
	sim.mu.Lock()
	sim.renewed = time.Now()
	sim.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { a.sessionLoop(ctx) })
	wg.Go(func() { a.watchLease(ctx) })
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	return a, at
}

func (a *Agent) causeOf(at *attempt) endCause {
	a.mu.Lock()
	defer a.mu.Unlock()
	return at.cause
}

// Partitions shorter than TTL − interval − try − margin never fence,
// whatever their phase against the heartbeats: with the default timing
// (TTL 4s, interval 500ms) and with a longer interval.
func TestLeaseSurvivesShortPartitions(t *testing.T) {
	for _, timing := range []struct{ ttl, interval time.Duration }{
		{4 * time.Second, 500 * time.Millisecond}, {5 * time.Second, time.Second},
	} {
		for _, frac := range []float64{0, 0.1, 0.33, 0.5, 0.77, 0.999} {
			phase := time.Duration(frac * float64(timing.interval))
			t.Run(fmt.Sprintf("%v-%v-%v", timing.ttl, timing.interval, phase), func(t *testing.T) {
				testShortPartitions(t, timing.ttl, timing.interval, phase)
			})
		}
	}
}

func testShortPartitions(t *testing.T, ttl, interval, phase time.Duration) {
	try := max(beatTryHedges*max(interval/4, 10*time.Millisecond), minBeatTry)
	limit := ttl - interval - try - leaseMargin(ttl)
	synctest.Test(t, func(t *testing.T) {
		sim := &netSim{ttl: ttl}
		a, at := simAgent(t, sim, interval)
		time.Sleep(3*time.Second + phase)
		for range 3 {
			sim.setCut(true)
			time.Sleep(limit - time.Millisecond)
			sim.setCut(false)
			time.Sleep(3 * time.Second)
			synctest.Wait()
			if c := a.causeOf(at); c != causeNone {
				t.Fatalf("a cut of %v ended the attempt: %v", limit, c)
			}
		}
	})
}

// The acceptance's flapping zone with the default timing: cut 2s in
// every 5s for 60s, nothing is fenced.
func TestLeaseSurvivesFlappingLink(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := &netSim{ttl: 4 * time.Second}
		a, at := simAgent(t, sim, 500*time.Millisecond)
		for range 12 {
			time.Sleep(3 * time.Second)
			sim.setCut(true)
			time.Sleep(2 * time.Second)
			sim.setCut(false)
		}
		synctest.Wait()
		if c := a.causeOf(at); c != causeNone {
			t.Fatalf("attempt ended: %v", c)
		}
		// Load: two heartbeats a second when healthy (36s of 60), eight
		// a second while cut (24s).
		sim.mu.Lock()
		n := sim.requests
		sim.mu.Unlock()
		if n > 36*2+24*8+12 {
			t.Errorf("%d heartbeat requests in 60s", n)
		}
	})
}

// A partition longer than the lease fences the attempt, and always before
// the servers' view of the lease ends: never two live copies.
func TestLeaseFencesBeforeServersExpire(t *testing.T) {
	for _, ttl := range []time.Duration{time.Second, 3 * time.Second, 5 * time.Second} {
		t.Run(ttl.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				sim := &netSim{ttl: ttl}
				a, at := simAgent(t, sim, ttl/5)
				time.Sleep(2*ttl + 123*time.Millisecond)
				sim.setCut(true)
				var fencedAt time.Time
				for deadline := time.Now().Add(2 * ttl); time.Now().Before(deadline); {
					time.Sleep(5 * time.Millisecond)
					synctest.Wait()
					if a.causeOf(at) == causeFenced {
						fencedAt = time.Now()
						break
					}
				}
				if fencedAt.IsZero() {
					t.Fatal("not fenced during a partition of twice the lease")
				}
				if exp := sim.expiry(); !fencedAt.Before(exp) {
					t.Errorf("fenced %v after the servers' lease expired", fencedAt.Sub(exp))
				} else if left := exp.Sub(fencedAt); left > leaseMargin(ttl)+10*time.Millisecond {
					t.Errorf("fenced %v before the servers' expiry, want about the margin %v", left, leaseMargin(ttl))
				}
			})
		})
	}
}
