package ui

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Update is what a live watcher of a run receives: the rendered live
// part of its page, and whether the run has finished (the last update).
type Update struct {
	HTML string
	Done bool
}

// RenderFunc renders the live part of run id's page.
type RenderFunc func(ctx context.Context, id int64) (Update, error)

// Hub fans live run updates out to watchers: one poll per watched run
// per server, whatever the number of watchers. A run is polled while at
// least one watcher is subscribed and until it has finished; watchers
// get an update only when the rendering changed.
type Hub struct {
	interval time.Duration
	render   RenderFunc
	log      *slog.Logger
	polls    atomic.Int64

	mu     sync.Mutex
	feeds  map[int64]*feed
	closed bool
	wg     sync.WaitGroup
}

type feed struct {
	subs   map[chan Update]struct{}
	last   *Update
	cancel context.CancelFunc
}

// NewHub returns a hub that renders with render every interval; log
// may be nil.
func NewHub(interval time.Duration, render RenderFunc, log *slog.Logger) *Hub {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Hub{interval: interval, render: render, log: log, feeds: map[int64]*feed{}}
}

// Polls counts the renders the hub has made, for tests and metrics.
func (h *Hub) Polls() int64 { return h.polls.Load() }

// Watching says how many runs are being polled.
func (h *Hub) Watching() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.feeds)
}

// Subscribe watches run id. The channel holds at most the latest update
// (a slow watcher skips intermediate ones) and is closed after the update
// that says Done, or when the hub closes. Call leave when done watching.
func (h *Hub) Subscribe(id int64) (updates <-chan Update, leave func()) {
	ch := make(chan Update, 1)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		close(ch)
		return ch, func() {}
	}
	f, ok := h.feeds[id]
	if !ok {
		ctx, cancel := context.WithCancel(context.Background())
		f = &feed{subs: map[chan Update]struct{}{}, cancel: cancel}
		h.feeds[id] = f
		h.wg.Add(1)
		go h.poll(ctx, id, f)
	}
	f.subs[ch] = struct{}{}
	if f.last != nil {
		ch <- *f.last
	}
	var once sync.Once
	return ch, func() { once.Do(func() { h.leave(id, f, ch) }) }
}

func (h *Hub) leave(id int64, f *feed, ch chan Update) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := f.subs[ch]; !ok {
		return // already closed by the feed
	}
	delete(f.subs, ch)
	close(ch)
	if len(f.subs) == 0 && h.feeds[id] == f {
		delete(h.feeds, id)
		f.cancel()
	}
}

// poll renders run id every interval until no watcher is left, the run
// has finished or the hub closes.
func (h *Hub) poll(ctx context.Context, id int64, f *feed) {
	defer h.wg.Done()
	t := time.NewTicker(h.interval)
	defer t.Stop()
	for {
		h.polls.Add(1)
		u, err := h.render(ctx, id)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			h.log.WarnContext(ctx, "live run update", "run", id, "err", err)
		default:
			if h.publish(id, f, u) {
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

// publish sends u to every watcher if it changed; on the last update it
// closes the watchers and ends the feed (reporting true).
func (h *Hub) publish(id int64, f *feed, u Update) (ended bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if f.last != nil && f.last.HTML == u.HTML && !u.Done {
		return false
	}
	f.last = &u
	for ch := range f.subs {
		select { // keep only the latest update for a slow watcher
		case <-ch:
		default:
		}
		ch <- u
		if u.Done {
			close(ch)
			delete(f.subs, ch)
		}
	}
	if u.Done {
		if h.feeds[id] == f {
			delete(h.feeds, id)
		}
		f.cancel()
	}
	return u.Done
}

// Close ends every feed, closing its watchers' channels, and waits for
// the polls to return. It is safe to call twice.
func (h *Hub) Close() {
	h.mu.Lock()
	h.closed = true
	for id, f := range h.feeds {
		f.cancel()
		for ch := range f.subs {
			close(ch)
		}
		f.subs = map[chan Update]struct{}{}
		delete(h.feeds, id)
	}
	h.mu.Unlock()
	h.wg.Wait()
}
