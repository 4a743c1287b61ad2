package retry

import (
	"cmp"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"
	"time"

	"github.com/baton-sched/baton/client/vocab"
)

// Strategies, as workflow definitions name them.
const (
	// None never retries: the first failure fails the task.
	None = "none"
	// Fixed retries after Policy.Delay until Policy.MaxAttempts attempts
	// failed.
	Fixed = "fixed"
	// Exponential retries until Policy.MaxAttempts attempts failed,
	// waiting Policy.Delay after the first failure and Policy.Factor times
	// longer after each further one, up to Policy.MaxDelay, less a random
	// part of at most Policy.Jitter of the wait.
	Exponential = "exponential"
	// FailureRate retries after Policy.Delay for as long as at most
	// Policy.MaxFailures failures happened within the last Policy.Interval
	// (Flink's failure-rate restart strategy).
	FailureRate = "failure_rate"
)

// Outcomes of an attempt that did not succeed.
const (
	// Failed: the command exited non-zero, or could not be run.
	Failed = vocab.AttemptFailed
	// TimedOut: the attempt ran past its timeout and was killed.
	TimedOut = vocab.AttemptTimedOut
	// Lost: the worker running the attempt was lost, so how the command
	// ended is unknown.
	Lost = vocab.AttemptLost
)

// Outcomes returns every outcome, in the order definitions list them. A
// Policy with no RetryOn retries all of them.
func Outcomes() []string { return []string{Failed, TimedOut, Lost} }

// DefaultFactor is Exponential's growth factor when Policy.Factor is 0.
const DefaultFactor = 2

// Policy is a task's retry policy. Each strategy reads only its own fields
// (see the constants); the workflow package checks that a definition sets
// exactly those. Negative durations count as zero.
type Policy struct {
	// Strategy is None, Fixed, Exponential or FailureRate; "" means None.
	// An unknown strategy never retries.
	Strategy string
	// MaxAttempts bounds Fixed and Exponential: the number of failed
	// attempts, the first included, after which the task fails. Lost
	// attempts are not counted. 1 (or less) never retries.
	MaxAttempts int
	// Delay is the wait before the next attempt: every time for Fixed and
	// FailureRate, after the first failure for Exponential.
	Delay time.Duration
	// Factor multiplies Exponential's wait after each further failure;
	// 0 (or anything not above 0) means DefaultFactor.
	Factor float64
	// MaxDelay caps Exponential's wait (before jitter); 0 means no cap.
	MaxDelay time.Duration
	// Jitter is the fraction of each Exponential wait that is random: a
	// wait w becomes w − r, r drawn from [0, Jitter×w) by History.Seed and
	// History.Failures. 0 keeps waits exact; values outside [0, 1] are
	// taken as the nearest bound.
	Jitter float64
	// MaxFailures is how many failures FailureRate tolerates within
	// Interval; one more and the task fails.
	MaxFailures int
	// Interval is the length of FailureRate's sliding window.
	Interval time.Duration
	// RetryOn lists the outcomes (Failed, TimedOut, Lost) that may be
	// retried; any other fails the task at once. Empty means all three.
	RetryOn []string
}

// History is what Next needs to know about a task's attempts. The caller
// reads it from its records; Next reads nothing else.
type History struct {
	// Outcome is how the attempt being decided ended: Failed, TimedOut or
	// Lost. "" means Failed.
	Outcome string
	// Failures counts the task's attempts that ended failed or timed out,
	// the one being decided included. Lost attempts, and attempts stopped
	// to move the task, are not counted. Fixed and Exponential read it;
	// anything below 1 counts as 1.
	Failures int
	// FailureTimes holds when each of those failures happened, the one
	// being decided included, in any order. FailureRate reads it, with
	// Now; the failure being decided is always counted, so the count is
	// at least 1.
	FailureTimes []time.Time
	// Now is the time of the decision, normally when the attempt ended.
	// FailureRate counts the failures in [Now − Interval, Now]; failures
	// stamped after Now (clocks of servers differ a little) count too.
	Now time.Time
	// Seed draws Exponential's jitter: the same Seed and Failures give the
	// same wait. Pass something fixed for the task, such as its id, so
	// that every server computes the same wait and tasks failing together
	// do not retry together.
	Seed uint64
}

// Decision is what happens after an attempt that did not succeed.
type Decision struct {
	// Retry is true if the task gets another attempt.
	Retry bool
	// Delay is the wait before that attempt; 0 means at once. It is 0
	// when Retry is false.
	Delay time.Duration
	// Reason says why the task gets no other attempt, e.g. "3 attempts
	// failed (max_attempts 3)", "5 failures in 10m (max_failures 4)" or
	// "timed_out is not in retry_on". It is empty when Retry is true.
	Reason string
}

// Next decides what follows the attempt described by h:
//
//   - An outcome not in RetryOn gives up ("<outcome> is not in retry_on").
//   - Lost retries at once, whatever the strategy, and consumes nothing:
//     lost attempts are not failures. (The engine bounds them itself.)
//   - Failed and TimedOut are up to the strategy: None gives up ("retry is
//     none"); Fixed retries after Delay while Failures < MaxAttempts;
//     Exponential retries while Failures < MaxAttempts, after
//     min(Delay × Factor^(Failures−1), MaxDelay) less its jitter;
//     FailureRate retries after Delay while the failures in
//     [Now − Interval, Now] are at most MaxFailures. When the bound is
//     reached Reason says which it was.
func (p Policy) Next(h History) Decision {
	outcome := cmp.Or(h.Outcome, Failed)
	if !p.retriesOn(outcome) {
		return giveUp("%s is not in retry_on", outcome)
	}
	if outcome == Lost {
		return Decision{Retry: true}
	}
	n := max(h.Failures, 1)
	switch cmp.Or(p.Strategy, None) {
	case None:
		return giveUp("retry is none")
	case Fixed:
		if n < p.MaxAttempts {
			return Decision{Retry: true, Delay: max(p.Delay, 0)}
		}
		return p.attemptsSpent(n)
	case Exponential:
		if n < p.MaxAttempts {
			return Decision{Retry: true, Delay: p.jitter(p.backoff(n), n, h.Seed)}
		}
		return p.attemptsSpent(n)
	case FailureRate:
		if k := p.failuresInWindow(h); k > p.MaxFailures {
			return giveUp("%d %s in %s (max_failures %d)", k, plural(k, "failure"), formatDuration(p.Interval), p.MaxFailures)
		}
		return Decision{Retry: true, Delay: max(p.Delay, 0)}
	default:
		return giveUp("unknown retry strategy %q", p.Strategy)
	}
}

func giveUp(format string, args ...any) Decision {
	return Decision{Reason: fmt.Sprintf(format, args...)}
}

// retriesOn reports whether outcome is in RetryOn (all outcomes if empty).
func (p Policy) retriesOn(outcome string) bool {
	if len(p.RetryOn) == 0 {
		return slices.Contains(Outcomes(), outcome)
	}
	return slices.Contains(p.RetryOn, outcome)
}

func (p Policy) attemptsSpent(n int) Decision {
	return giveUp("%d %s failed (max_attempts %d)", n, plural(n, "attempt"), p.MaxAttempts)
}

// backoff is Exponential's wait after the nth failure, before jitter:
// Delay × Factor^(n−1), capped by MaxDelay and by the longest Duration.
func (p Policy) backoff(n int) time.Duration {
	if p.Delay <= 0 {
		return 0
	}
	factor := p.Factor
	if !(factor > 0) { // 0, negative or NaN
		factor = DefaultFactor
	}
	limit := time.Duration(math.MaxInt64)
	if p.MaxDelay > 0 {
		limit = p.MaxDelay
	}
	w := float64(float64(p.Delay) * pow(factor, n-1))
	// float64(limit) may round up past limit; the last min settles it.
	if !(w < float64(limit)) { // too long, +Inf or NaN
		return limit
	}
	return min(time.Duration(w), limit)
}

// pow returns x^k for k >= 0 by repeated squaring. Unlike math.Pow it uses
// nothing but multiplications, each rounded on its own (the conversions
// forbid fused operations), so every platform gets the same bits.
func pow(x float64, k int) float64 {
	r := 1.0
	for ; k > 0; k >>= 1 {
		if k&1 == 1 {
			r = float64(r * x)
		}
		x = float64(x * x)
	}
	return r
}

// jitter takes a random part of at most Jitter of w off w, drawn from the
// nth number of SplitMix64 seeded with seed. Integer arithmetic keeps it
// the same everywhere.
func (p Policy) jitter(w time.Duration, n int, seed uint64) time.Duration {
	j := min(p.Jitter, 1)
	if !(j > 0) || w <= 0 {
		return w
	}
	span := min(uint64(float64(w)*j), uint64(w))
	off, _ := bits.Mul64(span, splitMix64(seed, n)) // in [0, span)
	return w - time.Duration(off)
}

// splitMix64 returns the nth output of the SplitMix64 generator started at
// seed (Steele, Lea and Flood, 2014).
func splitMix64(seed uint64, n int) uint64 {
	z := seed + uint64(n)*0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// failuresInWindow counts the failures in [Now − Interval, Now], later ones
// included, and at least the one being decided.
func (p Policy) failuresInWindow(h History) int {
	from := h.Now.Add(-max(p.Interval, 0))
	k := 0
	for _, t := range h.FailureTimes {
		if !t.Before(from) {
			k++
		}
	}
	return max(k, 1)
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// formatDuration writes d without zero trailing units: "10m", "1h", "1h30m",
// "1m30s".
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
