package engine

import (
	"strings"
	"sync"
	"time"

	"github.com/baton-sched/baton/internal/store"
)

// LatenessBuckets are the upper bounds, in seconds, of the firing
// lateness histogram.
var LatenessBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300}

// Lateness is a histogram of how long after their fire time (due time
// plus jitter) the runs this engine's schedule loop fired were created.
type Lateness struct {
	Count   uint64
	Sum     float64            // seconds
	Buckets map[float64]uint64 // upper bound → runs at most that late
}

type latenessHist struct {
	mu     sync.Mutex
	count  uint64
	sum    float64
	counts []uint64 // per bucket, not cumulative
}

func (h *latenessHist) observe(ds []time.Duration) {
	if len(ds) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.counts == nil {
		h.counts = make([]uint64, len(LatenessBuckets))
	}
	for _, d := range ds {
		s := d.Seconds()
		h.count++
		h.sum += s
		for i, ub := range LatenessBuckets {
			if s <= ub {
				h.counts[i]++
				break
			}
		}
	}
}

// FiringLateness returns the lateness of the runs this engine fired since
// it started.
func (e *Engine) FiringLateness() Lateness {
	h := &e.lateness
	h.mu.Lock()
	defer h.mu.Unlock()
	out := Lateness{Count: h.count, Sum: h.sum, Buckets: make(map[float64]uint64, len(LatenessBuckets))}
	var cum uint64
	for i, ub := range LatenessBuckets {
		if h.counts != nil {
			cum += h.counts[i]
		}
		out.Buckets[ub] = cum
	}
	return out
}

// firedBySchedule reports whether the schedule loop created a run (not a
// trigger or a backfill, whose due times are not when they were asked for).
func firedBySchedule(r store.ScheduledRun) bool { return strings.HasPrefix(r.CreatedBy, "schedule:") }
