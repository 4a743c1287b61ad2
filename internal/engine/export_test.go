package engine

import "context"

// EnterGate takes a permit of the write gate as a claim, report or start
// does, for tests that saturate it.
func (e *Engine) EnterGate(ctx context.Context) (context.Context, func(), error) {
	return e.enter(ctx, GateClaim)
}

// OnClaimLocked makes f run inside every claim's transaction once its
// candidates are locked, for tests of claims at once.
func (e *Engine) OnClaimLocked(f func()) { e.claimLocked = f }
