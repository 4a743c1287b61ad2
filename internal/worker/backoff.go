package worker

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/baton-sched/baton/client"
)

// backoff computes jittered, exponentially growing waits between failures.
type backoff struct {
	min, max time.Duration
	next     time.Duration
}

func newBackoff(min, max time.Duration) *backoff { return &backoff{min: min, max: max} }

// wait returns how long to wait after one more failure.
func (b *backoff) wait() time.Duration {
	b.next = min(max(2*b.next, b.min), b.max)
	// ±20% so that workers cut off together do not come back together.
	return time.Duration(float64(b.next) * (0.8 + 0.4*rand.Float64()))
}

// reset starts over after a success.
func (b *backoff) reset() { b.next = 0 }

// drain calls sendOnce until it reports an empty queue (0 sent), backing
// off after each failure; a value on retry cuts a backoff short (the
// servers answer again). It returns false when ctx ended.
func (b *backoff) drain(ctx context.Context, log *slog.Logger, what string,
	sendOnce func(context.Context) (int, error), retry <-chan struct{}) bool {
	for {
		n, err := sendOnce(ctx)
		if ctx.Err() != nil {
			return false
		}
		if err != nil {
			wait := b.wait()
			log.Warn("send "+what+" failed; will retry", "retry_in", wait.Round(time.Millisecond), "error", err)
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return false
			case <-t.C:
			case <-retry:
				t.Stop()
			}
			continue
		}
		b.reset()
		if n == 0 {
			return true
		}
	}
}

// retryable says whether a failed request may succeed if sent again: the
// servers could not be reached or could not serve. A 4xx answer (bad
// request, worker gone, fenced) will not change.
func retryable(err error) bool {
	if client.Unreachable(err) {
		return true
	}
	s := client.StatusOf(err)
	return s == 0 || s >= 500 || s == http.StatusRequestTimeout || s == http.StatusTooManyRequests
}

// broadcast wakes every waiter at once each time something changed.
type broadcast struct {
	mu sync.Mutex
	ch chan struct{}
}

// wait returns a channel that is closed at the next notify.
func (b *broadcast) wait() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ch == nil {
		b.ch = make(chan struct{})
	}
	return b.ch
}

// notify wakes the current waiters.
func (b *broadcast) notify() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ch != nil {
		close(b.ch)
		b.ch = nil
	}
}

// poke makes a non-blocking send on a wake-up channel of capacity one.
func poke(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
