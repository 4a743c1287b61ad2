package worker

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/version"
)

// logBuffer collects log lines for a test to read while the agent writes.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestAgentReportsBuildVersion(t *testing.T) {
	logs := &logBuffer{}
	x := newAgentTest(t, func(c *Config) { c.Logger = slog.New(slog.NewTextHandler(logs, nil)) })
	waitFor(t, 10*time.Second, "registration", func() bool { return x.a.ID() != "" })
	reg := get(x.fake, func(f *fakeServer) []client.RegisterRequest { return f.registrations })
	if want := version.Get().Version; len(reg) != 1 || reg[0].Version != want {
		t.Errorf("registrations %+v, want one with version %q", reg, want)
	}
	if !strings.Contains(logs.String(), `msg="worker starting"`) ||
		!strings.Contains(logs.String(), "version="+version.Get().Version) {
		t.Errorf("the start is not logged with the version:\n%s", logs)
	}
}

func TestAgentWarnsOfServerVersionSkew(t *testing.T) {
	for _, tc := range []struct {
		server string
		warn   bool
	}{{"v1.3.4", false}, {"v1.4.0", true}, {"", false}} {
		t.Run("server "+tc.server, func(t *testing.T) {
			logs := &logBuffer{}
			x := newScriptedAgentTest(t, func(f *fakeServer) { f.serverVersion = tc.server }, func(c *Config) {
				c.Version = "v1.2.0"
				c.Logger = slog.New(slog.NewTextHandler(logs, nil))
			})
			// The first heartbeat follows the registration and its log lines.
			waitFor(t, 10*time.Second, "a heartbeat", func() bool {
				return len(get(x.fake, func(f *fakeServer) []gotBeat { return f.beats })) > 0
			})
			if got := strings.Contains(logs.String(), "upgrade servers first"); got != tc.warn {
				t.Errorf("warning logged: %v, want %v:\n%s", got, tc.warn, logs)
			}
		})
	}
}
