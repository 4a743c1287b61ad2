package engine

import (
	"context"
	"fmt"
	"runtime"
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

// Gate classes: the calls that pass the gate, the label of their wait in
// Metrics.GateWait.
const (
	GateClaim  = "claim"
	GateReport = "report"
	GateStart  = "start"
)

// GateClasses lists the gate's classes.
var GateClasses = []string{GateClaim, GateReport, GateStart}

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

// gate is a counting semaphore; a nil slots is no bound.
type gate struct {
	slots chan struct{}
}

func newGate(n int) gate {
	if n <= 0 {
		return gate{}
	}
	return gate{slots: make(chan struct{}, n)}
}

// gateHeld marks a context whose call holds a permit.
type gateHeld struct{}

// enter waits for a permit and returns the context to run the transaction
// with and the release; the wait is observed as class.
func (e *Engine) enter(ctx context.Context, class string) (context.Context, func(), error) {
	if e.gate.slots == nil || ctx.Value(gateHeld{}) != nil {
		return ctx, func() {}, nil
	}
	began := time.Now()
	select {
	case e.gate.slots <- struct{}{}:
	default:
		select {
		case e.gate.slots <- struct{}{}:
		case <-ctx.Done():
			e.meter.observe([]observation{{kind: histGateWait, label: class, seconds: time.Since(began).Seconds()}}, nil)
			return nil, nil, fmt.Errorf("wait for the write gate (%d at once): %w", cap(e.gate.slots), ctx.Err())
		}
	}
	e.meter.observe([]observation{{kind: histGateWait, label: class, seconds: time.Since(began).Seconds()}}, nil)
	return context.WithValue(ctx, gateHeld{}, true), func() { <-e.gate.slots }, nil
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
