package schedule

import (
	"math/rand/v2"
	"testing"
	"time"
)

// oracle lists the due times t with from < t <= to of a cron schedule by
// stepping through every second and applying the package's rules as the
// documentation states them, independently of the segment walk in next.go.
// It knows shifts of 30 minutes, 1 and 2 hours, at whole minutes.
func oracle(s *Schedule, from, to time.Time) []time.Time {
	f := s.cron
	wall := func(t time.Time) time.Time {
		l := t.In(s.loc)
		return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), 0, time.UTC)
	}
	step := time.Second
	if f.second == 1 { // due only at whole minutes, and zones change at whole minutes
		step = time.Minute
	}
	t := from.Truncate(step)
	for !t.After(from) {
		t = t.Add(step)
	}
	var out []time.Time
	for ; !t.After(to); t = t.Add(step) {
		c := wall(t)
		due := false
		if f.matches(c) {
			repeat := false
			for _, d := range []time.Duration{30 * time.Minute, time.Hour, 2 * time.Hour} {
				if wall(t.Add(-d)).Equal(c) {
					repeat = true
				}
			}
			due = !repeat || f.allHours
		}
		_, off := t.In(s.loc).Zone()
		_, before := t.Add(-time.Nanosecond).In(s.loc).Zone()
		if before < off { // t is the first instant after clocks jumped forward
			for g := c.Add(-time.Duration(off-before) * time.Second); g.Before(c); g = g.Add(time.Second) {
				if f.matches(g) {
					due = true
				}
			}
		}
		if due {
			out = append(out, t.In(s.loc))
		}
	}
	return out
}

// TestDSTAgainstOracle compares Next, Between, count and last with the
// oracle around every daylight-saving change of 2026 in three zones, and in
// two zones without any.
func TestDSTAgainstOracle(t *testing.T) {
	crons := []string{
		"30 2 * * *", "15,45 2 * * *", "0 * * * *", "*/15 * * * *", "30 1 * * *",
		"*/15 1 * * *", "0 */2 * * *", "45 1 * * *", "15 2 * * *", "0 0 * * *",
		"30 * * * *", "0,30 1-3 * * *", "59 1 * * *", "0 3 * * *", "* * * * *",
		"*/20 * * * * *", "10 0-59/7 2 * * *", "0 0-23/3 * * *", "0 1,2 * * *",
	}
	changes := []struct{ tz, at string }{
		{"America/New_York", "2026-03-08T07:00:00Z"},
		{"America/New_York", "2026-11-01T06:00:00Z"},
		{"Europe/Berlin", "2026-03-29T01:00:00Z"},
		{"Europe/Berlin", "2026-10-25T01:00:00Z"},
		{"Australia/Lord_Howe", "2026-04-04T15:00:00Z"},
		{"Australia/Lord_Howe", "2026-10-03T15:30:00Z"},
		{"Asia/Shanghai", "2026-06-01T00:00:00Z"},
		{"UTC", "2026-06-01T00:00:00Z"},
		{"America/New_York", "2040-12-31T00:00:00Z"}, // golang/go#81583
		{"Australia/Lord_Howe", "2040-12-31T00:00:00Z"},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, ch := range changes {
		for _, cr := range crons {
			s := mustParse(t, Spec{Cron: cr, Timezone: ch.tz})
			at := tm(t, ch.at)
			from, to := at.Add(-4*time.Hour), at.Add(4*time.Hour)
			want := oracle(s, from, to)
			got := s.Between(from, to, 1<<20)
			if !sameTimes(got, want) {
				t.Errorf("%s %q: Between =\n%v\nwant\n%v", ch.tz, cr, format(got), format(want))
				continue
			}
			for i, d := range want {
				if n := s.Next(d.Add(-time.Nanosecond)); !n.Equal(d) {
					t.Errorf("%s %q: Next(%v - 1ns) = %v", ch.tz, cr, d, n)
				}
				if i > 0 {
					mid := want[i-1].Add(d.Sub(want[i-1]) / 2)
					if n := s.Next(mid); !n.Equal(d) {
						t.Errorf("%s %q: Next(%v) = %v, want %v", ch.tz, cr, mid, n, d)
					}
				}
			}
			for range 20 {
				a := from.Add(time.Duration(rng.Int64N(int64(to.Sub(from)))))
				b := a.Add(time.Duration(rng.Int64N(int64(to.Sub(a)) + 1)))
				var in []time.Time
				for _, d := range want {
					if d.After(a) && !d.After(b) {
						in = append(in, d)
					}
				}
				if n := s.count(a, b); n != int64(len(in)) {
					t.Errorf("%s %q: count(%v, %v) = %d, want %d", ch.tz, cr, a, b, n, len(in))
				}
				var wantLast time.Time
				if len(in) > 0 {
					wantLast = in[len(in)-1]
				}
				if l := s.last(a, b); !l.Equal(wantLast) {
					t.Errorf("%s %q: last(%v, %v) = %v, want %v", ch.tz, cr, a, b, l, wantLast)
				}
			}
		}
	}
}

// TestCountOverAYear compares count with the due times Between lists over
// a year, in zones with and without daylight saving, and for @every.
func TestCountOverAYear(t *testing.T) {
	from, to := tm(t, "2026-01-01T00:00:00.5Z"), tm(t, "2027-01-01T00:00:00Z")
	for _, tz := range []string{"UTC", "America/New_York", "Australia/Lord_Howe", "Asia/Shanghai"} {
		for _, cr := range []string{"0 * * * *", "*/15 1 * * *", "30 2 * * *", "0 0 13 * FRI", "@every 7m", "@every 1h1m1s", "0 0 31 * *"} {
			s := mustParse(t, Spec{Cron: cr, Timezone: tz})
			all := s.Between(from, to, 1<<20)
			if n := s.count(from, to); n != int64(len(all)) {
				t.Errorf("%s %q: count = %d, Between lists %d", tz, cr, n, len(all))
			}
			if l := s.last(from, to); !l.Equal(all[len(all)-1]) {
				t.Errorf("%s %q: last = %v, want %v", tz, cr, l, all[len(all)-1])
			}
		}
	}
	// Bounds apply to count too.
	s := mustParse(t, Spec{Cron: "0 * * * *", Start: tm(t, "2026-01-01T10:00:00Z"), End: tm(t, "2026-01-01T20:00:00Z")})
	if n := s.count(from, to); n != 11 {
		t.Errorf("bounded count = %d, want 11", n)
	}
}
