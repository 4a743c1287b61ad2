package schedule

import (
	"errors"
	"testing"
	"time"
)

// fuzzZones are the zones FuzzSchedule picks from: with and without
// daylight saving, 30-minute shifts, midnight transitions (São Paulo until
// 2019), a skipped day (Apia, 2011) and one that does not exist.
var fuzzZones = []string{
	"", "UTC", "America/New_York", "Europe/Berlin", "Asia/Shanghai", "Australia/Lord_Howe",
	"America/Sao_Paulo", "Pacific/Apia", "Asia/Kathmandu", "Mars/Base",
}

// FuzzSchedule checks that Parse never panics and returns either a
// schedule or *FieldErrors, and that for a valid spec Next is strictly
// increasing over a few hundred calls, within the bounds, agreeing with
// count and last.
func FuzzSchedule(f *testing.F) {
	for _, seed := range []string{
		"0 2 * * *", "*/15 * * * *", "30 1 * * *", "0 */2 * * *", "30 30 2 * * *",
		"0 0 31 * *", "0 0 29 2 *", "0 0 13 * FRI", "0 0 */28 2 MON", "0 22-2/2 * * sun-thu",
		"@daily", "@hourly", "@every 1h30m", "@every 1s", "@every 26h", "@weekly",
		"", "@", "@every", "* * * * * * *", "0 0 30 2 *", "1-60 * * * *", "*/0 * * * *",
		"0 0 ? * 7", "CRON_TZ=UTC 0 0 * * *", "0 0 L * *", "H H * * *",
	} {
		f.Add(seed, uint8(2), int64(0), int64(0), int64(0), int64(1767225600))
	}
	f.Add("0 0 * * *", uint8(7), int64(1325000000), int64(86400*30), int64(3600e9), int64(1324500000)) // Apia skips 2011-12-30
	f.Add("30 0 * * *", uint8(6), int64(0), int64(0), int64(0), int64(1540000000))                     // São Paulo, midnight gap
	f.Add("*/15 1 * * *", uint8(5), int64(1775000000), int64(1), int64(-1), int64(1775300000))
	f.Fuzz(func(t *testing.T, cron string, zone uint8, start, span, jitter, after int64) {
		const years200 = 200 * 365 * 86400
		base := int64(-2208988800) // 1900-01-01
		spec := Spec{Cron: cron, Timezone: fuzzZones[int(zone)%len(fuzzZones)], Jitter: time.Duration(jitter)}
		if start != 0 {
			spec.Start = time.Unix(base+mod(start, years200), 0)
		}
		if span != 0 {
			spec.End = spec.Start.Add(time.Duration(span) * time.Second)
			if spec.Start.IsZero() {
				spec.End = time.Unix(base+mod(span, years200), 0)
			}
		}
		s, err := Parse(spec)
		if err != nil {
			var fe *FieldError
			if s != nil || !errors.As(err, &fe) {
				t.Fatalf("Parse = %v, %v; want nil and a *FieldError", s, err)
			}
			return
		}
		from := time.Unix(base+mod(after, years200), mod(after, 1e9))
		prev, n := from, int64(0)
		for range 300 {
			next := s.Next(prev)
			if next.IsZero() {
				break
			}
			switch {
			case !next.After(prev):
				t.Fatalf("Next(%v) = %v, not after", prev, next)
			case !spec.Start.IsZero() && next.Before(spec.Start):
				t.Fatalf("Next(%v) = %v, before start %v", prev, next, spec.Start)
			case !spec.End.IsZero() && next.After(spec.End):
				t.Fatalf("Next(%v) = %v, after end %v", prev, next, spec.End)
			case next.Location() != s.Location():
				t.Fatalf("Next(%v) = %v, in %v", prev, next, next.Location())
			}
			if j := s.JitterFor(cron, next); j < 0 || spec.Jitter > 0 && j >= spec.Jitter || spec.Jitter <= 0 && j != 0 {
				t.Fatalf("JitterFor = %v with jitter %v", j, spec.Jitter)
			}
			prev = next
			n++
		}
		if n > 0 && n < 300 || n == 300 && prev.Sub(from) < 60*365*24*time.Hour {
			if c := s.count(from, prev); c != n {
				t.Fatalf("count(%v, %v) = %d, Next stepped %d times", from, prev, c, n)
			}
			if l := s.last(from, prev.Add(time.Nanosecond)); !l.Equal(prev) {
				t.Fatalf("last(%v, %v) = %v", from, prev, l)
			}
		}
	})
}

// mod returns x modulo m, in [0, m).
func mod(x, m int64) int64 {
	r := x % m
	if r < 0 {
		r += m
	}
	return r
}
