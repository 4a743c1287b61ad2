package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/storetest"
)

// stallingStore holds its write transactions while stalled, as a
// database behind a cut or overloaded link does.
type stallingStore struct {
	store.Store
	mu      sync.Mutex
	stall   chan struct{} // nil: not stalled
	entered chan struct{}
}

func (s *stallingStore) InTx(ctx context.Context, fn func(store.Tx) error) error {
	s.mu.Lock()
	stall := s.stall
	s.mu.Unlock()
	if stall != nil {
		s.entered <- struct{}{}
		select {
		case <-stall:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return s.Store.InTx(ctx, fn)
}

// A server whose commits stall past the bound answers /readyz and the
// worker protocol 503 at once (Retry-After), and the rest of the API as
// before; once a probe commits in time it is ready again.
func TestServerThatCannotCommitIsNotReady(t *testing.T) {
	st := &stallingStore{Store: storetest.OpenSQLite(t), entered: make(chan struct{}, 1)}
	srv := New(engine.New(st, engine.Config{}), Config{})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { ts.Close(); srv.Stop() })
	var mu sync.Mutex
	now := time.Now()
	srv.probe.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	type answer struct {
		StatusCode int
		Header     http.Header
	}
	get := func(method, path string) answer {
		t.Helper()
		req, _ := http.NewRequest(method, ts.URL+path, strings.NewReader("{}"))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return answer{resp.StatusCode, resp.Header}
	}
	if r := get("GET", "/readyz"); r.StatusCode != 200 {
		t.Fatalf("readyz %d before any stall", r.StatusCode)
	}

	release := make(chan struct{})
	st.mu.Lock()
	st.stall = release
	st.mu.Unlock()
	done := make(chan struct{})
	go func() { srv.probe.run(context.Background()); close(done) }()
	<-st.entered
	if r := get("GET", "/readyz"); r.StatusCode != 200 {
		t.Errorf("readyz %d with a probe in flight within the bound, want 200", r.StatusCode)
	}
	advance(commitBound + time.Second)
	if r := get("GET", "/readyz"); r.StatusCode != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" {
		t.Errorf("readyz %d (Retry-After %q) with a probe stuck past the bound, want 503", r.StatusCode, r.Header.Get("Retry-After"))
	}
	start := time.Now()
	if r := get("POST", "/api/v1/workers/w-1/heartbeat"); r.StatusCode != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" {
		t.Errorf("heartbeat %d on a sick server, want 503 with Retry-After", r.StatusCode)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("the 503 took %v, want it at once", took)
	}
	if r := get("GET", "/api/v1/workflows"); r.StatusCode == http.StatusServiceUnavailable {
		t.Errorf("list workflows %d: only the worker protocol is refused", r.StatusCode)
	}
	st.mu.Lock()
	st.stall = nil
	st.mu.Unlock()
	close(release)
	<-done
	if r := get("GET", "/readyz"); r.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("readyz %d after a probe that took past the bound, want 503", r.StatusCode)
	}
	srv.probe.run(context.Background())
	if r := get("GET", "/readyz"); r.StatusCode != 200 {
		t.Errorf("readyz %d after a probe committed in time, want 200", r.StatusCode)
	}
}
