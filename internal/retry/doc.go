// Package retry decides whether a task attempt that did not succeed is
// followed by another, and after what wait. It is pure: it reads no clock
// and does no I/O. The caller passes the task's history (how the attempt
// ended, how many failed before, when, the current time and a seed) and
// records the Decision.
//
// # Deciding
//
//	attempt ended: failed, timed_out or lost
//	    │
//	    ├─ outcome not in Policy.RetryOn ──────────▶ give up
//	    ├─ lost ───────────────────────────────────▶ retry at once (the
//	    │                                             policy is not consumed)
//	    ▼ failed or timed_out: the strategy decides
//	none          ───────────────────────────────▶ give up
//	fixed         Failures < MaxAttempts ────────▶ retry after Delay
//	exponential   Failures < MaxAttempts ────────▶ retry after
//	                                                 min(Delay × Factor^(Failures−1), MaxDelay)
//	                                                 less up to Jitter of it
//	failure_rate  failures in [Now−Interval, Now]
//	                 ≤ MaxFailures ──────────────▶ retry after Delay
//	otherwise ───────────────────────────────────▶ give up, saying why
//
// Lost attempts (the worker vanished, so nobody knows how the command
// ended) are bounded by the engine, not here: it allows a task a few of
// them (max_lost) and never restarts a task that is not rerunnable. Next
// only says whether the policy lets a lost attempt be requeued at all.
//
// # Determinism
//
// The same Policy and History always give the same Decision, on every
// server and every version: jitter comes from SplitMix64 seeded with
// History.Seed, and the arithmetic avoids operations whose rounding may
// differ between platforms. A server that decides again (after a lost
// transaction, say) reaches the decision the first one reached.
package retry
