// Package pgmeter measures what a workload costs: the CPU time of the
// processes that drive it and of the PostgreSQL backends that serve them,
// the WAL it writes, and how many of its connections sit idle in a
// transaction (holding locks while the client works). Baton's bench and
// the peer benchmark of bench/peers measure themselves with it, so both
// sides of a comparison are counted the same way.
//
// A Meter follows one database: the backends are those pg_stat_activity
// lists for it (client backends and autovacuum workers), found by sampling
// every Config.Sample, their CPU read from /proc/PID/stat (PostgreSQL must
// run on the same host). A backend that exits between two samples loses
// the CPU it spent since the last one; PostgreSQL's shared processes (WAL
// writer, checkpointer) are not counted. WAL is the difference of
// pg_current_wal_lsn(), which is the whole server's: other databases'
// writes count too, so a Meter can first measure an idle interval
// (Config.Idle) and subtract its rate.
package pgmeter

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Config says what a Meter follows.
type Config struct {
	// DSN connects to the measured database; empty measures the processes
	// alone (SQLite, where the database lives in the process).
	DSN string
	// PIDs are the processes driving the workload (default: this process).
	PIDs []int
	// Sample is how often backends and their states are sampled (default
	// 100ms).
	Sample time.Duration
	// Idle, if set, is an interval measured before Start returns, with the
	// workload not yet running, whose WAL rate is subtracted.
	Idle time.Duration
}

// Cost is what a workload cost between Start and Stop.
type Cost struct {
	Tasks   int64  `json:"tasks"`
	Elapsed string `json:"elapsed"`
	// ProcessCPU is the CPU of the driving processes, DatabaseCPU that of
	// the backends serving them, per task in microseconds; CPUPerTask
	// their sum.
	ProcessCPU  float64 `json:"process_cpu_us_per_task"`
	DatabaseCPU float64 `json:"database_cpu_us_per_task,omitempty"`
	CPUPerTask  float64 `json:"cpu_us_per_task"`
	// CPUCores is the total CPU over the elapsed time, in cores.
	CPUCores float64 `json:"cpu_cores"`
	// WALPerTask is the WAL written per task, net of the idle rate
	// (WALIdleRate, bytes/s) when one was measured; WALBytes the raw
	// difference.
	WALBytes    int64   `json:"wal_bytes,omitempty"`
	WALPerTask  float64 `json:"wal_bytes_per_task,omitempty"`
	WALIdleRate float64 `json:"wal_idle_bytes_per_second,omitempty"`
	// IdleInTx is the mean number of the database's connections idle in a
	// transaction over the samples, IdleInTxMax the most seen at once.
	IdleInTx    float64 `json:"idle_in_transaction_mean"`
	IdleInTxMax int     `json:"idle_in_transaction_max"`
	// Backends is how many distinct backends served the workload;
	// Samples how many times they were sampled.
	Backends int `json:"backends,omitempty"`
	Samples  int `json:"samples"`
}

// Meter measures one workload; Start it before, Stop it after.
type Meter struct {
	cfg     Config
	conn    *pgx.Conn
	began   time.Time
	proc0   time.Duration
	lsn0    string
	idleWAL float64

	stop chan struct{}
	done chan struct{}

	mu       sync.Mutex
	err      error
	backends map[int]*backend
	samples  int
	idleSum  int
	idleMax  int
}

// backend is one PostgreSQL backend's CPU: when first seen and last read.
type backend struct{ first, last time.Duration }

// Start connects (when cfg.DSN is set), measures the idle interval, takes
// the first snapshot and samples in the background until Stop.
func Start(ctx context.Context, cfg Config) (*Meter, error) {
	cfg.Sample = cmp.Or(cfg.Sample, 100*time.Millisecond)
	if len(cfg.PIDs) == 0 {
		cfg.PIDs = []int{os.Getpid()}
	}
	m := &Meter{cfg: cfg, backends: map[int]*backend{}, stop: make(chan struct{}), done: make(chan struct{})}
	if cfg.DSN != "" {
		conn, err := pgx.Connect(ctx, cfg.DSN)
		if err != nil {
			return nil, fmt.Errorf("meter: connect: %w", err)
		}
		m.conn = conn
		if cfg.Idle > 0 {
			if err := m.measureIdle(ctx); err != nil {
				m.close()
				return nil, err
			}
		}
		if err := conn.QueryRow(ctx, "SELECT pg_current_wal_lsn()::text").Scan(&m.lsn0); err != nil {
			m.close()
			return nil, fmt.Errorf("meter: wal position: %w", err)
		}
		// The first snapshot: CPU spent before it is not the workload's.
		if err := m.sample(ctx, true); err != nil {
			m.close()
			return nil, err
		}
	}
	proc, err := processCPU(cfg.PIDs)
	if err != nil {
		m.close()
		return nil, err
	}
	m.proc0, m.began = proc, time.Now()
	go m.loop()
	return m, nil
}

// measureIdle measures the server's WAL rate with nothing of ours running.
func (m *Meter) measureIdle(ctx context.Context) error {
	var lsn string
	if err := m.conn.QueryRow(ctx, "SELECT pg_current_wal_lsn()::text").Scan(&lsn); err != nil {
		return fmt.Errorf("meter: wal position: %w", err)
	}
	t0 := time.Now()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(m.cfg.Idle):
	}
	var bytes int64
	if err := m.conn.QueryRow(ctx, "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::bigint", lsn).Scan(&bytes); err != nil {
		return fmt.Errorf("meter: wal since %s: %w", lsn, err)
	}
	m.idleWAL = float64(bytes) / time.Since(t0).Seconds()
	return nil
}

func (m *Meter) loop() {
	defer close(m.done)
	if m.conn == nil {
		return
	}
	t := time.NewTicker(m.cfg.Sample)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := m.sample(ctx, false)
		cancel()
		if err != nil {
			m.mu.Lock()
			m.err = err
			m.mu.Unlock()
			return
		}
	}
}

// sample lists the database's backends, reads their CPU and counts those
// idle in a transaction. The first sample sets each backend's starting
// point; a backend seen later started within the measurement, from zero.
func (m *Meter) sample(ctx context.Context, first bool) error {
	rows, err := m.conn.Query(ctx, `SELECT pid, coalesce(state, '') FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()`)
	if err != nil {
		return fmt.Errorf("meter: list backends: %w", err)
	}
	type seen struct {
		pid   int
		state string
	}
	var list []seen
	for rows.Next() {
		var s seen
		if err := rows.Scan(&s.pid, &s.state); err != nil {
			rows.Close()
			return fmt.Errorf("meter: list backends: %w", err)
		}
		list = append(list, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("meter: list backends: %w", err)
	}
	idle := 0
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range list {
		if strings.HasPrefix(s.state, "idle in transaction") {
			idle++
		}
		cpu, err := CPUTime(s.pid)
		if err != nil {
			continue // exited since the list, or not on this host
		}
		b := m.backends[s.pid]
		switch {
		case b == nil && first:
			m.backends[s.pid] = &backend{first: cpu, last: cpu}
		case b == nil:
			m.backends[s.pid] = &backend{last: cpu}
		case cpu >= b.last:
			b.last = cpu
		}
	}
	if !first {
		m.samples++
		m.idleSum += idle
		m.idleMax = max(m.idleMax, idle)
	}
	return nil
}

// Stop ends the measurement of tasks done since Start and reports it.
func (m *Meter) Stop(ctx context.Context, tasks int64) (*Cost, error) {
	close(m.stop)
	<-m.done
	defer m.close()
	m.mu.Lock()
	err := m.err
	m.mu.Unlock()
	if err != nil {
		return nil, err
	}
	elapsed := time.Since(m.began)
	proc, err := processCPU(m.cfg.PIDs)
	if err != nil {
		return nil, err
	}
	c := &Cost{Tasks: tasks, Elapsed: elapsed.Round(time.Millisecond).String()}
	var db time.Duration
	if m.conn != nil {
		if err := m.sample(ctx, false); err != nil {
			return nil, err
		}
		if err := m.conn.QueryRow(ctx, "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::bigint",
			m.lsn0).Scan(&c.WALBytes); err != nil {
			return nil, fmt.Errorf("meter: wal since %s: %w", m.lsn0, err)
		}
		for _, b := range m.backends {
			db += b.last - b.first
		}
		c.Backends, c.Samples, c.IdleInTxMax = len(m.backends), m.samples, m.idleMax
		if m.samples > 0 {
			c.IdleInTx = float64(m.idleSum) / float64(m.samples)
		}
		c.WALIdleRate = m.idleWAL
	}
	c.CPUCores = (proc - m.proc0 + db).Seconds() / elapsed.Seconds()
	if tasks > 0 {
		per := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(tasks) }
		c.ProcessCPU, c.DatabaseCPU = per(proc-m.proc0), per(db)
		c.CPUPerTask = c.ProcessCPU + c.DatabaseCPU
		if m.conn != nil {
			net := float64(c.WALBytes) - m.idleWAL*elapsed.Seconds()
			c.WALPerTask = max(net, 0) / float64(tasks)
		}
	}
	return c, nil
}

func (m *Meter) close() {
	if m.conn != nil {
		_ = m.conn.Close(context.Background())
	}
}

// processCPU is the CPU time the processes used so far, together.
func processCPU(pids []int) (time.Duration, error) {
	var sum time.Duration
	for _, pid := range pids {
		d, err := CPUTime(pid)
		if err != nil {
			return 0, err
		}
		sum += d
	}
	return sum, nil
}

// clockTick is the unit of /proc/PID/stat times (USER_HZ, 100 on Linux).
const clockTick = 10 * time.Millisecond

// CPUTime is the user and system CPU time a process has used so far.
func CPUTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, fmt.Errorf("read cpu time: %w", err)
	}
	// Fields after the command (which may hold spaces) start at state.
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(fields) < 13 {
		return 0, fmt.Errorf("read cpu time: short /proc/%d/stat", pid)
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("read cpu time: %w", err)
	}
	return time.Duration(utime+stime) * clockTick, nil
}
