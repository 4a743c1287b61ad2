package server

import (
	"context"
	"log/slog"

	"github.com/baton-sched/baton/internal/engine"
)

// zoneMonitor records zone health changes (zone.down, zone.degraded,
// zone.up events) on the server that holds the loops' leader lease. Any
// server could do it safely; the lease only keeps the others from
// computing the same thing.
type zoneMonitor struct {
	loop
	engine  *engine.Engine
	elector *Elector
	log     *slog.Logger
}

func (m *zoneMonitor) runOnce(ctx context.Context) []engine.ZoneChange {
	if !m.elector.Leading() {
		return nil
	}
	changes, err := m.engine.RecordZoneHealth(ctx)
	if err != nil && ctx.Err() == nil {
		m.log.Warn("record zone health", "err", err)
	}
	for _, c := range changes {
		level := slog.LevelInfo
		if c.NewState != engine.ZoneHealthy {
			level = slog.LevelWarn
		}
		m.log.Log(ctx, level, "zone health changed", "zone", c.Zone, "from", c.OldState, "to", c.NewState)
	}
	return changes
}
