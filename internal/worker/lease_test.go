package worker

import (
	"testing"
	"time"

	"github.com/baton-sched/baton/client"
)

// idleAgent is an agent that is never started, for tests of its state.
func idleAgent(t *testing.T, mutate func(*Config)) *Agent {
	t.Helper()
	cfg := Config{Servers: []string{"http://127.0.0.1:1"}, WorkDir: t.TempDir(), Shim: testShim(t),
		Capacity: 2, Logger: testLogger(t)}
	if mutate != nil {
		mutate(&cfg)
	}
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func register(a *Agent, sent time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.beginSessionLocked(client.Registration{Worker: client.Worker{ID: "w-1", State: "active"},
		LeaseTTL: time.Second, HeartbeatInterval: 100 * time.Millisecond}, sent)
}

func TestLeaseMargin(t *testing.T) {
	for ttl, want := range map[time.Duration]time.Duration{
		5 * time.Second: 250 * time.Millisecond, 4 * time.Second: 200 * time.Millisecond,
		time.Second: 200 * time.Millisecond, 500 * time.Millisecond: 200 * time.Millisecond,
	} {
		if got := leaseMargin(ttl); got != want {
			t.Errorf("leaseMargin(%v) = %v, want %v", ttl, got, want)
		}
	}
}

func TestLeaseRenewal(t *testing.T) {
	a := idleAgent(t, nil)
	t0 := time.Now()
	register(a, t0)
	a.mu.Lock()
	defer a.mu.Unlock()
	if got := a.leaseLeftLocked(t0); got != 800*time.Millisecond {
		t.Errorf("lease left after registering = %v, want TTL − margin = 800ms", got)
	}
	// The answer to a heartbeat sent before the last renewal moves nothing back.
	a.renewLocked(t0.Add(-500*time.Millisecond), 0)
	if got := a.leaseDeadlineLocked(); !got.Equal(t0.Add(800 * time.Millisecond)) {
		t.Errorf("deadline moved to %v", got.Sub(t0))
	}
	// The answer to a heartbeat sent too long ago does not make a lease valid.
	a.renewedAt = t0.Add(-2 * time.Second)
	a.leaseOK = false
	a.renewLocked(t0.Add(-time.Second), 0)
	if a.leaseOK {
		t.Error("lease valid after a renewal sent more than TTL − margin ago")
	}
}

func TestLeaseExpiryFencesRunningAttempts(t *testing.T) {
	a := idleAgent(t, nil)
	register(a, time.Now().Add(-time.Second)) // already past the deadline
	a.mu.Lock()
	defer a.mu.Unlock()
	mine := &attempt{workerID: "w-1"}
	done := &attempt{workerID: "w-1", exited: true}
	a.attempts = map[int64]*attempt{1: mine, 2: done}
	a.leaseOK = true
	a.checkLeaseLocked(time.Now())
	if a.leaseOK || mine.cause != causeFenced || done.cause != causeNone {
		t.Errorf("after expiry: lease valid %v, causes %v and %v; want invalid, fenced, none",
			a.leaseOK, mine.cause, done.cause)
	}
}

func TestClaimRequest(t *testing.T) {
	a := idleAgent(t, func(c *Config) { c.MaxTasks = 3 })
	if _, _, wait := a.claimRequest(); wait == nil {
		t.Error("claims before registering")
	}
	register(a, time.Now())
	id, req, wait := a.claimRequest()
	if wait != nil || id != "w-1" || req.Max != 3 || req.FreeCU != 2 || req.Wait != 20*time.Second {
		t.Errorf("claim request %q %+v (wait %v), want w-1 max 3, 2 CU, 20s", id, req, wait != nil)
	}
	a.mu.Lock()
	a.attempts[1] = &attempt{workerID: "w-1", asg: client.Assignment{CU: 0.5}}
	a.attempts[2] = &attempt{workerID: "w-1", asg: client.Assignment{CU: 1}, exited: true}
	a.mu.Unlock()
	if _, req, _ := a.claimRequest(); req.Max != 2 || req.FreeCU != 1.5 {
		t.Errorf("claim request %+v, want max 2, 1.5 CU", req)
	}
	for name, block := range map[string]func(){
		"draining": func() { a.draining = true },
		"stopping": func() { a.stopping = true },
		"no lease": func() { a.leaseOK = false },
		"full":     func() { a.attempts[3] = &attempt{workerID: "w-1", asg: client.Assignment{CU: 1.5}} },
	} {
		a.mu.Lock()
		block()
		a.mu.Unlock()
		if _, _, wait := a.claimRequest(); wait == nil {
			t.Errorf("%s: claims", name)
		}
		a.mu.Lock()
		a.draining, a.stopping, a.leaseOK = false, false, true
		delete(a.attempts, 3)
		a.mu.Unlock()
	}
}
