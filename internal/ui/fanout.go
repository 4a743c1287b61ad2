package ui

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// pollFunc reads a feed's next update; changed false means nothing to
// send. A feed's pollFunc is called by one goroutine only, so it may keep
// its own position (a log's cursor, the last rendering).
type pollFunc[U any] func(ctx context.Context) (u U, changed bool, err error)

// fanout polls each key that has subscribers once per interval per
// server, whatever the number of subscribers, and fans the updates out.
// A subscriber's channel holds one update: a slow subscriber gets the
// updates it missed folded into one by merge (bounded by merge), never a
// blocked poll. A new subscriber first gets what the feed has published
// so far, folded by merge the same way.
type fanout[K comparable, U any] struct {
	interval time.Duration
	merge    func(old, new U) U // folds new into an update not yet taken
	done     func(U) bool       // the last update: the feed ends
	log      *slog.Logger
	polls    atomic.Int64

	mu     sync.Mutex
	feeds  map[K]*feedOf[U]
	closed bool
	wg     sync.WaitGroup
}

type feedOf[U any] struct {
	subs   map[chan U]struct{}
	last   *U // what was published so far, merged
	cancel context.CancelFunc
}

func newFanout[K comparable, U any](interval time.Duration, log *slog.Logger,
	merge func(old, new U) U, done func(U) bool) *fanout[K, U] {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &fanout[K, U]{interval: interval, merge: merge, done: done, log: log, feeds: map[K]*feedOf[U]{}}
}

func (h *fanout[K, U]) watching() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.feeds)
}

// subscribe adds a subscriber to key's feed; a new feed reads with read.
func (h *fanout[K, U]) subscribe(key K, read pollFunc[U]) (<-chan U, func()) {
	ch := make(chan U, 1)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		close(ch)
		return ch, func() {}
	}
	f, ok := h.feeds[key]
	if !ok {
		ctx, cancel := context.WithCancel(context.Background())
		f = &feedOf[U]{subs: map[chan U]struct{}{}, cancel: cancel}
		h.feeds[key] = f
		h.wg.Add(1)
		go h.poll(ctx, key, f, read)
	}
	f.subs[ch] = struct{}{}
	if f.last != nil {
		ch <- *f.last
	}
	var once sync.Once
	return ch, func() { once.Do(func() { h.leave(key, f, ch) }) }
}

func (h *fanout[K, U]) leave(key K, f *feedOf[U], ch chan U) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := f.subs[ch]; !ok {
		return // already closed by the feed
	}
	delete(f.subs, ch)
	close(ch)
	if len(f.subs) == 0 && h.feeds[key] == f {
		delete(h.feeds, key)
		f.cancel()
	}
}

// poll reads key every interval until no subscriber is left, the last
// update was published or the hub closes.
func (h *fanout[K, U]) poll(ctx context.Context, key K, f *feedOf[U], read pollFunc[U]) {
	defer h.wg.Done()
	t := time.NewTicker(h.interval)
	defer t.Stop()
	for {
		h.polls.Add(1)
		u, changed, err := read(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			h.log.WarnContext(ctx, "live update", "key", fmt.Sprint(key), "err", err)
		case changed:
			if h.publish(key, f, u) {
				return
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// publish sends u to every subscriber; on the last update it closes the
// subscribers and ends the feed (reporting true).
func (h *fanout[K, U]) publish(key K, f *feedOf[U], u U) (ended bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if f.last == nil {
		f.last = &u
	} else {
		m := h.merge(*f.last, u)
		f.last = &m
	}
	last := h.done(u)
	for ch := range f.subs {
		next := u
		select { // a slow subscriber gets what it missed folded in
		case old := <-ch:
			next = h.merge(old, u)
		default:
		}
		ch <- next
		if last {
			close(ch)
			delete(f.subs, ch)
		}
	}
	if last {
		if h.feeds[key] == f {
			delete(h.feeds, key)
		}
		f.cancel()
	}
	return last
}

// close ends every feed, closing its subscribers' channels, and waits
// for the polls to return. It is safe to call twice.
func (h *fanout[K, U]) close() {
	h.mu.Lock()
	h.closed = true
	for key, f := range h.feeds {
		f.cancel()
		for ch := range f.subs {
			close(ch)
		}
		f.subs = map[chan U]struct{}{}
		delete(h.feeds, key)
	}
	h.mu.Unlock()
	h.wg.Wait()
}
