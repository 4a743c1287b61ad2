package schedule

import (
	"fmt"
	"testing"
	"time"
)

// TestJitterFor checks that jitter is zero without Jitter, stays in
// [0, Jitter), depends only on key and instant, and spreads.
func TestJitterFor(t *testing.T) {
	due := tm(t, "2026-01-01T02:00:00+08:00")
	if d := mustParse(t, Spec{Cron: "@daily"}).JitterFor("etl", due); d != 0 {
		t.Errorf("no jitter: JitterFor = %v, want 0", d)
	}
	for _, j := range []time.Duration{time.Nanosecond, time.Second, 10 * time.Minute, 24 * time.Hour} {
		s := mustParse(t, Spec{Cron: "@daily", Jitter: j})
		seen := map[time.Duration]bool{}
		for i := range 200 {
			key := fmt.Sprintf("workflow-%d", i)
			d := s.JitterFor(key, due)
			if d < 0 || d >= j {
				t.Fatalf("jitter %v: JitterFor(%q) = %v, out of range", j, key, d)
			}
			seen[d] = true
			if again := s.JitterFor(key, due.UTC()); again != d {
				t.Fatalf("JitterFor(%q) = %v, then %v for the same instant in UTC", key, d, again)
			}
		}
		if j >= time.Second && len(seen) < 190 {
			t.Errorf("jitter %v: 200 keys gave only %d delays", j, len(seen))
		}
	}
	s := mustParse(t, Spec{Cron: "@daily", Jitter: time.Hour})
	if s.JitterFor("etl", due) == s.JitterFor("etl", due.Add(24*time.Hour)) {
		t.Error("JitterFor gave the same delay on two days")
	}
	// A fixed value: the hash must not change between versions, or servers
	// of two versions would disagree during a rolling upgrade.
	if got, want := s.JitterFor("nightly-etl", tm(t, "2026-01-01T00:00:00Z")), time.Duration(3462443003237); got != want {
		t.Errorf("JitterFor = %d, want %d", got, want)
	}
}
