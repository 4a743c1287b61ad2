package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/resource"
)

// ErrStopped is returned by Start on an agent that was stopped: an agent
// runs once.
var ErrStopped = errors.New("worker: agent was stopped")

// Agent is the worker agent: it registers with the servers, keeps its
// lease, claims attempts and runs them, and reports on them. Start it
// once; Stop shuts it down gracefully.
type Agent struct {
	cfg       Config
	log       *slog.Logger
	client    *client.Client  // all servers, failing over: registration, reports, logs
	srv       *servers        // the servers one by one: heartbeats, claims
	transport *http.Transport // nil when the client was given
	reports   *reporter
	logs      *logShipper
	// httpTasks sends the requests of http tasks (not the protocol's).
	httpTasks *http.Client
	// resources caches the resource archives of attempts, set at Start.
	resources *resourceCache

	mu        sync.Mutex
	workerID  string // "" while not registered
	ttl       time.Duration
	interval  time.Duration
	renewedAt time.Time // when the last successful heartbeat was sent
	leaseOK   bool      // the local lease deadline has not passed
	draining  bool
	stopping  bool
	attempts  map[int64]*attempt
	changed   broadcast // notified on every change of the fields above

	inc    *incarnation     // the work directory's lock and state
	prev   incarnationState // what the previous process on the work directory left
	prevID string           // its worker ID, until the servers were told it stopped

	attemptWG  sync.WaitGroup // one per attempt goroutine
	flushAbort chan struct{}  // closed when Stop stops waiting for logs

	life     sync.Mutex
	started  bool
	stopped  bool
	stopReq  chan struct{}
	stopOnce sync.Once
	done     chan struct{}
	// hurry, closed by Hurry, ends the shutdown grace at once.
	hurry     chan struct{}
	hurryOnce sync.Once
}

// New validates cfg and returns an agent ready to Start.
func New(cfg Config) (*Agent, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(cfg.WorkDir)
	if err != nil {
		return nil, fmt.Errorf("worker config: WorkDir: %w", err)
	}
	cfg.WorkDir = dir
	a := &Agent{
		cfg: cfg, log: cfg.Logger, client: cfg.Client,
		attempts: map[int64]*attempt{}, flushAbort: make(chan struct{}),
		stopReq: make(chan struct{}), done: make(chan struct{}), hurry: make(chan struct{}),
		httpTasks: cfg.Egress.Client(),
	}
	if a.client == nil {
		// HTTP/1.1 also over TLS, and idle connections kept for the
		// concurrent requests (see client.NewTransport): a handshake per
		// request would cost every heartbeat.
		a.transport = client.NewTransport()
		a.transport.TLSClientConfig = cfg.TLS
		hc := &http.Client{Transport: tryTimeoutTransport{base: a.transport}}
		if a.srv, err = newServers(cfg.Servers, cfg.Name, hc, cfg.Token); err != nil {
			return nil, fmt.Errorf("worker config: Servers: %w", err)
		}
		// The same order for the rest, so that the fleet spreads.
		if a.client, err = client.New(a.srv.urls, client.WithHTTPClient(hc), client.WithJoinToken(cfg.Token),
			client.WithCredentials(a.srv.creds)); err != nil {
			return nil, fmt.Errorf("worker config: Servers: %w", err)
		}
	} else {
		a.srv = singleServer(a.client)
	}
	a.reports = newReporter(a.client, a.cfg, a.log, a.superseded)
	a.logs = newLogShipper(a.client, a.cfg, a.log, a.superseded)
	return a, nil
}

// Start starts the agent in the background and returns: it registers (and
// keeps trying while no server answers), then heartbeats, claims and runs
// tasks until Stop is called or ctx ends. Start on a started agent does
// nothing; on a stopped one it returns ErrStopped.
func (a *Agent) Start(ctx context.Context) error {
	a.life.Lock()
	defer a.life.Unlock()
	switch {
	case a.stopped:
		return ErrStopped
	case a.started:
		return nil
	}
	if err := prepareWorkDir(a.cfg.WorkDir); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	inc, prev, err := acquireIncarnation(a.cfg.WorkDir, a.log)
	if err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	a.inc, a.prev = inc, prev
	if a.resources, err = newResourceCache(a.cfg.WorkDir, a.client, a.log); err != nil {
		inc.release()
		return fmt.Errorf("start worker: %w", err)
	}
	a.started = true
	a.log.Info("worker starting", "name", a.cfg.Name, "zone", a.cfg.Zone, "group", a.cfg.Group,
		"version", a.cfg.Version)
	go a.run(ctx)
	return nil
}

// Stop shuts the agent down gracefully and returns when it is done: it
// stops claiming, lets running tasks finish for up to ShutdownGrace, kills
// the rest and reports them lost ("worker shut down"), delivers what logs
// and reports it can within FlushTimeout and tells the servers it stopped.
// Stop is safe to call twice, concurrently, and before Start.
func (a *Agent) Stop() {
	a.life.Lock()
	a.stopped = true
	started := a.started
	a.life.Unlock()
	if !started {
		return
	}
	a.stopOnce.Do(func() { close(a.stopReq) })
	<-a.done
}

// Hurry ends a stop's grace period now: the running tasks are killed
// and reported ended (a second Ctrl-C).
func (a *Agent) Hurry() { a.hurryOnce.Do(func() { close(a.hurry) }) }

// Done is closed once the agent stopped: after Stop, when its context
// ended, or when the servers drained the worker and its last task ended.
func (a *Agent) Done() <-chan struct{} { return a.done }

// exitWhenDrained stops the agent once the servers drained the worker
// and no task of it runs any more: a drained worker leaves.
func (a *Agent) exitWhenDrained(ctx context.Context) {
	for {
		a.mu.Lock()
		idle := a.draining && !a.stopping && len(a.runningLocked("")) == 0
		ch := a.changed.wait()
		a.mu.Unlock()
		if idle {
			a.log.Info("worker drained and idle: exiting", "worker_id", a.ID())
			a.stopOnce.Do(func() { close(a.stopReq) })
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-ch:
		}
	}
}

// ID returns the worker ID the servers gave this agent, or "" while it is
// not registered. It changes when the agent registers again after the
// servers declared it lost.
func (a *Agent) ID() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.workerID
}

// Running returns the IDs of the attempts the agent runs (claimed and not
// yet ended), in order.
func (a *Agent) Running() []int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.runningLocked("")
}

// runningLocked lists the attempts not yet ended, of session workerID or
// of any session when workerID is "".
func (a *Agent) runningLocked(workerID string) []int64 {
	ids := []int64{}
	for id, at := range a.attempts {
		if !at.exited && (workerID == "" || at.workerID == workerID) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// run is the agent's life: the loops, then the shutdown.
func (a *Agent) run(ctx context.Context) {
	defer close(a.done)
	bg, cancelBG := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelBG()
	sessionCtx, cancelSession := context.WithCancel(bg)
	defer cancelSession()
	claimCtx, cancelClaim := context.WithCancel(bg)
	defer cancelClaim()

	defer a.inc.release()
	a.takeOver()

	var loops, session, claiming sync.WaitGroup
	loops.Go(func() { a.reports.run(bg) })
	loops.Go(func() { a.logs.run(bg) })
	loops.Go(func() { a.watchLease(bg) })
	loops.Go(func() { a.exitWhenDrained(bg) })
	session.Go(func() { a.sessionLoop(sessionCtx) })
	claiming.Go(func() { a.claimLoop(claimCtx) })

	select {
	case <-a.stopReq:
	case <-ctx.Done():
	}
	a.log.Info("worker stopping", "worker_id", a.ID())
	a.mu.Lock()
	a.stopping = true
	a.changed.notify()
	a.mu.Unlock()
	cancelClaim()
	claiming.Wait()

	a.drainTasks()
	a.flush(bg)
	cancelSession() // no heartbeat may follow the stop
	session.Wait()
	if id := a.ID(); id != "" {
		sctx, cancel := context.WithTimeout(withTryTimeout(bg, a.cfg.RequestTimeout), a.cfg.RequestTimeout)
		// What it holds, so that an attempt the cancelled claim committed
		// and never delivered is called off rather than lost.
		if err := a.client.StopWorker(sctx, id, a.held(id)); err != nil {
			a.log.Warn("tell the servers the worker stopped", "worker_id", id, "error", err)
		} else {
			a.inc.setWorker("", "")
		}
		cancel()
	}
	cancelBG()
	loops.Wait()
	if a.transport != nil {
		a.transport.CloseIdleConnections()
	}
	a.log.Info("worker stopped")
}

// drainTasks waits for the running tasks to end, for up to ShutdownGrace,
// then kills the rest and waits for them to exit.
func (a *Agent) drainTasks() {
	grace := time.NewTimer(a.cfg.ShutdownGrace)
	defer grace.Stop()
	graceOver, hurry := grace.C, a.hurry
	var giveUp <-chan time.Time
	// kill ends the grace: SIGTERM (then SIGKILL after KillGrace), or
	// SIGKILL at once when the stop is hurried.
	kill := func(why string, left []int64, hard bool) {
		graceOver, hurry = nil, nil
		a.log.Warn(why, "attempts", left)
		a.mu.Lock()
		for _, at := range a.attempts {
			a.killLocked(at, causeShutdown, hard)
		}
		a.mu.Unlock()
		// A process stuck in the kernel must not hold the shutdown forever.
		giveUp = time.After(a.cfg.KillGrace + 5*time.Second)
	}
	for {
		a.mu.Lock()
		left := a.runningLocked("")
		ch := a.changed.wait()
		a.mu.Unlock()
		if len(left) == 0 {
			return
		}
		select {
		case <-ch:
		case <-hurry:
			kill("stop hurried: killing tasks", left, true)
		case <-graceOver:
			kill("shutdown grace over: killing tasks", left, false)
		case <-giveUp:
			a.log.Error("tasks did not exit after SIGKILL; stopping anyway", "attempts", left)
			return
		}
	}
}

// flush waits for the ended attempts to hand in their finish reports and
// for the reports and logs to be delivered, for up to FlushTimeout.
func (a *Agent) flush(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, a.cfg.FlushTimeout)
	defer cancel()
	attemptsDone := make(chan struct{})
	go func() {
		a.attemptWG.Wait()
		close(attemptsDone)
	}()
	select {
	case <-attemptsDone:
	case <-ctx.Done():
		close(a.flushAbort) // attempts stop waiting for their logs
		<-attemptsDone
	}
	if err := a.logs.flush(ctx); err != nil {
		a.log.Warn("logs not delivered before shutdown", "error", err)
	}
	if err := a.reports.flush(ctx); err != nil {
		a.log.Error("reports not delivered before shutdown: the servers will count those attempts lost",
			"error", err)
	}
}

// takeOver makes sure the tasks of the previous process on the work
// directory are dead, so that its worker ID can be reported stopped (at
// the first registration) and its attempts handed over at once.
func (a *Agent) takeOver() {
	prev := a.prev
	if prev.WorkerID == "" && len(prev.Groups) == 0 {
		a.inc.update(func(*incarnationState) {})
		return
	}
	start := time.Now()
	if alive := reapGroups(prev, a.cfg.KillGrace, a.log); len(alive) > 0 {
		// Its attempts are left to the end of its lease: the servers
		// must not start them again while a copy may run.
		a.log.Error("tasks of the previous worker process did not die: its attempts wait for its lease",
			"worker_id", prev.WorkerID, "pgids", alive)
		a.inc.update(func(st *incarnationState) {
			for id, g := range prev.Groups {
				st.Groups[id] = g
			}
		})
		return
	}
	// Their attempt directories are of no use any more.
	if dirs, err := os.ReadDir(filepath.Join(a.cfg.WorkDir, "attempts")); err == nil {
		for _, d := range dirs {
			_ = resource.RemoveAll(filepath.Join(a.cfg.WorkDir, "attempts", d.Name()))
		}
	}
	a.prevID = prev.WorkerID
	if prev.Credential != "" {
		a.srv.creds.Set(prev.WorkerID, prev.Credential)
	}
	a.inc.setWorker(prev.WorkerID, prev.Credential) // until the servers were told, should this process die too
	a.log.Info("previous worker process gone: handing its attempts over", "previous_worker_id", prev.WorkerID,
		"previous_pid", prev.PID, "tasks", len(prev.Groups), "took", time.Since(start).Round(time.Millisecond))
}

// prepareWorkDir creates the work directory (0700 when it is new) and its
// attempts directory, which holds the tasks' files and is made readable by
// this user only (0700) even when it existed.
func prepareWorkDir(dir string) error {
	attempts := filepath.Join(dir, "attempts")
	if err := os.MkdirAll(attempts, 0o700); err != nil {
		return err
	}
	return os.Chmod(attempts, 0o700)
}
