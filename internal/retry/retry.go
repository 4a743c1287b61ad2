// Package retry decides whether a failed task attempt is followed by another
// and after what delay. It is pure: no clock, no I/O; callers pass the
// history the decision needs.
package retry

import "time"

// Strategies.
const (
	None  = "none"
	Fixed = "fixed"
)

// Policy is a task's retry policy.
type Policy struct {
	Strategy    string
	MaxAttempts int           // attempts in all, the first included
	Delay       time.Duration // wait before the next attempt
}

// Decision is what happens after a failed attempt.
type Decision struct {
	Retry bool
	Delay time.Duration
}

// Next decides after the failed attempt number n (1-based; lost attempts are
// not counted, they follow their own bound).
func (p Policy) Next(n int) Decision {
	switch p.Strategy {
	case Fixed:
		if n < p.MaxAttempts {
			return Decision{Retry: true, Delay: p.Delay}
		}
	}
	return Decision{}
}
