package schedule

import (
	"testing"
	"time"
)

// hours returns the due times of an hourly UTC schedule on 2026-01-01 at
// the given hours.
func hours(hs ...int) []time.Time {
	out := make([]time.Time, len(hs))
	for i, h := range hs {
		out[i] = time.Date(2026, 1, 1, h, 0, 0, 0, time.UTC)
	}
	return out
}

// span returns the due times of an hourly UTC schedule on 2026-01-01 from
// hour from to hour to.
func span(from, to int) []time.Time {
	var out []time.Time
	for h := from; h <= to; h++ {
		out = append(out, hours(h)...)
	}
	return out
}

// TestPlan checks each catch-up policy after an outage of 10 ticks
// (00:00-09:00 missed, now 09:30), with and without a window, and the
// edges: nothing due, due exactly now, a schedule that ended.
func TestPlan(t *testing.T) {
	hourly := mustParse(t, Spec{Cron: "0 * * * *"})
	ended := mustParse(t, Spec{Cron: "0 * * * *", End: time.Date(2026, 1, 1, 5, 0, 0, 0, time.UTC)})
	at := func(h, m int) time.Time { return time.Date(2026, 1, 1, h, m, 0, 0, time.UTC) }
	tests := []struct {
		name      string
		s         *Schedule
		policy    Catchup
		window    time.Duration
		next, now time.Time
		fire      []time.Time
		skipped   []time.Time
		nextDue   time.Time
	}{
		{"none: all late", hourly, CatchupNone, 5 * time.Minute, at(0, 0), at(9, 30), nil, span(0, 9), at(10, 0)},
		{"none: last on time", hourly, CatchupNone, 45 * time.Minute, at(0, 0), at(9, 30), hours(9), span(0, 8), at(10, 0)},
		{"none: window edge included", hourly, CatchupNone, 30 * time.Minute, at(0, 0), at(9, 30), hours(9), span(0, 8), at(10, 0)},
		{"none: empty window, due now", hourly, CatchupNone, 0, at(0, 0), at(9, 0), hours(9), span(0, 8), at(10, 0)},
		{"none: empty window, late", hourly, CatchupNone, 0, at(0, 0), at(9, 0).Add(time.Nanosecond), nil, span(0, 9), at(10, 0)},
		{"none: no outage", hourly, CatchupNone, time.Minute, at(9, 0), at(9, 0).Add(time.Second), hours(9), nil, at(10, 0)},
		{"latest", hourly, CatchupLatest, 0, at(0, 0), at(9, 30), hours(9), span(0, 8), at(10, 0)},
		{"latest ignores window", hourly, CatchupLatest, time.Minute, at(0, 0), at(9, 30), hours(9), span(0, 8), at(10, 0)},
		{"latest: one due", hourly, CatchupLatest, 0, at(9, 0), at(9, 59), hours(9), nil, at(10, 0)},
		{"all: empty window fires all", hourly, CatchupAll, 0, at(0, 0), at(9, 30), span(0, 9), nil, at(10, 0)},
		{"all: window", hourly, CatchupAll, 3*time.Hour + 30*time.Minute, at(0, 0), at(9, 30), span(6, 9), span(0, 5), at(10, 0)},
		{"all: window covers outage", hourly, CatchupAll, 24 * time.Hour, at(0, 0), at(9, 30), span(0, 9), nil, at(10, 0)},
		{"nothing due yet", hourly, CatchupAll, 0, at(10, 0), at(9, 30), nil, nil, at(10, 0)},
		{"due exactly now", hourly, CatchupLatest, 0, at(9, 0), at(9, 0), hours(9), nil, at(10, 0)},
		{"ended during outage: latest", ended, CatchupLatest, 0, at(0, 0), at(9, 30), hours(5), span(0, 4), time.Time{}},
		{"ended during outage: all", ended, CatchupAll, 0, at(0, 0), at(9, 30), span(0, 5), nil, time.Time{}},
		{"ended during outage: none", ended, CatchupNone, time.Hour, at(0, 0), at(9, 30), nil, span(0, 5), time.Time{}},
		{"ended before", ended, CatchupAll, 0, time.Time{}, at(9, 30), nil, nil, time.Time{}},
		{"stored next off the grid", hourly, CatchupAll, 0, at(7, 30), at(9, 30), []time.Time{at(7, 30), at(8, 0), at(9, 0)}, nil, at(10, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Plan(tt.s, tt.policy, tt.window, tt.next, tt.now)
			want := Firing{Fire: tt.fire, Skipped: tt.skipped, Next: tt.nextDue}
			if !sameTimes(got.Fire, want.Fire) || !sameTimes(got.Skipped, want.Skipped) || got.SkippedMore != 0 || !got.Next.Equal(want.Next) {
				t.Errorf("Plan =\n  fire %v\n  skipped %v +%d\n  next %v\nwant\n  fire %v\n  skipped %v\n  next %v",
					format(got.Fire), format(got.Skipped), got.SkippedMore, got.Next, format(want.Fire), format(want.Skipped), want.Next)
			}
		})
	}
}

// TestPlanLimits checks MaxFire and MaxSkipped: a long outage of a
// per-second schedule costs neither millions of entries nor of steps.
func TestPlanLimits(t *testing.T) {
	everySecond := mustParse(t, Spec{Cron: "* * * * * *", Timezone: "America/New_York"})
	next := tm(t, "2026-01-01T00:00:00Z")

	t.Run("fire is capped, calls resume", func(t *testing.T) {
		now := next.Add(time.Hour) // 3601 due times
		fired := 0
		for calls := 1; ; calls++ {
			f := Plan(everySecond, CatchupAll, 0, next, now)
			if len(f.Fire) > MaxFire || len(f.Skipped) > 0 {
				t.Fatalf("call %d fired %d, skipped %d", calls, len(f.Fire), len(f.Skipped))
			}
			if len(f.Fire) > 0 && !f.Fire[0].Equal(next) {
				t.Fatalf("call %d fired from %v, want %v", calls, f.Fire[0], next)
			}
			fired += len(f.Fire)
			next = f.Next
			if next.After(now) {
				if calls != 4 || fired != 3601 || !next.Equal(now.Add(time.Second)) {
					t.Errorf("%d calls fired %d, next %v; want 4 calls, 3601, %v", calls, fired, next, now.Add(time.Second))
				}
				return
			}
		}
	})

	next = tm(t, "2026-01-01T00:00:00Z")
	now := next.AddDate(1, 0, 0) // 2026 in New York: 365 days of seconds, DST included
	due := int(365*24*time.Hour/time.Second) + 1
	for _, policy := range []Catchup{CatchupLatest, CatchupNone, CatchupAll} {
		t.Run("year outage "+string(policy), func(t *testing.T) {
			f := Plan(everySecond, policy, time.Minute, next, now)
			fire := map[Catchup]int{CatchupLatest: 1, CatchupNone: 61, CatchupAll: 61}[policy]
			if len(f.Fire) != fire || len(f.Skipped) != MaxSkipped || len(f.Skipped)+f.SkippedMore+len(f.Fire) != due {
				t.Errorf("fired %d, skipped %d+%d; want %d fired of %d due, %d listed",
					len(f.Fire), len(f.Skipped), f.SkippedMore, fire, due, MaxSkipped)
			}
			if !f.Skipped[0].Equal(next) || !f.Skipped[MaxSkipped-1].Equal(next.Add(99*time.Second)) {
				t.Errorf("skipped %v ... %v", f.Skipped[0], f.Skipped[MaxSkipped-1])
			}
			if !f.Fire[len(f.Fire)-1].Equal(now) || !f.Next.Equal(now.Add(time.Second)) {
				t.Errorf("last fired %v, next %v", f.Fire[len(f.Fire)-1], f.Next)
			}
		})
	}
}

// TestParseCatchup checks the policy names.
func TestParseCatchup(t *testing.T) {
	for in, want := range map[string]Catchup{"": CatchupLatest, "none": CatchupNone, "latest": CatchupLatest, "all": CatchupAll} {
		if got, err := ParseCatchup(in); err != nil || got != want {
			t.Errorf("ParseCatchup(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"All", "skip", "everything"} {
		if _, err := ParseCatchup(in); err == nil {
			t.Errorf("ParseCatchup(%q) accepted", in)
		}
	}
}
