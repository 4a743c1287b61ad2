package engine

import (
	"context"
	"testing"
	"time"
)

// waitersOf polls until g has n waiters.
func waitersOf(t *testing.T, g *gate, n int) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		g.mu.Lock()
		got := len(g.waiters)
		g.mu.Unlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("gate waiters: %d, want %d", got, n)
		}
		time.Sleep(time.Millisecond)
	}
}

func acquireAsync(g *gate, ctx context.Context, class string) <-chan error {
	done := make(chan error, 1)
	go func() { done <- g.acquire(ctx, class) }()
	return done
}

func granted(t *testing.T, done <-chan error, what string) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	case <-time.After(time.Minute):
		t.Fatalf("%s: no permit", what)
	}
}

func waiting(t *testing.T, done <-chan error, what string) {
	t.Helper()
	select {
	case err := <-done:
		t.Fatalf("%s: served (err %v) while it should wait", what, err)
	default:
	}
}

// A freed permit goes to a waiting report before a claim before a start,
// unless the oldest waiter was passed over for gateAging.
func TestGatePriority(t *testing.T) {
	g := newGate(1)
	if err := g.acquire(t.Context(), GateClaim); err != nil {
		t.Fatal(err)
	}
	start := acquireAsync(g, t.Context(), GateStart)
	waitersOf(t, g, 1)
	claim := acquireAsync(g, t.Context(), GateClaim)
	waitersOf(t, g, 2)
	report := acquireAsync(g, t.Context(), GateReport)
	waitersOf(t, g, 3)

	g.release()
	granted(t, report, "report")
	waiting(t, claim, "claim")
	waiting(t, start, "start")
	g.mu.Lock()
	g.waiters[0].since = time.Now().Add(-2 * gateAging) // the start, passed over long enough
	g.mu.Unlock()
	g.release()
	granted(t, start, "start (aged)")
	g.release()
	granted(t, claim, "claim")
	g.release()
	if g.used != 0 || len(g.waiters) != 0 {
		t.Fatalf("gate after every release: %d used, %d waiting; want none", g.used, len(g.waiters))
	}
}

// A waiter whose context ends leaves the queue; the permit count stays
// right.
func TestGateCancelledWaiter(t *testing.T) {
	g := newGate(1)
	if err := g.acquire(t.Context(), GateClaim); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	gone := acquireAsync(g, ctx, GateReport)
	waitersOf(t, g, 1)
	cancel()
	if err := <-gone; err != context.Canceled {
		t.Fatalf("cancelled waiter: %v, want context.Canceled", err)
	}
	waitersOf(t, g, 0)
	g.release()
	if err := g.acquire(t.Context(), GateStart); err != nil {
		t.Fatalf("acquire after the cancelled waiter left: %v", err)
	}
	g.release()
	if g.used != 0 {
		t.Fatalf("gate used %d after every release, want 0", g.used)
	}
}
