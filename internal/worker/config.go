package worker

import (
	"cmp"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/egress"
	"github.com/baton-sched/baton/internal/version"
)

// DefaultShutdownGrace is how long a stopping worker lets its running
// tasks finish before it kills them.
const DefaultShutdownGrace = 30 * time.Second

// DefaultMaxOutputBytes is the default cap of a task's outputs, the same
// as the servers'.
const DefaultMaxOutputBytes = 256 << 10

// Config configures an Agent. Zero values take the defaults named on each
// field.
type Config struct {
	// Servers are the URLs of the servers (default client.DefaultURL). The
	// agent fails over between them, giving up on a server that does not
	// answer in time.
	Servers []string
	// Client, when set, is used instead of a client of Servers. Its HTTP
	// client then decides how long a request to a hung server waits.
	Client *client.Client
	// TLS verifies https:// servers and holds the worker's client
	// certificate (see tlsconf.Client); nil: the system's roots. Ignored
	// when Client is set.
	TLS *tls.Config
	// Token is the join token the worker registers with (role worker);
	// the registration issues the credential of every later call.
	// Ignored when Client is set (give that client WithJoinToken).
	Token string

	// Name, Zone, Group, Labels and Capacity (in CU, default 1) are what the
	// worker declares when it registers; the server defaults the rest.
	Name     string
	Zone     string
	Group    string
	Labels   map[string]string
	Capacity float64
	// Version is reported at registration, for operators (default this
	// build's version).
	Version string
	// MaxTasks bounds the attempts running at once, whatever their CU
	// (default 64).
	MaxTasks int

	// WorkDir holds the attempt directories, WorkDir/attempts/<attempt id>/
	// (default $TMPDIR/baton-worker).
	WorkDir string
	// KeepAttemptDirs keeps attempt directories after the attempt ended;
	// by default they are removed once the outputs were read.
	KeepAttemptDirs bool
	// Shim is the command that runs the task shim (see ShimMain); default
	// [os.Executable(), "task-shim"].
	Shim []string

	// NoHedge sends each heartbeat to one server at a time (the next only
	// after a try failed) instead of hedging it to the next server every
	// quarter interval: for measuring what hedged renewals cost (config
	// measurement.hedged_renewals: false); never for production.
	NoHedge bool
	// Trace, when set, is told each time an attempt passes one of the
	// worker's stages of dispatch (see Stage), in the order they happen:
	// for timing dispatch apart (baton bench). It may be called with the
	// agent's locks held, from several goroutines, and must return at once.
	Trace func(stage Stage, attemptID int64)

	// KillGrace is how long a task may take to exit after SIGTERM before
	// it gets SIGKILL (default 10s).
	KillGrace time.Duration
	// ShutdownGrace is how long Stop lets running tasks finish before it
	// kills them (default 30s).
	ShutdownGrace time.Duration
	// FlushTimeout is how long Stop keeps trying to deliver unsent logs
	// and reports (default 10s).
	FlushTimeout time.Duration

	// ClaimWait is how long one claim long-poll waits for work (default 20s).
	ClaimWait time.Duration
	// RequestTimeout bounds one try of a request on one server, long-polls
	// excepted, before the next server is tried (default 10s).
	RequestTimeout time.Duration
	// MinBackoff and MaxBackoff bound the waits between failed requests
	// (defaults 200ms and 5s).
	MinBackoff time.Duration
	MaxBackoff time.Duration
	// LogFlushInterval is how often task output is sent (default 250ms);
	// output is also sent as soon as 64 KiB are waiting.
	LogFlushInterval time.Duration
	// MaxLogBytes caps the output kept of one attempt (default 10 MiB):
	// about the first half is sent as it is written, then only the last
	// half is kept, sent when the attempt ends after a line saying how
	// much was dropped.
	MaxLogBytes int64
	// MaxOutputBytes caps a task's $BATON_OUTPUT file (default 256 KiB,
	// the servers' limit): a task that writes more fails, with a reason
	// that says so.
	MaxOutputBytes int64
	// CheckpointInterval is how often a task's $BATON_CHECKPOINT file is
	// looked at and, when it changed, uploaded (default 1s); it is also
	// uploaded when the task ends.
	CheckpointInterval time.Duration

	// Egress is the policy of HTTP and SQL tasks' connections (default:
	// egress.New with no ranges, which denies loopback, link-local and
	// metadata addresses, this host's servers included).
	Egress *egress.Policy

	// Logger receives the agent's logs (default slog.Default()).
	Logger *slog.Logger
}

// withDefaults returns a copy of c with defaults filled in.
func (c Config) withDefaults() Config {
	c.Capacity = cmp.Or(c.Capacity, 1)
	c.Version = cmp.Or(c.Version, version.Get().Version)
	c.MaxTasks = cmp.Or(c.MaxTasks, 64)
	c.WorkDir = cmp.Or(c.WorkDir, filepath.Join(os.TempDir(), "baton-worker"))
	if len(c.Shim) == 0 {
		if exe, err := os.Executable(); err == nil {
			c.Shim = []string{exe, "task-shim"}
		}
	}
	c.Shim = slices.Clone(c.Shim)
	c.Labels = maps.Clone(c.Labels)
	c.KillGrace = cmp.Or(c.KillGrace, 10*time.Second)
	c.ShutdownGrace = cmp.Or(c.ShutdownGrace, DefaultShutdownGrace)
	c.FlushTimeout = cmp.Or(c.FlushTimeout, 10*time.Second)
	c.ClaimWait = cmp.Or(c.ClaimWait, 20*time.Second)
	c.RequestTimeout = cmp.Or(c.RequestTimeout, 10*time.Second)
	c.MinBackoff = cmp.Or(c.MinBackoff, 200*time.Millisecond)
	c.MaxBackoff = cmp.Or(c.MaxBackoff, 5*time.Second)
	c.LogFlushInterval = cmp.Or(c.LogFlushInterval, 250*time.Millisecond)
	c.MaxLogBytes = cmp.Or(c.MaxLogBytes, 10<<20)
	c.MaxOutputBytes = cmp.Or(c.MaxOutputBytes, DefaultMaxOutputBytes)
	c.CheckpointInterval = cmp.Or(c.CheckpointInterval, time.Second)
	c.Logger = cmp.Or(c.Logger, slog.Default())
	if c.Egress == nil {
		c.Egress, _ = egress.New(nil, nil)
	}
	return c
}

// validate checks a config with defaults filled in, naming every bad field.
func (c Config) validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("worker config: %s: "+format, append([]any{field}, args...)...))
	}
	if c.Capacity < 0 {
		bad("Capacity", "must be positive, got %v", c.Capacity)
	}
	if c.MaxTasks < 1 || c.MaxTasks > 1000 {
		bad("MaxTasks", "must be between 1 and 1000, got %d", c.MaxTasks)
	}
	if len(c.Shim) == 0 || c.Shim[0] == "" {
		bad("Shim", "no command to run the task shim (os.Executable failed)")
	}
	for field, d := range map[string]time.Duration{
		"KillGrace": c.KillGrace, "ShutdownGrace": c.ShutdownGrace, "FlushTimeout": c.FlushTimeout,
		"ClaimWait": c.ClaimWait, "RequestTimeout": c.RequestTimeout, "MinBackoff": c.MinBackoff,
		"MaxBackoff": c.MaxBackoff, "LogFlushInterval": c.LogFlushInterval, "CheckpointInterval": c.CheckpointInterval,
	} {
		if d < 0 {
			bad(field, "must be a positive duration, got %v", d)
		}
	}
	if c.ClaimWait > 30*time.Second {
		bad("ClaimWait", "must be at most 30s (the servers' limit), got %v", c.ClaimWait)
	}
	if c.MaxBackoff < c.MinBackoff {
		bad("MaxBackoff", "must not be shorter than MinBackoff (%v), got %v", c.MinBackoff, c.MaxBackoff)
	}
	if c.MaxOutputBytes < 0 {
		bad("MaxOutputBytes", "must be positive, got %d", c.MaxOutputBytes)
	}
	if c.MaxLogBytes < 0 {
		bad("MaxLogBytes", "must be positive, got %d", c.MaxLogBytes)
	}
	slices.SortFunc(errs, func(a, b error) int { return cmp.Compare(a.Error(), b.Error()) })
	return errors.Join(errs...)
}
