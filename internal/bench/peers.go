package bench

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The same-run comparison with a peer: River (bench/peers, its own module
// and binary, so that baton never links it) and Baton's noop scenario run
// in turn, River first, each round on fresh databases, and each round's
// ratio Baton / River is reported with the median of the rounds. Running
// them interleaved in one run puts both under the same machine load.

// PeersConfig says how to compare.
type PeersConfig struct {
	// River is the river-bench binary (built from bench/peers).
	River string
	// AdminDSN is the PostgreSQL server both create their databases on.
	AdminDSN string
	// Rounds of River then Baton (default 3); Duration of each
	// measurement (default 60s), Window its reporting period (default 5s).
	Rounds   int
	Duration time.Duration
	Window   time.Duration
	// Dir holds Baton's worker directories.
	Dir string
	// Workers, Capacity and PoolSize are Baton's, as Config's.
	Workers  int
	Capacity float64
	PoolSize int32
	Logger   *slog.Logger
	// Progress receives a line as each measurement starts and ends.
	Progress func(format string, args ...any)
}

// Comparison is what Compare measured.
type Comparison struct {
	Machine      Machine     `json:"machine"`
	Started      time.Time   `json:"started"`
	Duration     string      `json:"duration"`
	RiverVersion string      `json:"river_version"`
	Rounds       []PeerRound `json:"rounds"`
	// Medians over the rounds: throughput (tasks or jobs/s), CPU and WAL
	// per task, connections idle in transaction; Ratio is the median of
	// the rounds' ratios Baton / River.
	River PeerMedians `json:"river"`
	Baton PeerMedians `json:"baton"`
	Ratio float64     `json:"median_ratio"`
}

// PeerRound is one round: River, then Baton.
type PeerRound struct {
	River *Throughput `json:"river"`
	Baton *Throughput `json:"baton"`
	// Ratio is Baton's throughput over River's.
	Ratio float64 `json:"ratio"`
	// Load is the machine's one-minute load average after the round.
	Load float64 `json:"load_average"`
}

// PeerMedians are one system's medians over the rounds.
type PeerMedians struct {
	PerSecond      float64 `json:"per_second"`
	MinWindowRatio float64 `json:"min_window_ratio"`
	CPUPerTask     float64 `json:"cpu_us_per_task"`
	ProcessCPU     float64 `json:"process_cpu_us_per_task"`
	DatabaseCPU    float64 `json:"database_cpu_us_per_task"`
	WALPerTask     float64 `json:"wal_bytes_per_task"`
	IdleInTx       float64 `json:"idle_in_transaction_mean"`
}

// Compare runs the rounds.
func Compare(ctx context.Context, cfg PeersConfig) (*Comparison, error) {
	cfg.Rounds = cmp.Or(cfg.Rounds, 3)
	cfg.Duration = cmp.Or(cfg.Duration, 60*time.Second)
	cfg.Window = cmp.Or(cfg.Window, 5*time.Second)
	if cfg.Progress == nil {
		cfg.Progress = func(string, ...any) {}
	}
	if cfg.River == "" {
		return nil, errors.New("compare: no river-bench binary (build it from bench/peers)")
	}
	host, _ := os.Hostname()
	c := &Comparison{Started: time.Now(),
		Machine: Machine{CPUs: runtime.NumCPU(), OS: runtime.GOOS + "/" + runtime.GOARCH, Go: runtime.Version(), Host: host}}
	for i := range cfg.Rounds {
		cfg.Progress("round %d of %d: river...", i+1, cfg.Rounds)
		river, version, err := runRiver(ctx, cfg, filepath.Join(cfg.Dir, "river-"+strconv.Itoa(i)+".json"))
		if err != nil {
			return nil, fmt.Errorf("round %d: river: %w", i+1, err)
		}
		c.RiverVersion = version
		cfg.Progress("round %d of %d: river %s/s; baton...", i+1, cfg.Rounds, count(int64(river.PerSecond)))
		r, err := Run(ctx, Config{Store: "postgres", AdminDSN: cfg.AdminDSN, Dir: filepath.Join(cfg.Dir, "baton-"+strconv.Itoa(i)),
			Duration: cfg.Duration, Window: cfg.Window, Workers: cfg.Workers, Capacity: cfg.Capacity, PoolSize: cfg.PoolSize,
			Only: []string{"noop"}, Logger: cfg.Logger})
		if err != nil {
			return nil, fmt.Errorf("round %d: baton: %w", i+1, err)
		}
		round := PeerRound{River: river, Baton: r.Noop, Load: loadAverage()}
		if river.PerSecond > 0 {
			round.Ratio = r.Noop.PerSecond / river.PerSecond
		}
		cfg.Progress("round %d of %d: baton %s/s, ratio %.2f", i+1, cfg.Rounds, count(int64(r.Noop.PerSecond)), round.Ratio)
		c.Rounds = append(c.Rounds, round)
	}
	c.River = medians(c.Rounds, func(r PeerRound) *Throughput { return r.River })
	c.Baton = medians(c.Rounds, func(r PeerRound) *Throughput { return r.Baton })
	c.Ratio = median(c.Rounds, func(r PeerRound) float64 { return r.Ratio })
	c.Duration = time.Since(c.Started).Round(time.Second).String()
	return c, nil
}

// runRiver runs river-bench once and reads the JSON it wrote.
func runRiver(ctx context.Context, cfg PeersConfig, out string) (*Throughput, string, error) {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return nil, "", err
	}
	idle := min(2*time.Second, cfg.Duration/10)
	cmd := exec.CommandContext(ctx, cfg.River, "--postgres", cfg.AdminDSN, "--duration", cfg.Duration.String(),
		"--window", cfg.Window.String(), "--idle", idle.String(), "--json", out)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		return nil, "", fmt.Errorf("%s: %w: %s", cfg.River, err, strings.TrimSpace(stderr.String()))
	}
	data, err := os.ReadFile(out)
	if err != nil {
		return nil, "", err
	}
	var t struct {
		Throughput
		Version string `json:"version"`
	}
	if err := json.Unmarshal(data, &t); err != nil {
		return nil, "", fmt.Errorf("read %s: %w", out, err)
	}
	if t.Cost == nil || len(t.Windows) == 0 {
		return nil, "", fmt.Errorf("read %s: no windows or cost measured", out)
	}
	return &t.Throughput, t.Version, nil
}

func medians(rounds []PeerRound, get func(PeerRound) *Throughput) PeerMedians {
	of := func(f func(t *Throughput) float64) float64 {
		return median(rounds, func(r PeerRound) float64 { return f(get(r)) })
	}
	return PeerMedians{
		PerSecond:      of(func(t *Throughput) float64 { return t.PerSecond }),
		MinWindowRatio: of(func(t *Throughput) float64 { return t.MinWindowRatio }),
		CPUPerTask:     of(func(t *Throughput) float64 { return t.Cost.CPUPerTask }),
		ProcessCPU:     of(func(t *Throughput) float64 { return t.Cost.ProcessCPU }),
		DatabaseCPU:    of(func(t *Throughput) float64 { return t.Cost.DatabaseCPU }),
		WALPerTask:     of(func(t *Throughput) float64 { return t.Cost.WALPerTask }),
		IdleInTx:       of(func(t *Throughput) float64 { return t.Cost.IdleInTx }),
	}
}

// median of f over the rounds (the mean of the middle two for an even
// count).
func median(rounds []PeerRound, f func(PeerRound) float64) float64 {
	if len(rounds) == 0 {
		return 0
	}
	xs := make([]float64, len(rounds))
	for i, r := range rounds {
		xs[i] = f(r)
	}
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// loadAverage is the machine's one-minute load average (0 if unknown).
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f, _ := strconv.ParseFloat(strings.Fields(string(b) + " 0")[0], 64)
	return f
}
