package engine

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/baton-sched/baton/internal/store"
)

// The write gate bounds how many of the engine's hot write transactions
// (claims, reports, starts) one server runs at once. On a database with
// few processors, a transaction's connection sits idle in transaction
// while its server waits for a processor between two statements, holding
// its locks; the number of such connections follows the number of
// transactions open at once more than their length. Past a few, more at
// once add no throughput, only waits inside transactions. The gate moves
// that wait before BEGIN, where nothing is held.
//
// A call waits for a permit before its transaction begins and releases it
// when the transaction ends; the wait is bounded by the call's context and
// the engine's transaction deadline. Renewals (heartbeats), sweeps and
// every other transaction do not pass the gate: they never wait behind
// claims, so leases and fencing keep their timing. A gated call made
// while its context already holds a permit does not take a second one,
// so the gate cannot deadlock on itself.

// Gate classes: the calls that pass the gate, in the order a freed permit
// serves them, and the label of their wait in Metrics.GateWait.
const (
	GateReport = "report"
	GateClaim  = "claim"
	GateStart  = "start"
)

// GateClasses lists the gate's classes.
var GateClasses = []string{GateReport, GateClaim, GateStart}

// GateWaitBuckets are the upper bounds, in seconds, of the gate's wait
// histogram.
var GateWaitBuckets = []float64{0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15}

// DefaultWriteTx is the write gate's size for a store whose pool holds
// poolMax connections, on a machine of procs processors: twice the
// processors, at most half the pool (the rest serve heartbeats, sweeps
// and reads), at least 2.
func DefaultWriteTx(poolMax, procs int) int {
	n := 2 * procs
	if poolMax > 0 {
		n = min(n, poolMax/2)
	}
	return max(n, 2)
}

// writeTxDefault is the gate's size on s when the configuration leaves it
// to the engine (see DefaultWriteTx).
func writeTxDefault(s store.Store) int {
	poolMax := 0
	if p, ok := s.(store.Pooled); ok {
		for _, st := range p.PoolStats() {
			if st.Name == "main" || st.Name == "write" {
				poolMax = int(st.Max)
			}
		}
	}
	return DefaultWriteTx(poolMax, runtime.GOMAXPROCS(0))
}

// gate is a counting semaphore whose freed permits go to the waiting
// reports first, then claims, then starts: work already dispatched is
// finished, and work already queued dispatched, before more is accepted,
// and only the starts' waits, which come before their tasks are ready,
// stay out of dispatch latency. A waiter passed over for longer than
// gateAging is served in its turn of arrival whatever its class, so no
// class starves. n 0 is no bound.
type gate struct {
	n       int
	mu      sync.Mutex
	used    int
	waiters []*gateWaiter // in order of arrival
}

type gateWaiter struct {
	prio  int
	since time.Time
	ch    chan struct{} // receives the permit
}

// gateAging bounds how long a waiter is passed over for waiters of a
// higher class.
const gateAging = 100 * time.Millisecond

// gatePrio orders the classes: lower first.
var gatePrio = map[string]int{GateReport: 0, GateClaim: 1, GateStart: 2}

func newGate(n int) *gate { return &gate{n: max(n, 0)} }

// acquire waits for a permit until ctx ends.
func (g *gate) acquire(ctx context.Context, class string) error {
	g.mu.Lock()
	if g.used < g.n && len(g.waiters) == 0 {
		g.used++
		g.mu.Unlock()
		return nil
	}
	w := &gateWaiter{prio: gatePrio[class], since: time.Now(), ch: make(chan struct{}, 1)}
	g.waiters = append(g.waiters, w)
	g.mu.Unlock()
	select {
	case <-w.ch:
		return nil
	case <-ctx.Done():
		g.mu.Lock()
		i := slices.Index(g.waiters, w)
		if i >= 0 {
			g.waiters = slices.Delete(g.waiters, i, i+1)
		}
		g.mu.Unlock()
		if i < 0 { // granted meanwhile: hand it on
			g.release()
		}
		return ctx.Err()
	}
}

// release hands the permit to the next waiter, or returns it.
func (g *gate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.waiters) == 0 {
		g.used--
		return
	}
	next := 0
	if time.Since(g.waiters[0].since) < gateAging {
		for i, w := range g.waiters {
			if w.prio < g.waiters[next].prio {
				next = i
			}
		}
	}
	w := g.waiters[next]
	g.waiters = slices.Delete(g.waiters, next, next+1)
	w.ch <- struct{}{}
}

// gateHeld marks a context whose call holds a permit.
type gateHeld struct{}

// enter waits for a permit and returns the context to run the transaction
// with and the release; the wait is observed as class.
func (e *Engine) enter(ctx context.Context, class string) (context.Context, func(), error) {
	if e.gate.n == 0 || ctx.Value(gateHeld{}) != nil {
		return ctx, func() {}, nil
	}
	began := time.Now()
	err := e.gate.acquire(ctx, class)
	e.meter.observe([]observation{{kind: histGateWait, label: class, seconds: time.Since(began).Seconds()}}, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("wait for the write gate (%d at once): %w", e.gate.n, err)
	}
	var once sync.Once
	return context.WithValue(ctx, gateHeld{}, true), func() { once.Do(e.gate.release) }, nil
}

// inGatedTx is inTx behind the write gate, for class. The gate's wait
// counts against the transaction's deadline.
func (e *Engine) inGatedTx(ctx context.Context, class, actor string, fn func(o *op) error) error {
	ctx, cancel := e.txDeadline(ctx)
	defer cancel()
	ctx, release, err := e.enter(ctx, class)
	if err != nil {
		return err
	}
	defer release()
	return e.inTx(ctx, actor, fn)
}
