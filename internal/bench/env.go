package bench

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/auth"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/server"
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/postgres"
	"github.com/baton-sched/baton/internal/store/sqlite"
	"github.com/baton-sched/baton/internal/worker"
)

// database is a fresh database the bench owns and removes.
type database struct {
	dialect string
	dsn     string // postgres: the database's DSN; sqlite: the file
	drop    func()
}

// url names the database as `baton server --database` takes it.
func (d *database) url() string {
	if d.dialect == "sqlite" {
		return "sqlite:" + d.dsn
	}
	return d.dsn
}

// newDatabase creates a fresh database: on Postgres a new database on the
// admin DSN's server, on SQLite a new file in dir.
func newDatabase(ctx context.Context, dialect, adminDSN, dir string) (*database, error) {
	if dialect == "sqlite" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		return &database{dialect: dialect, dsn: filepath.Join(dir, "bench.db"), drop: func() {}}, nil
	}
	conn, err := pgx.Connect(ctx, adminDSN)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", redact(adminDSN), err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := "baton_bench_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return nil, fmt.Errorf("create database %s: %w", name, err)
	}
	cfg, err := pgx.ParseConfig(adminDSN)
	if err != nil {
		return nil, err
	}
	dsn := fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", cfg.User, cfg.Host, cfg.Port, name)
	if cfg.Password != "" {
		dsn = fmt.Sprintf("postgres://%s:%s@%s:%d/%s?sslmode=disable", cfg.User, cfg.Password, cfg.Host, cfg.Port, name)
	}
	drop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, adminDSN); err == nil {
			_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			c.Close(ctx)
		}
	}
	return &database{dialect: dialect, dsn: dsn, drop: drop}, nil
}

// redact hides a password in a DSN for messages.
func redact(dsn string) string {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return "the admin database"
	}
	return fmt.Sprintf("%s@%s:%d/%s", cfg.User, cfg.Host, cfg.Port, cfg.Database)
}

// env is Baton running in this process on a database: a server on a
// loopback port (or several, each with its own engine, as separate server
// processes would be) and worker agents speaking HTTP to them.
type env struct {
	stopOnce sync.Once
	db       *database
	store    store.Store
	engine   *engine.Engine // the first server's
	server   *server.Server // the first server, which api talks to
	// more are the further servers (Config.servers) and their engines.
	more        []*server.Server
	moreEngines []*engine.Engine
	api         *client.Client
	url         string      // the first server's
	admin       string      // the admin token api uses
	tls         *tls.Config // how clients verify the server; nil over HTTP
	// history is the range of runs the history scenario stored (0s
	// until then).
	historyFirst, historyLast int64
	workers                   []*worker.Agent
	tracer                    *tracer  // the workers' stages of dispatch, while on
	zones                     []string // of the workers, each once
}

// openStore opens db as the bench's server does.
func openStore(ctx context.Context, db *database, cfg Config) (store.Store, error) {
	if db.dialect == "sqlite" {
		return sqlite.OpenWith(ctx, db.dsn, sqlite.Options{Synchronous: cfg.SQLiteSynchronous})
	}
	return postgres.Open(ctx, postgres.Config{DSN: db.dsn, MaxConns: cfg.PoolSize, NoTimeouts: cfg.noDeadlines,
		Logger: cfg.Logger})
}

// startEnv opens the store and starts the server and n workers of
// capacity cu each (noop tasks take 1 CU).
func startEnv(ctx context.Context, db *database, cfg Config, n int, cu float64) (*env, error) {
	st, err := openStore(ctx, db, cfg)
	if err != nil {
		return nil, err
	}
	e := &env{db: db, store: st, tracer: &tracer{}}
	// The bench's own load generators start up to MaxStartBatch runs a
	// request, as they always have.
	ecfg := engine.Config{Logger: cfg.Logger, NoTxDeadline: cfg.noDeadlines,
		Limits: engine.Limits{MaxRunsPerBatch: engine.MaxStartBatch}}
	e.engine = engine.New(st, ecfg)
	sec, err := newSecurity(cfg)
	if err != nil {
		st.Close()
		return nil, err
	}
	// The history scenario runs retention itself, when it measures it:
	// the server's own loop is off.
	// Each server gets its own copy of the TLS config, as a server process
	// has: serving HTTPS sets HTTP/2 up in the config it is given.
	e.server = server.New(e.engine, server.Config{Addr: "127.0.0.1:0", Logger: cfg.Logger, TLS: sec.server.Clone(),
		Retention: server.RetentionConfig{Interval: -1}})
	if err := e.server.Start(ctx); err != nil {
		st.Close()
		return nil, err
	}
	url := sec.scheme + "://" + e.server.Addr()
	urls := []string{url}
	for range cfg.servers - 1 {
		eng := engine.New(st, ecfg)
		s := server.New(eng, server.Config{Addr: "127.0.0.1:0", Logger: cfg.Logger, TLS: sec.server.Clone(),
			Retention: server.RetentionConfig{Interval: -1}})
		if err := s.Start(ctx); err != nil {
			e.stop()
			return nil, err
		}
		e.more, e.moreEngines = append(e.more, s), append(e.moreEngines, eng)
		urls = append(urls, sec.scheme+"://"+s.Addr())
	}
	admin, err := server.IssueToken(ctx, st, "bench-admin", auth.RoleAdmin)
	var join string
	if err == nil {
		join, err = server.IssueToken(ctx, st, "bench-workers", auth.RoleWorker)
	}
	if err != nil {
		e.stop()
		return nil, err
	}
	e.url, e.admin, e.tls = url, admin, sec.client
	if e.api, err = client.New([]string{url}, client.WithToken(admin), client.WithTLSConfig(sec.client)); err != nil {
		e.stop()
		return nil, err
	}
	for i := range n {
		zone := string(rune('a' + i%3))
		if i < 3 {
			e.zones = append(e.zones, zone)
		}
		a, err := worker.New(worker.Config{
			Servers: urls, TLS: sec.worker, Token: join, Name: "bench-" + strconv.Itoa(i), Zone: zone, NoHedge: cfg.noHedge,
			Capacity: cu, MaxTasks: int(min(cu, 1000)), WorkDir: filepath.Join(cfg.Dir, "work", strconv.Itoa(i)),
			Shim: cfg.Shim, Logger: quiet(cfg.Logger), Trace: e.tracer.trace,
		})
		if err == nil {
			err = a.Start(ctx)
		}
		if err != nil {
			e.stop()
			return nil, err
		}
		e.workers = append(e.workers, a)
	}
	if err := e.waitWorkers(ctx, n); err != nil {
		e.stop()
		return nil, err
	}
	if _, err := e.api.Apply(ctx, workflows()); err != nil {
		e.stop()
		return nil, fmt.Errorf("apply the bench workflows: %w", err)
	}
	return e, nil
}

// quiet keeps a logger's warnings, not its info lines: workers log every
// attempt.
func quiet(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(levelHandler{Handler: l.Handler(), min: slog.LevelWarn})
}

type levelHandler struct {
	slog.Handler
	min slog.Level
}

func (h levelHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

// waitWorkers waits until n workers registered.
func (e *env) waitWorkers(ctx context.Context, n int) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		ws, err := e.api.Workers(ctx, false)
		if err == nil && len(ws) >= n {
			return nil
		}
		if err := client.Wait(ctx, 20*time.Millisecond); err != nil {
			return fmt.Errorf("workers did not register: %w", err)
		}
	}
}

// finished counts the runs that ended (succeeded or failed) through any
// of the environment's servers: a worker reports to the server it prefers,
// so with several servers a run may end through any of them, and each
// engine counts only the events it committed.
func (e *env) finished() int64 {
	var n int64
	for _, eng := range append([]*engine.Engine{e.engine}, e.moreEngines...) {
		n += eng.Count("run.succeeded") + eng.Count("run.failed")
	}
	return n
}

// authCost is the time every server of the environment spent checking
// credentials.
func (e *env) authCost() time.Duration {
	var d time.Duration
	for _, s := range append([]*server.Server{e.server}, e.more...) {
		_, spent := s.AuthCost()
		d += spent
	}
	return d
}

// stop stops the workers, the server and the store; safe twice.
func (e *env) stop() {
	e.stopOnce.Do(func() {
		for _, w := range e.workers {
			w.Stop()
		}
		for _, s := range e.more {
			s.Stop()
		}
		if e.server != nil {
			e.server.Stop()
		}
		e.store.Close()
	})
}
