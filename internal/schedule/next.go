package schedule

import (
	"math/big"
	"time"
)

// searchYears bounds the search for a due time. Parse rejects expressions
// that never match; the rarest that remain (29 February on given weekdays)
// recur within 40 years.
const searchYears = 50

// Next returns the first due time strictly after after, in the schedule's
// location, or the zero time when there is none: after End, or (for an
// expression due less than once in 50 years) none within 50 years. See the
// package documentation for the daylight-saving rules.
func (s *Schedule) Next(after time.Time) time.Time {
	if start := s.spec.Start; !start.IsZero() && after.Before(start) {
		after = start.Add(-time.Nanosecond) // Start itself may be due
	}
	if end := s.spec.End; !end.IsZero() && !after.Before(end) {
		return time.Time{}
	}
	var t time.Time
	if s.every > 0 {
		t = s.nextEvery(after)
	} else {
		t = s.nextCron(after)
	}
	if t.IsZero() || !s.spec.End.IsZero() && t.After(s.spec.End) {
		return time.Time{}
	}
	return t.In(s.loc)
}

// Between returns the due times t with from < t <= to, oldest first, at
// most limit of them (none when limit <= 0).
func (s *Schedule) Between(from, to time.Time, limit int) []time.Time {
	var out []time.Time
	for t := s.Next(from); len(out) < limit && !t.IsZero() && !t.After(to); t = s.Next(t) {
		out = append(out, t)
	}
	return out
}

// count returns the number of due times t with a < t <= b, in time
// proportional to the days between them, not to the due times.
func (s *Schedule) count(a, b time.Time) int64 {
	if start := s.spec.Start; !start.IsZero() && a.Before(start) {
		a = start.Add(-time.Nanosecond)
	}
	if end := s.spec.End; !end.IsZero() && b.After(end) {
		b = end
	}
	if !a.Before(b) {
		return 0
	}
	if s.every > 0 {
		n := s.index(b)
		n.Sub(n, s.index(a))
		if !n.IsInt64() {
			return 1<<63 - 1
		}
		return n.Int64()
	}
	return s.countCron(a, b)
}

// last returns the last due time t with a < t <= b, or the zero time when
// there is none. It bisects on Next, which is monotonic.
func (s *Schedule) last(a, b time.Time) time.Time {
	if t := s.Next(a); t.IsZero() || t.After(b) {
		return time.Time{}
	}
	lo, hi := a, b // Next(lo) <= b < Next(hi), or Next(hi) is zero
	for hi.Sub(lo) > time.Nanosecond {
		mid := lo.Add(hi.Sub(lo) / 2)
		if t := s.Next(mid); !t.IsZero() && !t.After(b) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return s.Next(lo)
}

// segment is a stretch of time with one UTC offset in the schedule's zone.
// Within it, instants and civil times (wall clocks written as UTC times)
// map one to one: civil = instant + offset.
type segment struct {
	start, end time.Time // zero start: since ever; zero end: for ever
	off, prev  int       // offset in the segment and just before it, seconds east of UTC
}

// segmentAt returns the segment holding t.
func (s *Schedule) segmentAt(t time.Time) segment {
	t = t.In(s.loc)
	_, off := t.Zone()
	start, end := t.ZoneBounds()
	if !end.IsZero() && !end.After(t) {
		// Past a zone's last listed transition Go computes the end of a
		// leap year as 365 days after its start, a day early, so that on
		// 31 December (UTC) end is at or before t (golang/go#81583). The
		// offset holds until the real end of the year.
		end = end.Add(24 * time.Hour)
	}
	if start.After(t) {
		start = time.Time{}
	}
	prev := off
	if !start.IsZero() {
		_, prev = start.Add(-time.Nanosecond).Zone()
	}
	return segment{start: start, end: end, off: off, prev: prev}
}

// civil returns the wall clock of instant t at offset off.
func civil(t time.Time, off int) time.Time {
	return t.UTC().Add(time.Duration(off) * time.Second)
}

// instant returns the instant whose wall clock at offset off is c.
func instant(c time.Time, off int) time.Time {
	return c.Add(-time.Duration(off) * time.Second)
}

// gap returns the civil times [lo, hi) the clocks skipped when the segment
// began (spring forward); lo == hi when they skipped none.
func (g segment) gap() (lo, hi time.Time) {
	if g.start.IsZero() || g.off <= g.prev {
		return time.Time{}, time.Time{}
	}
	return civil(g.start, g.prev), civil(g.start, g.off)
}

// first returns the first civil time of the segment that may be due. After
// clocks fell back, a schedule with fixed hours skips the repeated times:
// it was due in their first copy.
func (g segment) first(allHours bool) time.Time {
	if !g.start.IsZero() && g.off < g.prev && !allHours {
		return civil(g.start, g.prev)
	}
	return civil(g.start, g.off)
}

// lowerBound returns the first civil time of the segment that may be due
// after after, when the walk entered the segment at t: a segment may
// reach back before t when Go splits a zone period at a year's end.
func (g segment) lowerBound(allHours bool, t, after time.Time) time.Time {
	from := g.first(allHours)
	if c := civil(t, g.off); c.After(from) {
		from = c
	}
	if c := civil(after, g.off).Add(time.Nanosecond); c.After(from) {
		from = c
	}
	return from
}

// gapDue reports whether a civil time the clocks skipped when g began is
// due; it fires at the first instant after the gap, g.start.
func (f *fields) gapDue(g segment) bool {
	lo, hi := g.gap()
	_, ok := f.next(lo, hi)
	return ok
}

// nextCron returns the first due time of a cron schedule after after,
// walking the zone's segments from the one holding after.
func (s *Schedule) nextCron(after time.Time) time.Time {
	f := s.cron
	horizon := after.AddDate(searchYears, 0, 0)
	if end := s.spec.End; !end.IsZero() && end.Before(horizon) {
		horizon = end.Add(time.Nanosecond) // End itself may be due
	}
	for t := after; !t.After(horizon); {
		g := s.segmentAt(t)
		if t.After(after) && g.start.Equal(t) && f.gapDue(g) {
			return t
		}
		from := g.lowerBound(f.allHours, t, after)
		limit := civil(horizon, g.off)
		if !g.end.IsZero() && g.end.Before(horizon) {
			limit = civil(g.end, g.off)
		}
		if c, ok := f.next(from, limit); ok {
			return instant(c, g.off)
		}
		if g.end.IsZero() || !g.end.After(t) {
			break
		}
		t = g.end
	}
	return time.Time{}
}

// countCron counts the due times t with a < t <= b of a cron schedule, by
// the same rules as nextCron.
func (s *Schedule) countCron(a, b time.Time) int64 {
	f := s.cron
	var n int64
	for t := a; ; {
		g := s.segmentAt(t)
		if t.After(a) && g.start.Equal(t) && !t.After(b) && f.gapDue(g) && !f.matches(civil(t, g.off)) {
			n++ // the gap's firing, unless the segment's first time is due anyway
		}
		from := g.lowerBound(f.allHours, t, a)
		to := civil(b, g.off).Add(time.Nanosecond)
		last := g.end.IsZero() || g.end.After(b) || !g.end.After(t)
		if !last {
			to = civil(g.end, g.off)
		}
		n += f.count(from, to)
		if last {
			return n
		}
		t = g.end
	}
}

var epoch = time.Unix(0, 0)

// anchor returns the instant the grid of @every starts from.
func (s *Schedule) anchor() time.Time {
	if !s.spec.Start.IsZero() {
		return s.spec.Start
	}
	return epoch
}

// nanos returns t as nanoseconds since the Unix epoch, without overflow.
func nanos(t time.Time) *big.Int {
	n := big.NewInt(t.Unix())
	n.Mul(n, big.NewInt(1e9))
	return n.Add(n, big.NewInt(int64(t.Nanosecond())))
}

// index returns floor((t - anchor) / every): the grid point at or before t.
func (s *Schedule) index(t time.Time) *big.Int {
	n := nanos(t)
	n.Sub(n, nanos(s.anchor()))
	return n.Div(n, big.NewInt(int64(s.every))) // Euclidean: floor for a positive divisor
}

// nextEvery returns the first grid point of @every after after.
func (s *Schedule) nextEvery(after time.Time) time.Time {
	k := s.index(after)
	k.Add(k, big.NewInt(1))
	n := k.Mul(k, big.NewInt(int64(s.every)))
	n.Add(n, nanos(s.anchor()))
	sec, ns := n.DivMod(n, big.NewInt(1e9), new(big.Int))
	if !sec.IsInt64() || sec.Int64() > 1<<62 || sec.Int64() < -(1<<62) {
		return time.Time{}
	}
	return time.Unix(sec.Int64(), ns.Int64())
}
