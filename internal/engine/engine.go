package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/baton-sched/baton/internal/resource"
	"github.com/baton-sched/baton/internal/secrets"
	"github.com/baton-sched/baton/internal/store"
)

// Sentinel errors callers branch on.
var (
	// ErrNotFound: the workflow, run, task, attempt or worker does not exist.
	ErrNotFound = errors.New("not found")
	// ErrWorkerGone: the worker is not live (lost or stopped); it must kill
	// its tasks and register again.
	ErrWorkerGone = errors.New("worker is not live")
	// ErrFinished: the run already reached a terminal state.
	ErrFinished = errors.New("run already finished")
)

// InvalidError is bad input: a definition, parameters or a request field.
// Nothing was stored.
type InvalidError struct{ Err error }

func (e *InvalidError) Error() string { return e.Err.Error() }
func (e *InvalidError) Unwrap() error { return e.Err }

func invalid(format string, args ...any) error {
	return &InvalidError{Err: fmt.Errorf(format, args...)}
}

// Config tunes the engine. Zero fields take the defaults.
type Config struct {
	// PublicURL is the URL people reach the web UI at; when set, alerts
	// about a run carry a link to it (AlertPayload.URL).
	PublicURL string
	// LeaseTTL is how long a worker's lease lasts after a heartbeat.
	LeaseTTL time.Duration
	// DispatchTimeout is how long a dispatched attempt may go unstarted
	// before it is considered lost (its claim response never arrived).
	DispatchTimeout time.Duration
	// MaxLost bounds the lost attempts of one task; the loss that reaches it
	// fails the task with reason "lost".
	MaxLost int
	// SweepBatch bounds the expired attempts handled per transaction.
	SweepBatch int
	// ResumeAfter: a sweep that finds no sweep ran for this long assumes
	// that every server, or the database, was down, so that no worker could
	// renew its lease or report; it extends the live leases by LeaseTTL and
	// restarts the dispatch timeouts instead of declaring workers and
	// attempts lost (default LeaseTTL/2). Workers still
	// fence themselves on their own clock, so this never lets two attempts
	// of a task overlap; it spares the fleet a false mass loss.
	ResumeAfter time.Duration
	// AvoidWindow is how long a task requeued after a lost or preempted
	// attempt is left to workers outside that attempt's zone, when any is
	// live (default 5s); after it any worker may take it.
	AvoidWindow time.Duration
	// OrphanCheck is how often a server's sweep also looks for live
	// attempts of any lost or stopped worker, the safety net behind their
	// hand-over at expiry and at stop (default 10s).
	OrphanCheck time.Duration
	// TimeoutGrace is how long past its timeout a running attempt may go
	// unreported before the servers end it timed_out themselves, the
	// backstop behind the worker's own kill (default 30s: more than the
	// worker's SIGTERM-to-SIGKILL grace).
	TimeoutGrace time.Duration
	// LostWorkerWindow is how long a lost worker that did not come back
	// (no live worker of its name in its zone) counts against its zone's
	// health and registered capacity (default 1h).
	LostWorkerWindow time.Duration
	// Secrets is the key ring that seals and opens secrets; nil: secrets
	// can be neither set nor used on this server.
	Secrets *secrets.KeyRing
	// MaxLogBytes caps the output kept of one attempt (default 10 MiB):
	// the first half and the last half are kept, the middle dropped.
	MaxLogBytes int64
	// MaxOutputBytes caps the outputs of one finish report, keys and
	// values together (default 256 KiB): a report past it is accepted,
	// its outputs dropped and the attempt failed, naming the limit.
	MaxOutputBytes int64
	// TxTimeout bounds every transaction of the engine, waits for a
	// connection or the database lock included (default 15 s): a slow or
	// cut-off database fails the call instead of holding it.
	TxTimeout time.Duration
	// NoTxDeadline leaves transactions without TxTimeout, for measuring
	// what the deadlines cost (config measurement.deadlines: false); never
	// for production.
	NoTxDeadline bool
	// MaxWriteTx bounds the claims, reports and starts this engine runs
	// at once (the write gate, see gate.go); the others wait before
	// their transaction begins. 0: DefaultWriteTx of the store's pool and
	// the processors; negative: no bound.
	MaxWriteTx int
	// Limits bound the work one request may ask for.
	Limits Limits
	// Resources bound one version of a resource (default 64 MiB of
	// files, 10000 files).
	Resources resource.Limits
	Logger    *slog.Logger
}

// Default timing: a heartbeat every second renews a 3 s lease, so a lost
// worker's tasks are requeued about 3 s after its last heartbeat plus one
// sweep.
const (
	DefaultLeaseTTL          = 3 * time.Second
	DefaultHeartbeatInterval = time.Second
	DefaultMaxLost           = 3
	DefaultMaxLogBytes       = 10 << 20
	DefaultMaxOutputBytes    = 256 << 10
	DefaultTxTimeout         = 15 * time.Second
)

func (c Config) withDefaults() Config {
	c.LeaseTTL = cmp.Or(c.LeaseTTL, DefaultLeaseTTL)
	c.DispatchTimeout = cmp.Or(c.DispatchTimeout, 2*c.LeaseTTL)
	c.MaxLost = cmp.Or(c.MaxLost, DefaultMaxLost)
	c.Resources.MaxBytes = cmp.Or(c.Resources.MaxBytes, resource.DefaultMaxBytes)
	c.Resources.MaxFiles = cmp.Or(c.Resources.MaxFiles, resource.DefaultMaxFiles)
	c.SweepBatch = cmp.Or(c.SweepBatch, 200)
	c.ResumeAfter = cmp.Or(c.ResumeAfter, c.LeaseTTL/2)
	c.AvoidWindow = cmp.Or(c.AvoidWindow, 5*time.Second)
	c.LostWorkerWindow = cmp.Or(c.LostWorkerWindow, time.Hour)
	c.OrphanCheck = cmp.Or(c.OrphanCheck, 10*time.Second)
	c.TimeoutGrace = cmp.Or(c.TimeoutGrace, 30*time.Second)
	c.MaxLogBytes = cmp.Or(c.MaxLogBytes, DefaultMaxLogBytes)
	c.MaxOutputBytes = cmp.Or(c.MaxOutputBytes, DefaultMaxOutputBytes)
	c.Limits = c.Limits.withDefaults()
	c.TxTimeout = cmp.Or(c.TxTimeout, DefaultTxTimeout)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Engine makes every state transition of runs, tasks, attempts and workers,
// each as one transaction of guarded updates. It holds no state that
// matters: any number of engines on one database act correctly together.
type Engine struct {
	store  store.Store
	cfg    Config
	log    *slog.Logger
	plans  *planCache
	counts counts
	meter  meter
	alerts alertSubs
	slots  slotCache
	gate   *gate
	// orphanCheck is when this engine's sweep last looked for orphaned
	// attempts (Unix nanoseconds): only saves work, holds no truth.
	orphanCheck atomic.Int64
	// claimLocked, set by tests only, runs inside each claim's transaction
	// once its candidates are locked.
	claimLocked func()
}

// New returns an engine on s.
func New(s store.Store, cfg Config) *Engine {
	if cfg.Limits.MaxRowsPerTx == 0 && s.Dialect() == "sqlite" {
		// One writer: every other write waits for the whole transaction.
		cfg.Limits.MaxRowsPerTx = DefaultMaxRowsPerTxSQLite
	}
	if cfg.MaxWriteTx == 0 {
		cfg.MaxWriteTx = writeTxDefault(s)
	}
	cfg = cfg.withDefaults()
	return &Engine{store: s, cfg: cfg, log: cfg.Logger, plans: newPlanCache(512), gate: newGate(cfg.MaxWriteTx)}
}

// Config returns the engine's effective configuration.
func (e *Engine) Config() Config { return e.cfg }

// Store returns the engine's store, for reads.
func (e *Engine) Store() store.Store { return e.store }

// op is one transaction: the store's operations plus the events the
// transition writes, inserted together before commit.
type op struct {
	store.Tx
	ctx    context.Context
	e      *Engine
	actor  string
	events []store.NewEvent
	// obs and refusals are the measures taken, counted at commit.
	obs      []observation
	refusals []string
	// placeholders: templates get "${{ secrets.NAME }}" for a secret,
	// never its value (RenderTask, for showing).
	placeholders bool
}

func (e *Engine) inTx(ctx context.Context, actor string, fn func(o *op) error) error {
	var committed []store.NewEvent
	var obs []observation
	var refusals []string
	ctx, cancel := e.txDeadline(ctx)
	defer cancel()
	err := e.store.InTx(ctx, func(tx store.Tx) error {
		o := &op{Tx: tx, ctx: ctx, e: e, actor: actor}
		if err := fn(o); err != nil {
			return err
		}
		if err := o.queueAlerts(); err != nil {
			return err
		}
		if err := tx.Events().Insert(ctx, o.events); err != nil {
			return fmt.Errorf("insert events: %w", err)
		}
		committed, obs, refusals = o.events, o.obs, o.refusals
		return nil
	})
	if err == nil {
		e.counts.add(committed)
		e.meter.observe(obs, refusals)
	}
	return err
}

// txDeadline bounds a transaction by TxTimeout, unless NoTxDeadline.
func (e *Engine) txDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if e.cfg.NoTxDeadline {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, e.cfg.TxTimeout)
}

// record adds an audit event; its kind is "<entity>.<new state>".
func (o *op) record(ev store.NewEvent) {
	if ev.Actor == "" {
		ev.Actor = o.actor
	}
	o.events = append(o.events, ev)
}

// notFound turns store.ErrNotFound into a message naming what is missing.
func notFound(err error, format string, args ...any) error {
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ErrNotFound)
	}
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), err)
}
