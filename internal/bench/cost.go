package bench

import (
	"context"
	"time"

	"github.com/baton-sched/baton/internal/bench/pgmeter"
)

// meter starts measuring what the next sustained run costs: this process
// (server, workers and producers) and, on PostgreSQL, the backends of the
// bench database, after an idle interval whose WAL rate is subtracted (a
// tenth of the duration, at most 2s).
func (e *env) meter(ctx context.Context, cfg Config) (*pgmeter.Meter, error) {
	mc := pgmeter.Config{}
	if e.db.dialect == "postgres" {
		mc.DSN, mc.Idle = e.db.dsn, min(2*time.Second, cfg.Duration/10)
	}
	return pgmeter.Start(ctx, mc)
}
