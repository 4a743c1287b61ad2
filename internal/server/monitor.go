package server

import (
	"context"
	"log/slog"
	"time"

	"github.com/baton-sched/baton/internal/engine"
)

// Work of the server that holds the loops' leader lease. Any server could
// do it safely; the lease only keeps the others from doing it too.

// leaderOnly runs fn when this server leads.
func leaderOnly(el *Elector, fn func(ctx context.Context)) func(ctx context.Context) {
	return func(ctx context.Context) {
		if el.Leading() {
			fn(ctx)
		}
	}
}

// recordZoneHealth records zone health changes (zone.down, zone.degraded,
// zone.up events) and logs them.
func (s *Server) recordZoneHealth(ctx context.Context) {
	changes, err := s.engine.RecordZoneHealth(ctx)
	if err != nil && ctx.Err() == nil {
		s.log.Warn("record zone health", "err", err)
	}
	for _, c := range changes {
		level := slog.LevelInfo
		if c.NewState != engine.ZoneHealthy {
			level = slog.LevelWarn
		}
		s.log.Log(ctx, level, "zone health changed", "zone", c.Zone, "from", c.OldState, "to", c.NewState)
	}
}

// vacuum reclaims the dead rows of the hot tables (see store.Store.Vacuum).
func (s *Server) vacuum(ctx context.Context) {
	vctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if err := s.engine.Store().Vacuum(vctx); err != nil && ctx.Err() == nil {
		s.log.Warn("vacuum", "err", err)
	}
}
