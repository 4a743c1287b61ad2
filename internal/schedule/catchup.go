package schedule

import (
	"fmt"
	"math"
	"time"
)

// Catchup says what happens to due times that were missed, because every
// server was down or the schedule loop ran late. The names are Temporal's.
type Catchup string

// Catch-up policies; Plan gives their exact meaning.
const (
	// CatchupNone fires only the due times that are on time (at most the
	// window late) and skips the rest.
	CatchupNone Catchup = "none"
	// CatchupLatest fires the most recent due time, however late, and skips
	// the older ones. It is the default.
	CatchupLatest Catchup = "latest"
	// CatchupAll fires every missed due time within the window (all of them
	// when the window is 0), oldest first.
	CatchupAll Catchup = "all"
)

// DefaultCatchup is the policy of a schedule that names none.
const DefaultCatchup = CatchupLatest

// ParseCatchup reads a catch-up policy; the empty string is DefaultCatchup.
func ParseCatchup(s string) (Catchup, error) {
	switch c := Catchup(s); c {
	case "":
		return DefaultCatchup, nil
	case CatchupNone, CatchupLatest, CatchupAll:
		return c, nil
	}
	return "", fmt.Errorf("catchup: unknown policy %q (use none, latest or all)", s)
}

// Limits of one Plan call.
const (
	// MaxFire is the most due times one Plan fires; when more are due,
	// Firing.Next is the first not fired, at or before now, and the caller
	// calls Plan again.
	MaxFire = 1000
	// MaxSkipped is the most skipped due times Firing.Skipped lists; the
	// others are only counted, in Firing.SkippedMore.
	MaxSkipped = 100
)

// Firing is what Plan decided.
type Firing struct {
	// Fire lists the due times to fire now, oldest first.
	Fire []time.Time
	// Skipped lists the first MaxSkipped due times that will never fire,
	// oldest first, and SkippedMore counts the others.
	Skipped     []time.Time
	SkippedMore int
	// Next is the due time to store as the schedule's next one: the first
	// after now, or the first not fired when MaxFire cut the list short
	// (then at or before now). It is zero when the schedule has ended.
	Next time.Time
}

// Plan decides, at now, about the due times from next (the stored next due
// time, possibly long past after an outage) to now, both included. next is
// taken as due whatever s says, since it was stored as such; a zero next
// means the schedule has ended and gives an empty Firing. Each due time in
// [next, now] is either fired or skipped:
//
//   - CatchupNone fires the due times at most window before now (window is
//     the grace a loop needs to notice a due time, e.g. its interval; with
//     0 only a due time equal to now fires) and skips the older ones;
//   - CatchupLatest fires the last due time at or before now, however late,
//     and skips the others; it ignores window;
//   - CatchupAll fires the due times at most window before now, or all of
//     them when window is 0, and skips the older ones.
//
// At most MaxFire are fired per call; see Firing.Next. Plan costs time
// proportional to the days skipped, never to the skipped due times.
func Plan(s *Schedule, policy Catchup, window time.Duration, next, now time.Time) Firing {
	if next.IsZero() {
		return Firing{}
	}
	if next.After(now) {
		return Firing{Next: next}
	}
	var f Firing
	// Due times at or after cut fire, older ones are skipped.
	var cut time.Time
	switch policy {
	case CatchupLatest:
		cut = s.last(next, now)
		if cut.IsZero() {
			cut = next
		}
	case CatchupAll:
		if window <= 0 {
			cut = next
			break
		}
		fallthrough
	default: // CatchupNone, and any unknown policy, fire only on time
		cut = now.Add(-max(window, 0))
	}
	if next.Before(cut) {
		f.skip(s, next, cut)
	}
	first := next
	if first.Before(cut) {
		first = s.Next(cut.Add(-time.Nanosecond))
	}
	t := first
	for ; !t.IsZero() && !t.After(now) && len(f.Fire) < MaxFire; t = s.Next(t) {
		f.Fire = append(f.Fire, t)
	}
	if !t.IsZero() && !t.After(now) {
		f.Next = t // MaxFire reached: the caller calls again
	} else {
		f.Next = s.Next(now)
	}
	return f
}

// skip records next and the due times after it, before cut, as skipped.
func (f *Firing) skip(s *Schedule, next, cut time.Time) {
	f.Skipped = append(f.Skipped, next)
	t := next
	for len(f.Skipped) < MaxSkipped {
		t = s.Next(t)
		if t.IsZero() || !t.Before(cut) {
			return
		}
		f.Skipped = append(f.Skipped, t)
	}
	// Count the rest: due times in (t, cut).
	f.SkippedMore = int(min(s.count(t, cut.Add(-time.Nanosecond)), int64(math.MaxInt)))
}
