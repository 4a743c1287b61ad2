package server

import (
	"context"
	"net/http"
	"time"

	"github.com/baton-sched/baton/internal/egress"
	"github.com/baton-sched/baton/internal/engine"
)

// Wait tasks (sensors): every server checks the due waits
// (engine.CheckWaits) every waitCheckPause, a batch per transaction, until
// fewer than a batch are due. Rows another server is checking are skipped,
// so servers share the work; a wait's interval, not this pause, sets how
// often its condition is checked. Starting wait tasks is the server-run
// kinds loop's (subworkflows.go).
const waitCheckPause = 250 * time.Millisecond

// newWaiter returns the loop that checks waits; HTTP conditions go through
// policy.
func (s *Server) newWaiter(policy *egress.Policy) *loop {
	client := policy.Client()
	return &loop{interval: waitCheckPause, run: func(ctx context.Context) { s.checkWaits(ctx, client) }}
}

func (s *Server) checkWaits(ctx context.Context, client *http.Client) {
	for ctx.Err() == nil {
		res, err := s.engine.CheckWaits(ctx, engine.WaitCheck{HTTPClient: client})
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("check waits", "err", err)
			}
			return
		}
		if res.Due < engine.DefaultWaitBatch {
			return
		}
	}
}
