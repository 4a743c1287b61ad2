package server

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/auth"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store/storetest"
)

// A worker more than one minor version away from the server is accepted,
// and the server logs a warning naming both versions.
func TestRegistrationWarnsOfVersionSkew(t *testing.T) {
	logs := &lockedBuffer{}
	st := storetest.OpenSQLite(t)
	srv := New(engine.New(st, engine.Config{}),
		Config{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	srv.build.Version = "v1.5.0"
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { ts.Close(); srv.Stop() })
	join, err := IssueToken(t.Context(), st, "join", auth.RoleWorker)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New([]string{ts.URL}, client.WithJoinToken(join))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		worker string
		warn   bool
	}{{"v1.4.2", false}, {"v1.6.0", false}, {"dev", false}, {"v1.3.0", true}} {
		logs.reset()
		reg, err := c.Register(context.Background(), client.RegisterRequest{Name: "w", Version: tc.worker})
		if err != nil || reg.ServerVersion != "v1.5.0" || reg.Worker.Version != tc.worker {
			t.Errorf("register %s: %+v, %v", tc.worker, reg, err)
		}
		warned := strings.Contains(logs.String(), "worker version more than one minor version") &&
			strings.Contains(logs.String(), "worker_version="+tc.worker)
		if warned != tc.warn {
			t.Errorf("worker %s: warned %v, want %v:\n%s", tc.worker, warned, tc.warn, logs.String())
		}
	}
}

// lockedBuffer is a bytes.Buffer the server's goroutines write and the
// test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *lockedBuffer) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.Reset()
}

func TestServerLogsVersionAtStart(t *testing.T) {
	logs := &lockedBuffer{}
	srv := New(engine.New(storetest.OpenSQLite(t), engine.Config{}),
		Config{Addr: "127.0.0.1:0", Logger: slog.New(slog.NewTextHandler(logs, nil))})
	srv.build = client.BuildInfo{Version: "v1.5.0", Commit: "abc123", GoVersion: "go1.26.8"}
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	if !strings.Contains(logs.String(), `msg="server listening"`) ||
		!strings.Contains(logs.String(), "version=v1.5.0 commit=abc123 go=go1.26.8") {
		t.Errorf("the start is not logged with the version:\n%s", logs.String())
	}
}
