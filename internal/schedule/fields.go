package schedule

import (
	"math/bits"
	"time"
)

// fields is a parsed cron expression: one bit per allowed value. It works on
// civil times, wall clocks written as UTC times so that every day has 24
// hours; the zone rules are applied elsewhere (next.go).
type fields struct {
	second, minute uint64 // bits 0-59
	hour           uint64 // bits 0-23
	dom            uint64 // bits 1-31
	month          uint64 // bits 1-12
	dow            uint64 // bits 0-6, Sunday = 0
	// domStar and dowStar record a day field starting with * or ?: as in
	// cron, the day matches when both fields do if either starts so, and
	// when either does otherwise.
	domStar, dowStar bool
	// allHours records an hour field whose range is the whole day (*, */2,
	// 0-23/3, 0/6): it fires in both copies of a repeated hour.
	allHours bool
}

// daysIn is the longest length of each month (February in a leap year).
var daysIn = [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

// someDayExists reports whether some month of the month field has a day of
// the day-of-month field. Weekdays need no check: every date falls on each
// weekday in some year.
func (f *fields) someDayExists() bool {
	for m := 1; m <= 12; m++ {
		if f.month&(1<<m) != 0 && f.dom&(1<<(daysIn[m]+1)-1) != 0 {
			return true
		}
	}
	return false
}

// dayMatches applies the day-of-month and day-of-week fields to the civil
// date of t.
func (f *fields) dayMatches(t time.Time) bool {
	dom := f.dom&(1<<t.Day()) != 0
	dow := f.dow&(1<<int(t.Weekday())) != 0
	if f.domStar || f.dowStar {
		return dom && dow
	}
	return dom || dow
}

// matches reports whether the civil time c is due, ignoring fractions of a
// second.
func (f *fields) matches(c time.Time) bool {
	h, m, s := c.Clock()
	return f.month&(1<<int(c.Month())) != 0 && f.dayMatches(c) &&
		f.hour&(1<<h) != 0 && f.minute&(1<<m) != 0 && f.second&(1<<s) != 0 && c.Nanosecond() == 0
}

// nextBit returns the lowest set bit of b at or above from.
func nextBit(b uint64, from int) (int, bool) {
	if from > 63 || b>>from == 0 {
		return 0, false
	}
	return from + bits.TrailingZeros64(b>>from), true
}

// next returns the first civil time at or after c that matches, provided it
// is before limit.
func (f *fields) next(c, limit time.Time) (time.Time, bool) {
	c = ceilSecond(c)
	for c.Before(limit) {
		y, mo, d := c.Date()
		h, mi, s := c.Clock()
		switch {
		case f.month&(1<<int(mo)) == 0:
			if n, ok := nextBit(f.month, int(mo)); ok {
				c = time.Date(y, time.Month(n), 1, 0, 0, 0, 0, time.UTC)
			} else {
				c = time.Date(y+1, 1, 1, 0, 0, 0, 0, time.UTC)
			}
		case !f.dayMatches(c):
			c = time.Date(y, mo, d+1, 0, 0, 0, 0, time.UTC)
		case f.hour&(1<<h) == 0:
			if n, ok := nextBit(f.hour, h); ok {
				c = time.Date(y, mo, d, n, 0, 0, 0, time.UTC)
			} else {
				c = time.Date(y, mo, d+1, 0, 0, 0, 0, time.UTC)
			}
		case f.minute&(1<<mi) == 0:
			if n, ok := nextBit(f.minute, mi); ok {
				c = time.Date(y, mo, d, h, n, 0, 0, time.UTC)
			} else {
				c = time.Date(y, mo, d, h+1, 0, 0, 0, time.UTC)
			}
		case f.second&(1<<s) == 0:
			if n, ok := nextBit(f.second, s); ok {
				c = time.Date(y, mo, d, h, mi, n, 0, time.UTC)
			} else {
				c = time.Date(y, mo, d, h, mi+1, 0, 0, time.UTC)
			}
		default:
			return c, true
		}
	}
	return time.Time{}, false
}

// count returns the number of matching civil times in [lo, hi). It walks
// the days, not the matches, so a long range costs no more than its days.
func (f *fields) count(lo, hi time.Time) int64 {
	lo, hi = ceilSecond(lo), ceilSecond(hi)
	if !lo.Before(hi) {
		return 0
	}
	var n int64
	y, m, d := lo.Date()
	for day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC); day.Before(hi); {
		if f.month&(1<<int(day.Month())) == 0 {
			day = time.Date(day.Year(), day.Month()+1, 1, 0, 0, 0, 0, time.UTC)
			continue
		}
		next := day.AddDate(0, 0, 1)
		if f.dayMatches(day) {
			from, to := int64(0), int64(86400)
			if lo.After(day) {
				from = int64(lo.Sub(day) / time.Second)
			}
			if hi.Before(next) {
				to = int64(hi.Sub(day) / time.Second)
			}
			n += f.countClock(to) - f.countClock(from)
		}
		day = next
	}
	return n
}

// countClock returns the number of matching times of day before z seconds
// after midnight, 0 <= z <= 86400.
func (f *fields) countClock(z int64) int64 {
	h, m, s := int(z/3600), int(z%3600/60), int(z%60)
	perMinute := int64(bits.OnesCount64(f.second))
	perHour := int64(bits.OnesCount64(f.minute)) * perMinute
	n := int64(bits.OnesCount64(f.hour&below(h))) * perHour
	if h < 24 && f.hour&(1<<h) != 0 {
		n += int64(bits.OnesCount64(f.minute&below(m))) * perMinute
		if f.minute&(1<<m) != 0 {
			n += int64(bits.OnesCount64(f.second & below(s)))
		}
	}
	return n
}

// below returns the bits under bit k.
func below(k int) uint64 { return 1<<k - 1 }

// ceilSecond rounds t up to a whole second.
func ceilSecond(t time.Time) time.Time {
	if t.Nanosecond() == 0 {
		return t
	}
	return t.Truncate(time.Second).Add(time.Second)
}
