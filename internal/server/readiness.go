package server

import (
	"context"
	"sync"
	"time"

	"github.com/baton-sched/baton/internal/store"
)

// Readiness: a server that cannot commit within commitBound is not
// ready. It answers /readyz 503, and worker-protocol calls 503 at once
// (with Retry-After), so that workers move to another server instead of
// waiting on this one while their leases run down.
const (
	commitBound   = 2 * time.Second
	probeInterval = 500 * time.Millisecond
)

// workerOps are the worker-protocol operations a sick server refuses.
var workerOps = map[string]bool{
	"register-worker": true, "heartbeat": true, "claim": true, "report-batch": true, "report": true,
	"send-logs": true,
}

// commitProbe commits a small transaction every probeInterval and says
// whether the last one committed within commitBound and none has been
// running longer.
type commitProbe struct {
	st    store.Store
	bound time.Duration
	now   func() time.Time

	// also runs in the probe's transaction, told whether the server is
	// ready (the registry's refresh); nil: nothing.
	also func(ctx context.Context, tx store.Tx, ready bool) error

	mu       sync.Mutex
	ok       bool      // the last probe committed within the bound
	inFlight time.Time // when the probe running now began, or zero
	lastErr  string
}

func newCommitProbe(st store.Store) *commitProbe {
	return &commitProbe{st: st, bound: commitBound, now: time.Now, ok: true}
}

// healthy says whether the database takes commits from this server.
func (p *commitProbe) healthy() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ok && (p.inFlight.IsZero() || p.now().Sub(p.inFlight) <= p.bound)
}

// why says why the server is not ready.
func (p *commitProbe) why() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.lastErr != "" {
		return "database does not commit within " + p.bound.String() + ": " + p.lastErr
	}
	return "database does not commit within " + p.bound.String()
}

// run is one probe: BEGIN, a read, COMMIT (on SQLite the write lock is
// taken), within the bound.
func (p *commitProbe) run(ctx context.Context) {
	p.mu.Lock()
	p.inFlight = p.now()
	ready := p.ok
	p.mu.Unlock()
	pctx, cancel := context.WithTimeout(ctx, p.bound)
	defer cancel()
	err := p.st.InTx(pctx, func(tx store.Tx) error {
		if _, err := tx.Workflows().List(pctx, "", 1); err != nil {
			return err
		}
		if p.also != nil {
			return p.also(pctx, tx, ready)
		}
		return nil
	})
	p.mu.Lock()
	defer p.mu.Unlock()
	took := p.now().Sub(p.inFlight)
	p.inFlight = time.Time{}
	if ctx.Err() != nil {
		return // stopping: no verdict
	}
	p.ok = err == nil && took <= p.bound
	p.lastErr = ""
	switch {
	case err != nil:
		p.lastErr = "probe failed"
	case !p.ok:
		p.lastErr = "probe took " + took.Round(time.Millisecond).String()
	}
}
