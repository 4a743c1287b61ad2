package ui

import (
	"context"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/client/vocab"
)

// Log following: a task panel of a running attempt streams the attempt's
// new output over server-sent events. A LogHub reads each followed
// attempt once per interval per server whatever the number of browsers,
// from where its last read ended (the log's cursor), and sends the new
// chunks to every follower; the stream ends once the attempt has
// finished and its output is read to the end.

// logKey names a followed attempt.
type logKey struct {
	Run     int64
	Task    string
	Attempt int64
}

// LogUpdate is the output an attempt wrote after chunk Since (the log's
// cursor), and whether the attempt has finished and its output is all
// sent (the last update).
type LogUpdate struct {
	Since  int64
	Chunks []client.LogChunk
	Done   bool
}

const (
	// logPollBytes bounds one read of a followed attempt.
	logPollBytes = 64 << 10
	// logKeptBytes bounds what a feed keeps for late followers and what
	// a slow follower's pending update holds; past it the oldest chunks
	// are dropped and the follower shows a gap.
	logKeptBytes = 256 << 10
	// logReadsAtEnd bounds the reads of a finished attempt's last output
	// in one poll.
	logReadsAtEnd = 16
)

// LogHub follows attempts' output for the browsers that watch them.
type LogHub struct {
	f   *fanout[logKey, LogUpdate]
	src Source
}

// NewLogHub returns a hub that reads followed attempts through src every
// interval; log may be nil.
func NewLogHub(interval time.Duration, src Source, log *slog.Logger) *LogHub {
	return &LogHub{f: newFanout[logKey](interval, log, mergeLogs, func(u LogUpdate) bool { return u.Done }), src: src}
}

// attemptEnded says whether an attempt in state will write no more.
func attemptEnded(state string) bool {
	switch state {
	case vocab.TaskQueued, vocab.AttemptDispatched, vocab.AttemptRunning, "":
		return false
	}
	return true
}

// mergeLogs appends b's chunks to a's, keeping at most logKeptBytes (the
// newest); Since moves past what is dropped.
func mergeLogs(a, b LogUpdate) LogUpdate {
	out := LogUpdate{Since: a.Since, Chunks: append(append([]client.LogChunk(nil), a.Chunks...), b.Chunks...), Done: b.Done}
	size := 0
	for _, c := range out.Chunks {
		size += len(c.Data)
	}
	for size > logKeptBytes && len(out.Chunks) > 1 {
		size -= len(out.Chunks[0].Data)
		out.Since = out.Chunks[0].Seq
		out.Chunks = out.Chunks[1:]
	}
	return out
}

// Polls counts the log reads the hub has made, for tests and metrics.
func (h *LogHub) Polls() int64 { return h.f.polls.Load() }

// Watching says how many attempts are being followed.
func (h *LogHub) Watching() int { return h.f.watching() }

// Follow follows attempt (its number) of task in run from chunk after
// (the first follower's after is where the feed starts reading; a later
// follower first gets what the feed kept). The channel holds
// one update: a slow follower gets what it missed folded into it, past
// logKeptBytes with a gap (Since past its cursor). It is closed after the
// update that says Done, or when the hub closes. Call leave when done.
func (h *LogHub) Follow(run int64, task string, attempt, after int64) (updates <-chan LogUpdate, leave func()) {
	k := logKey{Run: run, Task: task, Attempt: attempt}
	return h.f.subscribe(k, h.reader(k, after))
}

// reader reads a followed attempt's output after chunk after, on from
// where each read ends; once the attempt has finished it reads to the end.
func (h *LogHub) reader(k logKey, after int64) pollFunc[LogUpdate] {
	return func(ctx context.Context) (LogUpdate, bool, error) {
		u := LogUpdate{Since: after}
		for range logReadsAtEnd {
			page, err := h.src.Logs(ctx, k.Run, k.Task, k.Attempt, after, logPollBytes)
			if err != nil {
				return u, false, err
			}
			u.Chunks = append(u.Chunks, page.Chunks...)
			if len(page.Chunks) > 0 {
				after = page.NextSeq
			}
			if !attemptEnded(page.State) {
				break
			}
			if len(page.Chunks) == 0 { // finished and read to the end
				u.Done = true
				break
			}
		}
		return u, len(u.Chunks) > 0 || u.Done, nil
	}
}

// Close ends every stream and waits for the reads to return.
func (h *LogHub) Close() { h.f.close() }

// followLogs streams an attempt's new output as server-sent events:
// "lines" with the escaped text of the chunks after the page's cursor
// (?after), "gap" when chunks were dropped for a slow or late follower,
// then "done" once the attempt has finished.
func (h *Handler) followLogs(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	task := r.PathValue("task")
	attempt, err1 := strconv.ParseInt(r.URL.Query().Get("attempt"), 10, 64)
	after, err2 := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	switch {
	case !ok:
		http.Error(w, "not a run ID", http.StatusNotFound)
		return
	case err1 != nil || attempt < 1:
		http.Error(w, "attempt: want the attempt's number (1 or more)", http.StatusBadRequest)
		return
	case err2 != nil || after < 0:
		http.Error(w, "after: want the log cursor the page shows (0 or more)", http.StatusBadRequest)
		return
	}
	// One read on connect: a stream of what does not exist answers 404
	// rather than waiting.
	if _, err := h.src.Logs(r.Context(), id, task, attempt, after, 1); err != nil {
		h.readErr(w, r, err)
		return
	}
	updates, leave := h.logs.Follow(id, task, attempt, after)
	defer leave()
	h.stream(w, r, func(yield func(string) bool) {
		for u := range updates {
			var msg string
			if u.Since > after {
				msg = sseEvent("gap", strconv.FormatInt(u.Since-after, 10))
				after = u.Since
			}
			text := ""
			for _, c := range u.Chunks {
				if c.Seq > after {
					text += c.Data
					after = c.Seq
				}
			}
			if text != "" {
				msg += sseEvent("lines", template.HTMLEscapeString(text))
			}
			if u.Done {
				msg += sseEvent("done", "")
			}
			if msg != "" && !yield(msg) {
				return
			}
		}
	})
}

// stream answers server-sent events: every message next yields, with a
// keepalive comment while idle, until next ends, the client goes or a
// write fails.
func (h *Handler) stream(w http.ResponseWriter, r *http.Request, next func(yield func(string) bool)) {
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	_ = rc.Flush()
	msgs := make(chan string)
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	go func() {
		defer close(msgs)
		next(func(m string) bool {
			select {
			case msgs <- m:
				return true
			case <-ctx.Done():
				return false
			}
		})
	}()
	keepalive := time.NewTicker(15 * time.Second)
	defer keepalive.Stop()
	for {
		var msg string
		select {
		case <-ctx.Done():
			return
		case m, ok := <-msgs:
			if !ok {
				return
			}
			msg = m
		case <-keepalive.C:
			msg = ": keepalive\n\n"
		}
		_ = rc.SetWriteDeadline(time.Now().Add(30 * time.Second))
		if _, err := io.WriteString(w, msg); err != nil {
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}

// logFollowURL is where a task panel follows its attempt's output.
func logFollowURL(run int64, task string, attempt, after int64) string {
	return fmt.Sprintf("/runs/%d/tasks/%s/logs/live?attempt=%d&after=%d", run, url.PathEscape(task), attempt, after)
}

// FollowURL is where the panel follows its attempt's output, from where
// the panel's text ends.
func (p *taskPanel) FollowURL() string {
	return logFollowURL(p.RunID, p.Task.Name, p.Logs.Attempt, p.Logs.NextSeq)
}
