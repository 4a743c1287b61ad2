package server

import (
	"context"
	"time"
)

// Sub-workflow starts: every server takes ready sub-workflow tasks (rows
// others are taking are skipped), at once when work becomes ready and
// at least every second in case a wake-up was missed.
const (
	subWorkflowBatch = 100
	subWorkflowPause = 20 * time.Millisecond // between rounds, so that wake-ups do not spin
)

// startSubWorkflows starts the child runs of ready sub-workflow tasks,
// then, when there were none, waits for work to become ready.
func (s *Server) startSubWorkflows(ctx context.Context) {
	signal := s.engine.Store().WorkSignal()
	n, err := s.engine.StartSubWorkflows(ctx, subWorkflowBatch)
	if err != nil && ctx.Err() == nil {
		s.log.Warn("sub-workflows", "err", err)
	}
	if n > 0 {
		return
	}
	select {
	case <-signal:
	case <-time.After(time.Second):
	case <-ctx.Done():
	}
}
