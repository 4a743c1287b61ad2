// Package postgres implements store.Store on PostgreSQL with pgx, for
// clusters of servers sharing one database. Transactions run at READ
// COMMITTED with guarded updates and SKIP LOCKED claims; wake-ups travel
// between servers by LISTEN/NOTIFY.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/migrations"
	db "github.com/baton-sched/baton/internal/store/pgdb"
)

// workChannel is the NOTIFY channel that announces claimable work.
const workChannel = "baton_work"

// Config configures a Store.
type Config struct {
	// DSN is a libpq connection string or URL.
	DSN string
	// MaxConns bounds the connection pool (default DefaultMaxConns, or
	// pool_max_conns of the DSN).
	MaxConns int32
	// NoTimeouts leaves the sessions without the statement, lock and
	// idle-in-transaction timeouts, for measuring what they cost (config
	// measurement.deadlines: false); never for production.
	NoTimeouts bool
	Logger     *slog.Logger
}

// DefaultMaxConns is the pool size unless set: claims, reports, starts and
// the loops each hold a connection for one short transaction, and a few
// more than the cores keep them from queueing behind a slow commit.
const DefaultMaxConns = 16

// Deadlines of every connection, unless the DSN sets them: a statement
// or a lock wait past them fails (and its transaction with it) instead of
// holding a connection and its locks for as long as a slow link or
// another server's transaction lasts.
const (
	DefaultStatementTimeout = 30 * time.Second
	DefaultLockTimeout      = 10 * time.Second
	// An idle-in-transaction session is ended by the database, so that a
	// server cut off mid-transaction releases its locks.
	DefaultIdleInTxTimeout = 30 * time.Second
	connectTimeout         = 5 * time.Second
	healthCheckPeriod      = 5 * time.Second
)

// bound gives the pool deadlines at every level: connecting, TCP
// keepalives that find a dead peer in about 10 s (the default is minutes),
// pool health checks, and (with timeouts) statement, lock and
// idle-in-transaction timeouts as session settings.
func bound(pcfg *pgxpool.Config, dsn string, timeouts bool) {
	cc := pcfg.ConnConfig
	if !strings.Contains(dsn, "connect_timeout") {
		cc.ConnectTimeout = connectTimeout
	}
	d := &net.Dialer{Timeout: cc.ConnectTimeout, KeepAliveConfig: net.KeepAliveConfig{
		Enable: true, Idle: 5 * time.Second, Interval: 2 * time.Second, Count: 3}}
	cc.DialFunc = d.DialContext
	if !strings.Contains(dsn, "pool_health_check_period") {
		pcfg.HealthCheckPeriod = healthCheckPeriod
	}
	if !timeouts {
		return
	}
	for key, v := range map[string]time.Duration{"statement_timeout": DefaultStatementTimeout,
		"lock_timeout": DefaultLockTimeout, "idle_in_transaction_session_timeout": DefaultIdleInTxTimeout} {
		if _, set := cc.RuntimeParams[key]; !set {
			cc.RuntimeParams[key] = strconv.FormatInt(v.Milliseconds(), 10)
		}
	}
}

// Store is a store.Store on a PostgreSQL database.
type Store struct {
	pool   *pgxpool.Pool
	dsn    string
	log    *slog.Logger
	signal store.Signal
	// id names this store in the work notifications it sends, so that
	// its listener skips them: their commit already fired the signal.
	id     string
	echoes atomic.Uint64 // own notifications heard back and skipped
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Open connects, migrates (under an advisory lock, so servers may start
// together) and starts listening for wake-ups.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	pcfg, err := pgxpool.ParseConfig(cfg.DSN)
	if err != nil {
		return nil, fmt.Errorf("parse postgres dsn: %w", err)
	}
	switch {
	case cfg.MaxConns > 0:
		pcfg.MaxConns = cfg.MaxConns
	case !strings.Contains(cfg.DSN, "pool_max_conns"):
		pcfg.MaxConns = DefaultMaxConns
	}
	bound(pcfg, cfg.DSN, !cfg.NoTimeouts)
	pcfg.AfterConnect = columns
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("connect postgres: %w", err)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Store{pool: pool, dsn: cfg.DSN, log: log, id: strconv.FormatUint(rand.Uint64(), 36)}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	lctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.wg.Add(1)
	go s.listen(lctx)
	return s, nil
}

func (s *Store) migrate(ctx context.Context) error {
	// Migrations may rewrite large tables and wait for the advisory lock:
	// their own connections, without statement or lock timeouts.
	cc := s.pool.Config().ConnConfig.Copy()
	cc.RuntimeParams["statement_timeout"], cc.RuntimeParams["lock_timeout"] = "0", "0"
	cc.RuntimeParams["idle_in_transaction_session_timeout"] = "0"
	sqlDB := stdlib.OpenDB(*cc)
	defer sqlDB.Close()
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, migrations.Postgres(),
		goose.WithSessionLocker(locker), goose.WithAllowOutofOrder(true))
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// Dialect implements store.Store.
func (s *Store) Dialect() string { return "postgres" }

// Vacuum implements store.Store. Claimed tasks and finished attempts leave
// dead entries in the queue's partial indexes; autovacuum visits a
// database at most once a minute by default, far too seldom for a queue
// that turns over thousands of rows a second.
func (s *Store) Vacuum(ctx context.Context) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("vacuum: %w", err)
	}
	defer conn.Release()
	// A vacuum of large tables may outlast statement_timeout; the caller's
	// context bounds it instead.
	if _, err := conn.Exec(ctx, "SET statement_timeout = 0"); err != nil {
		return fmt.Errorf("vacuum: %w", err)
	}
	_, err = conn.Exec(ctx, "VACUUM (SKIP_LOCKED) tasks, ended_attempts, runs, workers")
	if _, rerr := conn.Exec(context.WithoutCancel(ctx), "RESET statement_timeout"); rerr != nil {
		conn.Conn().Close(context.WithoutCancel(ctx)) //nolint:errcheck // a connection in doubt is not reused
	}
	if err != nil {
		return fmt.Errorf("vacuum: %w", err)
	}
	return nil
}

// Pool exposes the connection pool to tests and benchmarks.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// WorkSignal implements store.Store.
func (s *Store) WorkSignal() <-chan struct{} { return s.signal.C() }

// Close implements store.Store.
func (s *Store) Close() error {
	if s.cancel != nil {
		s.cancel()
		s.wg.Wait()
	}
	s.pool.Close()
	return nil
}

// maxTxTries bounds how often InTx reruns a transaction that hit a
// transient conflict.
const maxTxTries = 10

// InTx implements store.Store. Deadlocks, serialization failures and errors
// that provably happened before anything reached the server rerun fn.
func (s *Store) InTx(ctx context.Context, fn func(store.Tx) error) error {
	for try := 1; ; try++ {
		err := s.tryTx(ctx, fn)
		if err == nil || try == maxTxTries || !transient(err) {
			return err
		}
		wait := time.Duration(try*try)*5*time.Millisecond + time.Duration(rand.Int64N(int64(5*time.Millisecond)))
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(wait):
		}
	}
}

func (s *Store) tryTx(ctx context.Context, fn func(store.Tx) error) error {
	pgTx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer pgTx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // no-op after commit
	t := &tx{q: db.New(pgTx)}
	if err := fn(t); err != nil {
		return err
	}
	if t.notify {
		if _, err := pgTx.Exec(ctx, "SELECT pg_notify($1, $2)", workChannel, s.id); err != nil {
			return fmt.Errorf("notify: %w", err)
		}
	}
	if err := pgTx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	if t.notify {
		s.signal.Fire()
	}
	return nil
}

// Read implements store.Store. Reads use the pool directly: at READ
// COMMITTED a transaction would not give them a common snapshot anyway.
func (s *Store) Read(ctx context.Context, fn func(store.Tx) error) error {
	return fn(&tx{q: db.New(s.pool)})
}

// transient reports whether rerunning the transaction may succeed.
func transient(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "40001" || pe.Code == "40P01"
	}
	return pgconn.SafeToRetry(err)
}

// mapErr maps Postgres errors to the store's sentinel errors.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrNotFound
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return fmt.Errorf("%w: %w", store.ErrConflict, err)
	}
	return err
}

// PoolStats reports the use of the connection pool.
func (s *Store) PoolStats() []store.PoolStats {
	st := s.pool.Stat()
	return []store.PoolStats{{Name: "main", Max: int64(st.MaxConns()), InUse: int64(st.AcquiredConns()),
		Idle: int64(st.IdleConns()), Waits: st.EmptyAcquireCount(), Wait: st.EmptyAcquireWaitTime()}}
}
