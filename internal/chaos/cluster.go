package chaos

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/auth"
	"github.com/baton-sched/baton/internal/tlsconf/tlstest"
)

// Timing is the failure-detection timing of a cluster; zero fields keep
// Baton's defaults.
type Timing struct {
	LeaseTTL          time.Duration
	HeartbeatInterval time.Duration
	SweepInterval     time.Duration
}

func (t Timing) flags() []string {
	var out []string
	for _, f := range []struct {
		flag string
		d    time.Duration
	}{{"--lease-ttl", t.LeaseTTL}, {"--heartbeat-interval", t.HeartbeatInterval}, {"--sweep-interval", t.SweepInterval}} {
		if f.d > 0 {
			out = append(out, f.flag, f.d.String())
		}
	}
	return out
}

// Config describes a cluster to start.
type Config struct {
	// Binary is the baton binary every process runs.
	Binary string
	// Dir holds the process logs and the workers' working directories.
	Dir string
	// DSN is the PostgreSQL database the servers share.
	DSN string
	// Servers is how many servers to start (default 1).
	Servers int
	Timing  Timing
	// MaxLost is the servers' max_lost (0: Baton's default).
	MaxLost int
	// DatabaseLinks puts a Link between each server and the database, so
	// that servers can be partitioned from it or slowed down (DSN must be
	// a postgres:// URL then).
	DatabaseLinks bool
	// PlainHTTP turns TLS off (only to measure its cost): by default the
	// cluster runs as in production, its servers serving HTTPS with a
	// certificate of a CA made for the cluster and demanding a client
	// certificate from workers (mTLS), every client verifying the servers
	// with that CA.
	PlainHTTP bool
	// WorkerBinary, when set, is the baton binary the workers run instead
	// of Binary (an older build, for a mixed-version cluster).
	WorkerBinary string
}

// Cluster is a running set of servers and workers. Its methods are safe
// for concurrent use.
type Cluster struct {
	cfg     Config
	proxies *proxies
	servers []*Server
	api     *client.Client
	// admin is the bootstrap admin token; joinFile holds the join token
	// of the workers.
	admin    string
	joinFile string
	// pki is the cluster's CA and certificates; nil with PlainHTTP.
	pki *tlstest.Set
	// tls verifies the servers (nil with PlainHTTP); probe, an HTTP
	// client with it, asks /readyz.
	tls   *tls.Config
	probe *http.Client

	mu      sync.Mutex
	workers []*Worker
}

// Server is a `baton server` process listening on a fixed address, so it
// can be restarted where the workers' links point.
type Server struct {
	*Process
	Addr string
	// DBLink is the server's link to the database, with
	// Config.DatabaseLinks.
	DBLink *Link
	scheme string
}

// URL is the server's base URL.
func (s *Server) URL() string { return s.scheme + "://" + s.Addr }

// WorkerSpec describes a worker to add.
type WorkerSpec struct {
	Name     string
	Zone     string
	Group    string
	Capacity float64
	Labels   map[string]string
	// Servers is the order (server numbers from 1) in which the worker
	// lists the servers; empty: 1, 2, ...
	Servers []int
}

// Worker is a `baton worker` process with one link to each server:
// Links[i] leads to server i+1, whatever order the worker tries them in.
type Worker struct {
	*Process
	Spec  WorkerSpec
	Links []*Link
}

// Partition cuts the worker off from every server (packets dropped) until
// Heal.
func (w *Worker) Partition() error {
	for _, l := range w.Links {
		if err := l.Partition(); err != nil {
			return err
		}
	}
	return nil
}

// Heal ends a partition of the worker.
func (w *Worker) Heal() error {
	var errs []error
	for _, l := range w.Links {
		errs = append(errs, l.Heal())
	}
	return errors.Join(errs...)
}

// Start starts the servers of cfg, all at once as a cluster does on a
// fresh database, and returns once each answers /readyz.
func Start(ctx context.Context, cfg Config) (*Cluster, error) {
	cfg.Servers = cmp.Or(cfg.Servers, 1)
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("cluster dir: %w", err)
	}
	c := &Cluster{cfg: cfg, proxies: newProxies(), probe: http.DefaultClient}
	if err := c.setUpTLS(); err != nil {
		return nil, err
	}
	// Authentication is on, as in production: the servers bootstrap the
	// admin token from a file, and workers join with a join token.
	c.admin, _ = auth.NewSecret()
	adminFile := filepath.Join(cfg.Dir, "admin.token")
	if err := os.WriteFile(adminFile, []byte(c.admin+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("cluster admin token: %w", err)
	}
	var urls []string
	for i := range cfg.Servers {
		addr, err := freeAddr()
		if err != nil {
			c.Close()
			return nil, err
		}
		name := fmt.Sprintf("server-%d", i+1)
		dsn, dbLink := cfg.DSN, (*Link)(nil)
		if cfg.DatabaseLinks {
			if dsn, dbLink, err = c.databaseLink(name, cfg.DSN); err != nil {
				c.Close()
				return nil, err
			}
		}
		args := append([]string{"server", "--database", dsn, "--addr", addr, "--log-format", "json",
			"--bootstrap-token-file", adminFile}, cfg.Timing.flags()...)
		if c.pki != nil {
			args = append(args, c.pki.ServerFlags(true)...)
		}
		if cfg.MaxLost > 0 {
			args = append(args, "--max-lost", strconv.Itoa(cfg.MaxLost))
		}
		// The alert sink listens on loopback, which the egress policy
		// denies unless allowed.
		env := []string{"BATON_EGRESS_ALLOW=127.0.0.1/32"}
		s := &Server{Process: newProcess(name, cfg.Binary, filepath.Join(cfg.Dir, name+".log"), args, env), Addr: addr,
			DBLink: dbLink, scheme: c.scheme()}
		c.servers = append(c.servers, s)
		urls = append(urls, s.URL())
	}
	api, err := c.NewClient(urls, client.WithToken(c.admin))
	if err != nil {
		return nil, err
	}
	c.api = api
	for _, s := range c.servers {
		if err := s.Start(); err != nil {
			c.Close()
			return nil, err
		}
	}
	for _, s := range c.servers {
		if err := c.WaitReady(ctx, s); err != nil {
			c.Close()
			return nil, err
		}
	}
	join, err := c.api.CreateToken(ctx, client.NewToken{Name: "cluster-workers", Role: "worker"})
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("create the workers' join token: %w", err)
	}
	c.joinFile = filepath.Join(cfg.Dir, "join.token")
	if err := os.WriteFile(c.joinFile, []byte(join.Secret+"\n"), 0o600); err != nil {
		c.Close()
		return nil, fmt.Errorf("cluster join token: %w", err)
	}
	return c, nil
}

// AdminToken is the secret of the cluster's admin token.
func (c *Cluster) AdminToken() string { return c.admin }

// JoinTokenFile is the file holding the workers' join token.
func (c *Cluster) JoinTokenFile() string { return c.joinFile }

// freeAddr returns a loopback address with a port free right now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// Servers returns the server processes.
func (c *Cluster) Servers() []*Server { return c.servers }

// Workers returns the worker processes added so far.
func (c *Cluster) Workers() []*Worker {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.workers)
}

// Client is an API client of every server, failing over between them.
func (c *Cluster) Client() *client.Client { return c.api }

// WaitReady waits until server s answers /readyz.
func (c *Cluster) WaitReady(ctx context.Context, s *Server) error {
	return poll(ctx, 50*time.Millisecond, func() (bool, error) {
		select {
		case <-s.Exited():
			return false, s.exitedWhile("starting")
		default:
		}
		resp, err := c.probe.Get(s.URL() + "/readyz")
		ready := err == nil && resp.StatusCode == http.StatusOK
		if err == nil {
			resp.Body.Close()
		}
		return ready, nil // not listening yet is not an error
	})
}

// AddWorker starts a worker and waits until it registered.
func (c *Cluster) AddWorker(ctx context.Context, spec WorkerSpec) (*Worker, error) {
	spec.Capacity = cmp.Or(spec.Capacity, 4)
	w := &Worker{Spec: spec}
	for _, s := range c.servers {
		l, err := c.proxies.link(spec.Name+"->"+s.Name, s.Addr)
		if err != nil {
			return nil, err
		}
		w.Links = append(w.Links, l)
	}
	order := spec.Servers
	if len(order) == 0 {
		for i := range c.servers {
			order = append(order, i+1)
		}
	}
	var urls []string
	for _, n := range order {
		if n < 1 || n > len(w.Links) {
			return nil, fmt.Errorf("worker %s: no server %d", spec.Name, n)
		}
		urls = append(urls, c.scheme()+"://"+w.Links[n-1].Addr())
	}
	args := []string{"worker", "--server", strings.Join(urls, ","), "--name", spec.Name,
		"--capacity", strconv.FormatFloat(spec.Capacity, 'g', -1, 64),
		"--workdir", filepath.Join(c.cfg.Dir, "work", spec.Name), "--log-format", "json",
		"--join-token-file", c.joinFile}
	if spec.Zone != "" {
		args = append(args, "--zone", spec.Zone)
	}
	if spec.Group != "" {
		args = append(args, "--group", spec.Group)
	}
	if c.pki != nil {
		cert, key, err := c.pki.IssueClient(spec.Name)
		if err != nil {
			return nil, err
		}
		args = append(args, "--tls-ca", c.pki.CA, "--tls-client-cert", cert, "--tls-client-key", key)
	}
	if len(spec.Labels) > 0 {
		var kv []string
		for _, k := range slices.Sorted(maps.Keys(spec.Labels)) {
			kv = append(kv, k+"="+spec.Labels[k])
		}
		args = append(args, "--labels", strings.Join(kv, ","))
	}
	w.Process = newProcess(spec.Name, cmp.Or(c.cfg.WorkerBinary, c.cfg.Binary), filepath.Join(c.cfg.Dir, spec.Name+".log"), args, nil)
	c.mu.Lock()
	c.workers = append(c.workers, w)
	c.mu.Unlock()
	if err := c.RestartWorker(ctx, w); err != nil {
		return nil, err
	}
	return w, nil
}

// RestartWorker starts a worker process that exited and waits until it
// registered (under a new ID and its old name). It waits for a live
// worker of that name it has not seen before, not for their number to
// grow: the sweeper may declare the old incarnation lost meanwhile.
func (c *Cluster) RestartWorker(ctx context.Context, w *Worker) error {
	before, err := c.workersNamed(ctx, w.Name, true)
	if err != nil {
		return err
	}
	if err := w.Start(); err != nil {
		return err
	}
	return poll(ctx, 50*time.Millisecond, func() (bool, error) {
		select {
		case <-w.Exited():
			return false, w.exitedWhile("starting")
		default:
		}
		now, err := c.workersNamed(ctx, w.Name, false)
		return err == nil && newIncarnation(before, now), nil
	})
}

// newIncarnation reports whether now (live workers of a name) holds one
// that before (every worker of that name, lost ones too) does not: a new
// ID, or a registration later than any before.
func newIncarnation(before, now []client.Worker) bool {
	var last time.Time
	seen := map[string]bool{}
	for _, w := range before {
		seen[w.ID] = true
		if w.RegisteredAt.After(last) {
			last = w.RegisteredAt
		}
	}
	for _, w := range now {
		if !seen[w.ID] || w.RegisteredAt.After(last) {
			return true
		}
	}
	return false
}

// workersNamed lists the workers of a name: the live ones, or all.
func (c *Cluster) workersNamed(ctx context.Context, name string, all bool) ([]client.Worker, error) {
	ws, err := c.api.Workers(ctx, all)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(ws, func(w client.Worker) bool { return w.Name != name }), nil
}

// WorkerIDs returns the IDs of the live workers named name, oldest first.
func (c *Cluster) WorkerIDs(ctx context.Context, name string) ([]string, error) {
	ws, err := c.api.Workers(ctx, false)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(ws, func(a, b client.Worker) int { return a.RegisteredAt.Compare(b.RegisteredAt) })
	var ids []string
	for _, w := range ws {
		if w.Name == name {
			ids = append(ids, w.ID)
		}
	}
	return ids, nil
}

// Close kills every process and closes the links.
func (c *Cluster) Close() {
	for _, w := range c.Workers() {
		_ = w.Thaw()
		_ = w.Kill()
		for _, l := range w.Links {
			l.close()
		}
	}
	for _, s := range c.servers {
		_ = s.Thaw()
		_ = s.Kill()
		if s.DBLink != nil {
			s.DBLink.close()
		}
	}
}

// StartServer starts a server process that exited, on its address, and
// waits until it answers /readyz.
func (c *Cluster) StartServer(ctx context.Context, s *Server) error {
	if err := s.Start(); err != nil {
		return err
	}
	return c.WaitReady(ctx, s)
}

// ZoneWorkers returns the workers added in a zone.
func (c *Cluster) ZoneWorkers(zone string) []*Worker {
	var out []*Worker
	for _, w := range c.Workers() {
		if w.Spec.Zone == zone {
			out = append(out, w)
		}
	}
	return out
}

// Worker returns the worker added under a name, or nil.
func (c *Cluster) Worker(name string) *Worker {
	for _, w := range c.Workers() {
		if w.Name == name {
			return w
		}
	}
	return nil
}

// poll calls cond every interval until it holds, fails, or ctx ends.
func poll(ctx context.Context, interval time.Duration, cond func() (bool, error)) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		ok, err := cond()
		if err != nil || ok {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
