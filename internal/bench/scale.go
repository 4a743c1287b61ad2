package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
)

// ScalePoint is the noop throughput with a number of worker agents.
type ScalePoint struct {
	Workers int `json:"workers"`
	Throughput
}

// scale measures noop throughput with each worker count of
// cfg.ScaleWorkers (1, 2, 4, 8 by default), each on a fresh database with
// a fresh server, for half the sustained duration: whether adding workers
// adds throughput or contention.
func scale(ctx context.Context, cfg Config) ([]ScalePoint, error) {
	var out []ScalePoint
	for _, n := range cfg.ScaleWorkers {
		t, err := scaleOnce(ctx, cfg, n)
		if err != nil {
			return nil, fmt.Errorf("%d workers: %w", n, err)
		}
		out = append(out, ScalePoint{Workers: n, Throughput: *t})
	}
	return out, nil
}

func scaleOnce(ctx context.Context, cfg Config, n int) (*Throughput, error) {
	c := cfg
	c.Dir = filepath.Join(cfg.Dir, "scale", strconv.Itoa(n))
	c.Workers, c.Duration = n, cfg.Duration/2
	db, err := newDatabase(ctx, c.Store, c.AdminDSN, c.Dir)
	if err != nil {
		return nil, err
	}
	defer db.drop()
	e, err := startEnv(ctx, db, c, n, c.Capacity)
	if err != nil {
		return nil, err
	}
	defer e.stop()
	return e.sustained(ctx, c, "bench-noop", nil)
}
