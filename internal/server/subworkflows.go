package server

import (
	"context"
	"time"

	"github.com/baton-sched/baton/internal/engine"
)

// Server-run tasks (sub-workflows first: engine.ServerKinds): every server
// takes ready tasks of each such kind (rows others are taking are
// skipped), at once when work becomes ready and at least every second in
// case a wake-up was missed. The loop keeps its first name, subworkflows,
// in the metrics.
const (
	subWorkflowBatch = 100
	subWorkflowPause = 20 * time.Millisecond // between rounds, so that wake-ups do not spin
)

// startSubWorkflows starts ready tasks of every server-run kind (child
// runs of sub-workflow tasks), then, when there were none, waits for work
// to become ready.
func (s *Server) startSubWorkflows(ctx context.Context) {
	signal := s.engine.Store().WorkSignal()
	total := 0
	for _, kind := range engine.ServerKinds() {
		n, err := s.engine.StartServerTasks(ctx, kind, subWorkflowBatch)
		if err != nil && ctx.Err() == nil {
			s.log.Warn("server-run tasks", "kind", kind, "err", err)
		}
		total += n
	}
	if total > 0 {
		return
	}
	select {
	case <-signal:
	case <-time.After(time.Second):
	case <-ctx.Done():
	}
}
