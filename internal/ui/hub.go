package ui

import (
	"context"
	"log/slog"
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
// get an update only when the rendering changed, and a slow watcher
// skips to the latest one.
type Hub struct {
	f     *fanout[int64, Update]
	start func(id int64) pollFunc[Update]
}

// NewHub returns a hub that renders with render every interval; log
// may be nil.
func NewHub(interval time.Duration, render RenderFunc, log *slog.Logger) *Hub {
	start := func(id int64) pollFunc[Update] {
		var last *Update
		return func(ctx context.Context) (Update, bool, error) {
			u, err := render(ctx, id)
			if err != nil {
				return u, false, err
			}
			changed := last == nil || last.HTML != u.HTML || u.Done
			last = &u
			return u, changed, nil
		}
	}
	latest := func(_, u Update) Update { return u }
	return &Hub{f: newFanout[int64](interval, log, latest, func(u Update) bool { return u.Done }), start: start}
}

// Polls counts the renders the hub has made, for tests and metrics.
func (h *Hub) Polls() int64 { return h.f.polls.Load() }

// Watching says how many runs are being polled.
func (h *Hub) Watching() int { return h.f.watching() }

// Subscribe watches run id. The channel holds at most the latest update
// (a slow watcher skips intermediate ones) and is closed after the update
// that says Done, or when the hub closes. Call leave when done watching.
func (h *Hub) Subscribe(id int64) (updates <-chan Update, leave func()) {
	return h.f.subscribe(id, h.start(id))
}

// Close ends every feed, closing its watchers' channels, and waits for
// the polls to return. It is safe to call twice.
func (h *Hub) Close() { h.f.close() }
