package server

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/auth/oidc"
	"github.com/baton-sched/baton/internal/egress"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/ui"
)

// Config configures a Server. Zero fields take the defaults.
type Config struct {
	// Addr is the listen address, e.g. "127.0.0.1:8420".
	Addr string
	// HeartbeatInterval is how often workers are told to heartbeat.
	HeartbeatInterval time.Duration
	// SweepInterval is how often the failure detector runs.
	SweepInterval time.Duration
	// MaxClaimWait bounds how long a claim long-polls.
	MaxClaimWait time.Duration
	// MonitorInterval is how often the leading server records zone health.
	MonitorInterval time.Duration
	// LeaderTTL is the term of the loops' leader lease.
	LeaderTTL time.Duration
	// VacuumInterval is how often the leading server vacuums the hot
	// tables (default 10s; negative: never, leaving it to autovacuum).
	VacuumInterval time.Duration
	// TLS, when set, makes the server serve HTTPS with it (see
	// tlsconf.Server). With ClientCAs set (tls_client_ca), every
	// worker-protocol operation demands a verified client certificate;
	// ClientAuth must then verify the certificates given.
	TLS *tls.Config
	// PublicURL is the URL browsers use to reach the servers (e.g. through
	// a load balancer): its host is accepted in Host and Origin headers
	// of mutating requests (see hostPolicy).
	PublicURL string
	// Egress is the policy of alert deliveries (default: egress.New with
	// no ranges, which denies loopback, link-local and metadata addresses).
	Egress *egress.Policy
	// MaxConns bounds the open connections: past it the longest idle one
	// is closed (default: from the process's file descriptor limit).
	MaxConns int
	// Retention says how long finished runs and audit events are kept
	// (zero: forever, unless a workflow sets its own retention).
	Retention RetentionConfig
	// BootstrapToken, when set (bootstrap_token_file), becomes the first
	// admin token, named "bootstrap", if the database has no token yet.
	BootstrapToken string
	// Zone is the zone this server runs in, shown in the servers
	// registry.
	Zone string
	// OIDC, when set, logs people in to the web UI with OpenID Connect
	// (/login/oidc).
	OIDC   *oidc.Login
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	c.Addr = cmp.Or(c.Addr, "127.0.0.1:8420")
	c.HeartbeatInterval = cmp.Or(c.HeartbeatInterval, engine.DefaultHeartbeatInterval)
	c.SweepInterval = cmp.Or(c.SweepInterval, 500*time.Millisecond)
	c.MaxClaimWait = cmp.Or(c.MaxClaimWait, 30*time.Second)
	c.MonitorInterval = cmp.Or(c.MonitorInterval, time.Second)
	c.LeaderTTL = cmp.Or(c.LeaderTTL, 10*time.Second)
	c.VacuumInterval = cmp.Or(c.VacuumInterval, 10*time.Second)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Server serves the HTTP API and runs the background loops. It holds no
// state of its own: any number of servers may share one database.
type Server struct {
	cfg    Config
	id     string // this server's identity in leader leases
	build  client.BuildInfo
	engine *engine.Engine
	log    *slog.Logger
	// resourceFetches counts resource archives sent to workers.
	resourceFetches atomic.Int64
	handler         http.Handler
	ui              *ui.Handler
	sweeper         *Sweeper
	retainer        *Retainer
	scheduler       *scheduler
	alerter         *loop
	subflows        *loop
	waiter          *loop // checks wait tasks (waits.go)
	elector         *Elector
	authn           *authenticator
	adapter         *authAdapter // the API's routes, authorized
	plain           *plainRoutes // the other routes, authorized
	codes           loginCodes   // one-time login links
	throttle        *throttle    // failed logins, per user and address
	// alertClient posts alerts to their channels.
	alertClient *http.Client
	leader      []*loop // work of the leading server
	probe       *commitProbe
	prober      *loop
	registry    *registry
	obs         *observability // what /metrics exports
	statsLoop   *loop          // reads the figures /metrics exports

	mu       sync.Mutex
	http     *http.Server
	listener net.Listener
	stopping chan struct{} // closed by Stop: ends long polls
	done     chan struct{}
}

// New returns a server on the engine.
func New(e *engine.Engine, cfg Config) *Server {
	cfg = cfg.withDefaults()
	var b [4]byte
	_, _ = rand.Read(b[:])
	s := &Server{cfg: cfg, id: "server-" + hex.EncodeToString(b[:]), engine: e, log: cfg.Logger,
		build: buildInfo(), stopping: make(chan struct{}), authn: newAuthenticator(e.Store()),
		throttle: newThrottle()}
	rc := cfg.Retention
	rc.Logger = cmp.Or(rc.Logger, cfg.Logger)
	s.retainer = NewRetainer(e, rc)
	s.handler = s.routes()
	s.sweeper = NewSweeper(e, SweeperConfig{Interval: cfg.SweepInterval, Logger: cfg.Logger})
	s.probe = newCommitProbe(e.Store())
	s.prober = &loop{interval: probeInterval, run: s.probe.run}
	s.registry = &registry{self: store.NewServer{ID: s.id, Zone: cfg.Zone, Version: s.build.Version}}
	s.probe.also = s.registry.touch
	if g, ok := s.handler.(*guard); ok {
		g.sick = func() (bool, string) { return !s.probe.healthy(), s.probe.why() }
	}
	s.scheduler = newScheduler(e, cfg.Logger)
	policy := cfg.Egress
	if policy == nil {
		policy, _ = egress.New(nil, nil)
	}
	s.alertClient = policy.Client()
	s.alerter = &loop{interval: alertInterval, run: s.deliverAlerts}
	s.subflows = &loop{interval: subWorkflowPause, run: s.startSubWorkflows}
	s.waiter = s.newWaiter(policy)
	s.elector = NewElector(e, ElectorConfig{Name: "loops", Holder: s.id, TTL: cfg.LeaderTTL, Logger: cfg.Logger})
	s.leader = []*loop{{interval: cfg.MonitorInterval,
		run: leaderOnly(s.elector, s.obs.timed("zone_monitor", s.recordZoneHealth))}}
	s.leader = append(s.leader, &loop{interval: sessionPruneInterval,
		run: leaderOnly(s.elector, s.obs.timed("session_prune", s.pruneSessions))})
	if cfg.VacuumInterval > 0 {
		s.leader = append(s.leader, &loop{interval: cfg.VacuumInterval,
			run: leaderOnly(s.elector, s.obs.timed("vacuum", s.vacuum))})
	}
	s.timeLoops()
	return s
}

// Handler returns the HTTP handler (API, health, metrics), for tests and
// embedding.
func (s *Server) Handler() http.Handler { return s.handler }

// Addr returns the address the server listens on once started.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.listener == nil {
		return s.cfg.Addr
	}
	return s.listener.Addr().String()
}

// URL returns the base URL of the server: https:// when it serves TLS.
func (s *Server) URL() string {
	if s.cfg.TLS != nil {
		return "https://" + s.Addr()
	}
	return "http://" + s.Addr()
}

// Start listens and serves in the background and starts the loops. It
// returns once the listener is open.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.http != nil {
		return errors.New("server already started")
	}
	if err := checkTLS(s.cfg.TLS); err != nil {
		return err
	}
	if err := s.checkRoutes(); err != nil {
		return err
	}
	if s.cfg.BootstrapToken != "" {
		if err := s.bootstrapFromConfig(ctx); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.cfg.Addr, err)
	}
	s.listener = ln
	ln, s.http = s.newHTTPServer(ln)
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		serve := func() error { return s.http.Serve(ln) }
		if s.cfg.TLS != nil {
			serve = func() error { return s.http.ServeTLS(ln, "", "") }
		}
		if err := serve(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("http server stopped", "err", err)
		}
	}()
	s.registry.self.Address = advertised(ln.Addr().String())
	s.recordSelf(ctx)
	s.prober.Start(ctx)
	s.statsLoop.Start(ctx)
	s.sweeper.Start(ctx)
	s.retainer.Start(ctx)
	s.scheduler.Start(ctx)
	s.alerter.Start(ctx)
	s.subflows.Start(ctx)
	s.waiter.Start(ctx)
	s.elector.Start(ctx)
	for _, l := range s.leader {
		l.Start(ctx)
	}
	s.log.Info("server listening", "addr", ln.Addr().String(), "tls", s.cfg.TLS != nil,
		"client_certs", s.cfg.TLS != nil && s.cfg.TLS.ClientCAs != nil, "server_id", s.id,
		"version", s.build.Version, "commit", s.build.Commit, "go", s.build.GoVersion)
	return nil
}

// Stop ends long polls, stops the loops and shuts the HTTP server down,
// letting in-flight requests finish. Safe to call twice or before Start.
func (s *Server) Stop() {
	s.mu.Lock()
	select {
	case <-s.stopping:
	default:
		close(s.stopping)
	}
	h, done := s.http, s.done
	s.mu.Unlock()
	for _, l := range s.leader {
		l.Stop()
	}
	s.prober.Stop()
	s.statsLoop.Stop()
	s.sweeper.Stop()
	s.retainer.Stop()
	s.scheduler.Stop()
	s.alerter.Stop()
	s.subflows.Stop()
	s.waiter.Stop()
	s.elector.Stop()
	s.ui.Close() // ends live pages, whose streams would hold Shutdown up
	if h == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.Shutdown(ctx); err != nil {
		s.log.Warn("http shutdown", "err", err)
		h.Close()
	}
	<-done
}
