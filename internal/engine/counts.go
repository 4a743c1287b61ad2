package engine

import (
	"maps"
	"sync"

	"github.com/baton-sched/baton/internal/store"
)

// counts tallies the events this engine committed, by kind: every
// transition it made. They are the engine's metrics (the server exports
// them as baton_events_total) and what benchmarks count completions with.
type counts struct {
	mu     sync.Mutex
	byKind map[string]int64
}

func (c *counts) add(evs []store.NewEvent) {
	if len(evs) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byKind == nil {
		c.byKind = map[string]int64{}
	}
	for _, ev := range evs {
		c.byKind[ev.Kind]++
	}
}

// Counts returns how many events of each kind this engine committed since
// it started (task.succeeded, attempt.lost, ...).
func (e *Engine) Counts() map[string]int64 {
	e.counts.mu.Lock()
	defer e.counts.mu.Unlock()
	return maps.Clone(e.counts.byKind)
}

// Count returns how many events of kind this engine committed.
func (e *Engine) Count(kind string) int64 {
	e.counts.mu.Lock()
	defer e.counts.mu.Unlock()
	return e.counts.byKind[kind]
}
