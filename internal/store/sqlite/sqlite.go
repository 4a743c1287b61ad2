// Package sqlite implements store.Store on an embedded SQLite database
// (modernc.org/sqlite, pure Go) for single-node use. Writes go through one
// connection with BEGIN IMMEDIATE, so transactions never interleave; reads use
// a separate pool and see committed data through WAL.
package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pressly/goose/v3"
	sqlite3 "modernc.org/sqlite"
	sqlite3lib "modernc.org/sqlite/lib"

	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/migrations"
	db "github.com/baton-sched/baton/internal/store/sqlitedb"
)

// Store is a store.Store on one SQLite file.
type Store struct {
	write, read *sql.DB
	// wq and rq hold every query prepared on write and read: the driver
	// would otherwise parse the SQL on every call, which costs more than
	// running it (batch operations run one small statement per row).
	wq, rq *db.Queries
	signal store.Signal
	// lock holds the file's exclusive flock (Lock) until Close.
	lock *os.File
}

var registerOnce sync.Once

// registerClock installs baton_now(): the embedded database shares the
// process clock, so the database time is this process's wall clock.
func registerClock() {
	registerOnce.Do(func() {
		err := sqlite3.RegisterScalarFunction("baton_now", 0,
			func(*sqlite3.FunctionContext, []driver.Value) (driver.Value, error) {
				return time.Now().UnixMilli(), nil
			})
		if err != nil {
			panic(fmt.Sprintf("register baton_now: %v", err)) // only fails on a bad name
		}
	})
}

// Options tune how the database file is opened; the zero value is the
// default: every commit durable, a write waits 5 s at most for the lock.
type Options struct {
	// Synchronous is SQLite's synchronous mode: "FULL" (the default) syncs
	// the write-ahead log at every commit, so a transition the server
	// acknowledged survives a power loss; "NORMAL" syncs only at
	// checkpoints and may roll back the last commits on power loss.
	Synchronous string
	// BusyTimeout bounds how long a statement waits for a lock held by
	// another connection before failing with "database is locked"
	// (default 5 s).
	BusyTimeout time.Duration
}

// DefaultBusyTimeout is how long a statement waits for the database lock.
const DefaultBusyTimeout = 5 * time.Second

// Open opens (creating if needed) the database file at path with the
// default options and migrates it.
func Open(ctx context.Context, path string) (*Store, error) {
	return OpenWith(ctx, path, Options{})
}

// OpenWith opens (creating if needed) the database file at path and
// migrates it. The file, and the -wal and -shm files beside it, are
// readable by their owner only (0600): they hold every definition,
// parameter and log. The store holds the file's lock (Lock) until Close:
// while it is open another process cannot open it as a store (ErrInUse).
func OpenWith(ctx context.Context, path string, o Options) (*Store, error) {
	registerClock()
	syncMode := strings.ToUpper(cmp.Or(o.Synchronous, "FULL"))
	if syncMode != "FULL" && syncMode != "NORMAL" {
		return nil, fmt.Errorf("open sqlite %s: synchronous %q: want FULL or NORMAL", path, o.Synchronous)
	}
	busy := cmp.Or(o.BusyTimeout, DefaultBusyTimeout)
	if err := ownerOnly(path); err != nil {
		return nil, err
	}
	lock, err := Lock(path)
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	dsn := func(extra string) string {
		return "file:" + url.PathEscape(path) + "?_pragma=busy_timeout(" + strconv.FormatInt(busy.Milliseconds(), 10) + ")" +
			"&_pragma=journal_mode(WAL)&_pragma=synchronous(" + syncMode + ")&_pragma=foreign_keys(ON)" + extra
	}
	write, err := sql.Open("sqlite", dsn("&_txlock=immediate"))
	if err != nil {
		_ = lock.Close() // the open failed: nothing to keep locked
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)
	read, err := sql.Open("sqlite", dsn(""))
	if err != nil {
		write.Close()
		_ = lock.Close() // the open failed: nothing to keep locked
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	read.SetMaxOpenConns(4)
	s := &Store{write: write, read: read, lock: lock}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	for _, side := range []string{path + "-wal", path + "-shm"} {
		if err := os.Chmod(side, 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.Close()
			return nil, fmt.Errorf("open sqlite %s: %w", path, err)
		}
	}
	if s.wq, err = db.Prepare(ctx, write); err == nil {
		s.rq, err = db.Prepare(ctx, read)
	}
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("prepare queries: %w", err)
	}
	return s, nil
}

// ownerOnly creates the file at path if it is missing, and makes it
// readable and writable by its owner only. SQLite creates the -wal and
// -shm files with the mode of the database file.
func ownerOnly(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open sqlite %s: %w", path, err)
	}
	if err := errors.Join(f.Chmod(0o600), f.Close()); err != nil {
		return fmt.Errorf("open sqlite %s: %w", path, err)
	}
	return nil
}

func (s *Store) migrate(ctx context.Context) error {
	p, err := goose.NewProvider(goose.DialectSQLite3, s.write, migrations.SQLite(),
		// 00009 was numbered before 00010 but released after it.
		goose.WithAllowOutofOrder(true))
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// DB exposes the write connection to tests and benchmarks that write
// bulk fixtures; its statements wait for the store's transactions.
func (s *Store) DB() *sql.DB { return s.write }

// Dialect implements store.Store.
func (s *Store) Dialect() string { return "sqlite" }

// Vacuum implements store.Store: SQLite reuses freed pages by itself.
func (s *Store) Vacuum(context.Context) error { return nil }

// WorkSignal implements store.Store.
func (s *Store) WorkSignal() <-chan struct{} { return s.signal.C() }

// Close implements store.Store.
func (s *Store) Close() error {
	var errs []error
	for _, q := range []*db.Queries{s.wq, s.rq} {
		if q != nil {
			errs = append(errs, q.Close())
		}
	}
	errs = append(errs, s.read.Close(), s.write.Close())
	// The lock goes last, once SQLite has closed the file: closing the
	// lock's descriptor before would drop SQLite's fcntl locks with it.
	if s.lock != nil {
		errs = append(errs, s.lock.Close())
	}
	return errors.Join(errs...)
}

// InTx implements store.Store. The single write connection serializes
// transactions, so fn runs once.
func (s *Store) InTx(ctx context.Context, fn func(store.Tx) error) error {
	sqlTx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", mapErr(err))
	}
	t := &tx{q: s.wq.WithTx(sqlTx)}
	if err := fn(t); err != nil {
		return errors.Join(err, rollback(sqlTx))
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", mapErr(err))
	}
	if t.notify {
		s.signal.Fire()
	}
	return nil
}

func rollback(t *sql.Tx) error {
	if err := t.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
		return fmt.Errorf("rollback: %w", err)
	}
	return nil
}

// Read implements store.Store.
func (s *Store) Read(ctx context.Context, fn func(store.Tx) error) error {
	return fn(&tx{q: s.rq})
}

// mapErr maps SQLite errors to the store's sentinel errors.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	var se *sqlite3.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3lib.SQLITE_CONSTRAINT_UNIQUE, sqlite3lib.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w: %w", store.ErrConflict, err)
		}
	}
	return err
}

// PoolStats reports the use of the writing and the reading connections.
func (s *Store) PoolStats() []store.PoolStats {
	out := make([]store.PoolStats, 0, 2)
	for _, p := range []struct {
		name string
		db   *sql.DB
	}{{"write", s.write}, {"read", s.read}} {
		st := p.db.Stats()
		out = append(out, store.PoolStats{Name: p.name, Max: int64(st.MaxOpenConnections), InUse: int64(st.InUse),
			Idle: int64(st.Idle), Waits: st.WaitCount, Wait: st.WaitDuration})
	}
	return out
}
