package server

import (
	"log/slog"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"
)

// HTTP server timeouts. Reading a request's body and writing its answer
// are bounded per request by the guard (long-polls get longer); these
// bound what happens outside requests.
const (
	readHeaderTimeout = 10 * time.Second
	idleTimeout       = 60 * time.Second
	maxHeaderBytes    = 64 << 10
)

// newHTTPServer returns the HTTP server of s on ln, with its timeouts and
// the connection bound.
func (s *Server) newHTTPServer(ln net.Listener) (net.Listener, *http.Server) {
	t := newConnTracker(s.cfg.MaxConns)
	return ln, &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ConnState:         t.state,
		TLSConfig:         s.cfg.TLS,
		// TLS handshake failures (a wrong CA, a refused client
		// certificate) land in the server log.
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// connTracker bounds the open connections of a server so that clients
// holding idle keep-alive connections (or connections that never send a
// request) cannot use up the process's file descriptors: when a new
// connection takes the count past the bound, the longest idle one is
// closed. Connections serving a request are never closed.
type connTracker struct {
	limit int

	mu      sync.Mutex
	open    int                    // connections not closed yet
	idle    map[net.Conn]time.Time // idle (or new, no request yet) since
	closing map[net.Conn]bool      // closed by the tracker, not yet gone
}

// newConnTracker bounds connections to limit; 0 means from the file
// descriptor limit, leaving a quarter (at least 32) to the database,
// files and tasks.
func newConnTracker(limit int) *connTracker {
	if limit <= 0 {
		limit = 10_000
		var lim syscall.Rlimit
		if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && lim.Cur < 1<<20 {
			limit = max(int(lim.Cur)-max(int(lim.Cur)/4, 32), 16)
		}
	}
	return &connTracker{limit: limit, idle: map[net.Conn]time.Time{}, closing: map[net.Conn]bool{}}
}

// state is the server's ConnState hook.
func (t *connTracker) state(c net.Conn, st http.ConnState) {
	var victim net.Conn
	t.mu.Lock()
	switch st {
	case http.StateNew:
		t.open++
		t.idle[c] = time.Now()
		if t.open-len(t.closing) > t.limit {
			victim = t.oldestIdle(c)
		}
	case http.StateIdle:
		if !t.closing[c] {
			t.idle[c] = time.Now()
		}
	case http.StateActive:
		delete(t.idle, c)
	case http.StateHijacked, http.StateClosed:
		t.open--
		delete(t.idle, c)
		delete(t.closing, c)
	}
	t.mu.Unlock()
	if victim != nil {
		_ = victim.Close()
	}
}

// oldestIdle moves the longest idle connection other than except from
// the idle set to the closing set; nil when every other one is busy.
func (t *connTracker) oldestIdle(except net.Conn) net.Conn {
	var victim net.Conn
	var since time.Time
	for c, at := range t.idle {
		if c != except && (victim == nil || at.Before(since)) {
			victim, since = c, at
		}
	}
	if victim != nil {
		delete(t.idle, victim)
		t.closing[victim] = true
	}
	return victim
}
