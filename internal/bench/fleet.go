package bench

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/chaos"
)

// Fleet is what a server process spends on many workers that heartbeat.
type Fleet struct {
	Workers int `json:"workers"`
	// IdleCPU and CPU are the server's CPU use in cores, alone and with the
	// workers heartbeating; RSS its resident memory at the end, MaxRSS the
	// most seen.
	IdleCPU   float64 `json:"idle_cpu_cores"`
	CPU       float64 `json:"cpu_cores"`
	RSS       int64   `json:"rss_bytes"`
	MaxRSS    int64   `json:"max_rss_bytes"`
	Heartbeat Summary `json:"heartbeat"`
}

// fleet starts one `baton server` process on a fresh database and n
// simulated workers, each its own client and connection, that register
// and heartbeat at the interval the server asks (1s by default); it
// measures the server process alone for window, then with the workers.
func fleet(ctx context.Context, cfg Config, n int, window time.Duration) (*Fleet, error) {
	if cfg.Binary == "" {
		return nil, errors.New("fleet needs the baton binary (Config.Binary)")
	}
	db, err := newDatabase(ctx, cfg.Store, cfg.AdminDSN, filepath.Join(cfg.Dir, "fleet"))
	if err != nil {
		return nil, err
	}
	defer db.drop()
	c, err := chaos.Start(ctx, chaos.Config{Binary: cfg.Binary, Dir: filepath.Join(cfg.Dir, "fleet"), DSN: db.url(),
		PlainHTTP: cfg.PlainHTTP})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	pid := c.Servers()[0].PID()
	out := &Fleet{Workers: n}
	if out.IdleCPU, _, err = sampleProcess(ctx, pid, window); err != nil {
		return nil, err
	}
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	var mu sync.Mutex
	var beats []time.Duration
	var wg sync.WaitGroup
	errs := make(chan error, n)
	url := c.Servers()[0].URL()
	join, err := os.ReadFile(c.JoinTokenFile())
	if err != nil {
		return nil, err
	}
	tlsCfg, err := c.WorkerTLSConfig()
	if err != nil {
		return nil, err
	}
	for i := range n {
		wg.Go(func() {
			err := simulateWorker(ctx, url, string(join), tlsCfg, i, func(d time.Duration) {
				mu.Lock()
				beats = append(beats, d)
				mu.Unlock()
			})
			if err != nil && ctx.Err() == nil {
				errs <- err
			}
		})
	}
	// Let every worker register and settle into its rhythm first.
	if err := client.Wait(ctx, min(5*time.Second, window)); err != nil {
		return nil, err
	}
	mu.Lock()
	beats = beats[:0]
	mu.Unlock()
	out.CPU, out.MaxRSS, err = sampleProcess(ctx, pid, window)
	stop()
	wg.Wait()
	close(errs)
	if err != nil {
		return nil, err
	}
	if err := <-errs; err != nil {
		return nil, err
	}
	if out.RSS, err = rss(pid); err != nil {
		return nil, err
	}
	out.Heartbeat = summarize(beats)
	return out, nil
}

// simulateWorker registers a worker with no work and heartbeats until ctx
// ends, reporting each heartbeat's round trip.
func simulateWorker(ctx context.Context, url, join string, tlsCfg *tls.Config, i int, took func(time.Duration)) error {
	api, err := client.New([]string{url}, client.WithJoinToken(join), client.WithTLSConfig(tlsCfg))
	if err != nil {
		return err
	}
	reg, err := api.Register(ctx, client.RegisterRequest{Name: "sim-" + strconv.Itoa(i),
		Zone: string(rune('a' + i%3)), Capacity: 4})
	if err != nil {
		return fmt.Errorf("register: %w", err)
	}
	tick := time.NewTicker(reg.HeartbeatInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		t0 := time.Now()
		if _, err := api.Heartbeat(ctx, reg.Worker.ID, nil); err != nil {
			return fmt.Errorf("heartbeat of %s: %w", reg.Worker.ID, err)
		}
		took(time.Since(t0))
	}
}

// sampleProcess measures a process's CPU use (in cores) over window and
// the most resident memory it had, sampled each second.
func sampleProcess(ctx context.Context, pid int, window time.Duration) (cores float64, maxRSS int64, err error) {
	cpu0, err := cpuTime(pid)
	if err != nil {
		return 0, 0, err
	}
	began := time.Now()
	for time.Since(began) < window {
		if err := client.Wait(ctx, min(time.Second, window-time.Since(began))); err != nil {
			return 0, 0, err
		}
		r, err := rss(pid)
		if err != nil {
			return 0, 0, err
		}
		maxRSS = max(maxRSS, r)
	}
	cpu1, err := cpuTime(pid)
	if err != nil {
		return 0, 0, err
	}
	return (cpu1 - cpu0).Seconds() / time.Since(began).Seconds(), maxRSS, nil
}

// clockTick is the unit of /proc/PID/stat times (USER_HZ, 100 on Linux).
const clockTick = 10 * time.Millisecond

// cpuTime is the user and system CPU time a process used so far.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
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

// rss is a process's resident memory in bytes.
func rss(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("read rss: %w", err)
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("read rss: no VmRSS in /proc/%d/status", pid)
}
