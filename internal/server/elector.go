package server

import (
	"cmp"
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/baton-sched/baton/internal/engine"
)

// ElectorConfig configures an Elector.
type ElectorConfig struct {
	// Name is the lease's name; Holder this server's identity.
	Name   string
	Holder string
	// TTL is how long a term lasts without renewal (default 10s); the
	// elector renews every TTL/3.
	TTL    time.Duration
	Logger *slog.Logger
}

// Elector keeps a leader lease for this server when it can. Leading says
// whether this server may do the work the lease spreads; it stops saying
// so a margin before the term could end on the database's clock, so two
// servers do not both believe they lead. Loops use it to avoid doing the
// same work twice, never for correctness.
type Elector struct {
	loop
	engine *engine.Engine
	cfg    ElectorConfig
	log    *slog.Logger

	mu    sync.Mutex
	term  int64     // the term held, 0 when none
	until time.Time // local deadline of the term
}

// NewElector returns a stopped elector.
func NewElector(e *engine.Engine, cfg ElectorConfig) *Elector {
	cfg.TTL = cmp.Or(cfg.TTL, 10*time.Second)
	el := &Elector{engine: e, cfg: cfg, log: cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler))}
	el.loop = loop{interval: cfg.TTL / 3, run: func(ctx context.Context) { el.RunOnce(ctx) }}
	return el
}

// Leading reports whether this server holds the lease now.
func (el *Elector) Leading() bool {
	el.mu.Lock()
	defer el.mu.Unlock()
	return el.term != 0 && time.Now().Before(el.until)
}

// RunOnce renews the term held or tries to take the lease, and reports
// whether this server leads afterwards.
func (el *Elector) RunOnce(ctx context.Context) bool {
	el.mu.Lock()
	term := el.term
	el.mu.Unlock()
	sent := time.Now()
	if term != 0 {
		ok, err := el.engine.RenewLeadership(ctx, el.cfg.Name, el.cfg.Holder, term, el.cfg.TTL)
		if err != nil {
			el.log.Warn("renew leadership", "lease", el.cfg.Name, "err", err)
			return el.Leading() // trusted until its local deadline
		}
		if ok {
			el.extend(term, sent)
			return true
		}
		el.log.Info("leadership lost", "lease", el.cfg.Name, "term", term)
		el.set(0, time.Time{})
	}
	lease, ok, err := el.engine.AcquireLeadership(ctx, el.cfg.Name, el.cfg.Holder, el.cfg.TTL)
	if err != nil {
		el.log.Warn("acquire leadership", "lease", el.cfg.Name, "err", err)
		return false
	}
	if !ok {
		return false
	}
	el.log.Info("leading", "lease", el.cfg.Name, "term", lease.Term)
	el.extend(lease.Term, sent)
	return true
}

// extend trusts term until TTL minus a margin after sent, when the request
// that renewed it left.
func (el *Elector) extend(term int64, sent time.Time) {
	el.set(term, sent.Add(el.cfg.TTL-max(el.cfg.TTL/5, 200*time.Millisecond)))
}

func (el *Elector) set(term int64, until time.Time) {
	el.mu.Lock()
	defer el.mu.Unlock()
	el.term, el.until = term, until
}

// Stop stops renewing and resigns the term held, so another server takes
// over at once.
func (el *Elector) Stop() {
	el.loop.Stop()
	el.mu.Lock()
	term := el.term
	el.term = 0
	el.mu.Unlock()
	if term == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := el.engine.ResignLeadership(ctx, el.cfg.Name, el.cfg.Holder, term); err != nil {
		el.log.Warn("resign leadership", "lease", el.cfg.Name, "err", err)
	}
}
