package engine

import "context"

// EnterGate takes a permit of the write gate as a claim, report or start
// does, for tests that saturate it.
func (e *Engine) EnterGate(ctx context.Context) (context.Context, func(), error) {
	return e.enter(ctx, GateClaim)
}
