package retry

import (
	"math"
	"testing"
	"time"
)

const (
	sec    = time.Second
	minute = time.Minute
)

// t0 is an arbitrary instant the failure-rate tests count from.
var t0 = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

// at returns t0 + offsets, for FailureTimes.
func at(offsets ...time.Duration) []time.Time {
	ts := make([]time.Time, len(offsets))
	for i, d := range offsets {
		ts[i] = t0.Add(d)
	}
	return ts
}

type nextCase struct {
	name   string
	policy Policy
	h      History
	want   Decision
}

func runNext(t *testing.T, tests []nextCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.policy.Next(tt.h); got != tt.want {
				t.Errorf("Next(%+v) = %+v, want %+v", tt.h, got, tt.want)
			}
		})
	}
}

func retryAfter(d time.Duration) Decision { return Decision{Retry: true, Delay: d} }

func TestNextNoneAndZeroValues(t *testing.T) {
	runNext(t, []nextCase{
		{"none never retries", Policy{Strategy: None}, History{Outcome: Failed, Failures: 1}, Decision{Reason: "retry is none"}},
		{"none never retries a timeout", Policy{Strategy: None}, History{Outcome: TimedOut, Failures: 1}, Decision{Reason: "retry is none"}},
		{"zero policy is none", Policy{}, History{Outcome: Failed, Failures: 1}, Decision{Reason: "retry is none"}},
		{"zero history is a first failure", Policy{Strategy: Fixed, MaxAttempts: 2, Delay: sec}, History{}, retryAfter(sec)},
		{"failures below 1 count as 1", Policy{Strategy: Fixed, MaxAttempts: 1}, History{Failures: -3}, Decision{Reason: "1 attempt failed (max_attempts 1)"}},
		{"none requeues lost attempts", Policy{Strategy: None}, History{Outcome: Lost}, retryAfter(0)},
		{"zero policy requeues lost attempts", Policy{}, History{Outcome: Lost}, retryAfter(0)},
		{"unknown strategy gives up", Policy{Strategy: "sometimes", MaxAttempts: 5}, History{Failures: 1}, Decision{Reason: `unknown retry strategy "sometimes"`}},
		{"unknown strategy requeues lost attempts", Policy{Strategy: "sometimes"}, History{Outcome: Lost}, retryAfter(0)},
		{"unknown outcome gives up", Policy{Strategy: Fixed, MaxAttempts: 5}, History{Outcome: "cancelled", Failures: 1}, Decision{Reason: "cancelled is not in retry_on"}},
	})
}

func TestNextFixed(t *testing.T) {
	fixed3 := Policy{Strategy: Fixed, MaxAttempts: 3, Delay: 10 * sec}
	runNext(t, []nextCase{
		{"retries after first", fixed3, History{Failures: 1}, retryAfter(10 * sec)},
		{"retries after second", fixed3, History{Failures: 2}, retryAfter(10 * sec)},
		{"retries a timeout", fixed3, History{Outcome: TimedOut, Failures: 2}, retryAfter(10 * sec)},
		{"gives up at max", fixed3, History{Failures: 3}, Decision{Reason: "3 attempts failed (max_attempts 3)"}},
		{"gives up past max", fixed3, History{Failures: 7}, Decision{Reason: "7 attempts failed (max_attempts 3)"}},
		{"lost does not consume attempts", fixed3, History{Outcome: Lost, Failures: 3}, retryAfter(0)},
		{"one attempt never retries", Policy{Strategy: Fixed, MaxAttempts: 1}, History{Failures: 1}, Decision{Reason: "1 attempt failed (max_attempts 1)"}},
		{"zero attempts never retries", Policy{Strategy: Fixed}, History{Failures: 1}, Decision{Reason: "1 attempt failed (max_attempts 0)"}},
		{"no delay retries at once", Policy{Strategy: Fixed, MaxAttempts: 2}, History{Failures: 1}, retryAfter(0)},
		{"negative delay is no delay", Policy{Strategy: Fixed, MaxAttempts: 2, Delay: -sec}, History{Failures: 1}, retryAfter(0)},
		{"ignores fields of other strategies", Policy{Strategy: Fixed, MaxAttempts: 3, Delay: sec, Factor: 3, MaxDelay: 2 * sec, Jitter: 1, MaxFailures: 1},
			History{Failures: 2, FailureTimes: at(0, 0), Now: t0, Seed: 9}, retryAfter(sec)},
	})
}

func TestNextExponential(t *testing.T) {
	exp := func(factor float64, maxDelay time.Duration) Policy {
		return Policy{Strategy: Exponential, MaxAttempts: 10, Delay: 10 * sec, Factor: factor, MaxDelay: maxDelay}
	}
	runNext(t, []nextCase{
		{"first wait is delay", exp(0, 0), History{Failures: 1}, retryAfter(10 * sec)},
		{"default factor 2", exp(0, 0), History{Failures: 2}, retryAfter(20 * sec)},
		{"default factor 2, fourth", exp(0, 0), History{Failures: 4}, retryAfter(80 * sec)},
		{"factor 3", exp(3, 0), History{Failures: 3}, retryAfter(90 * sec)},
		{"factor 1.5", exp(1.5, 0), History{Failures: 3}, retryAfter(22500 * time.Millisecond)},
		{"negative factor is the default", exp(-3, 0), History{Failures: 3}, retryAfter(40 * sec)},
		{"NaN factor is the default", exp(math.NaN(), 0), History{Failures: 3}, retryAfter(40 * sec)},
		{"under the cap", exp(2, 5*minute), History{Failures: 5}, retryAfter(160 * sec)},
		{"capped", exp(2, 5*minute), History{Failures: 6}, retryAfter(5 * minute)},
		{"stays capped", exp(2, 5*minute), History{Failures: 9}, retryAfter(5 * minute)},
		{"cap equal to delay", exp(2, 10*sec), History{Failures: 4}, retryAfter(10 * sec)},
		{"gives up at max", exp(2, 5*minute), History{Failures: 10}, Decision{Reason: "10 attempts failed (max_attempts 10)"}},
		{"timeout counts like failure", exp(2, 0), History{Outcome: TimedOut, Failures: 3}, retryAfter(40 * sec)},
		{"lost waits nothing", exp(2, 0), History{Outcome: Lost, Failures: 9}, retryAfter(0)},
		{"zero delay stays zero", Policy{Strategy: Exponential, MaxAttempts: 5}, History{Failures: 4}, retryAfter(0)},
		{"huge growth saturates", Policy{Strategy: Exponential, MaxAttempts: math.MaxInt32, Delay: sec, Factor: 10},
			History{Failures: 1000}, retryAfter(time.Duration(math.MaxInt64))},
		{"huge growth hits the cap", Policy{Strategy: Exponential, MaxAttempts: math.MaxInt32, Delay: sec, Factor: 1e300, MaxDelay: 24 * time.Hour},
			History{Failures: math.MaxInt32 - 1}, retryAfter(24 * time.Hour)},
		{"infinite factor hits the cap", Policy{Strategy: Exponential, MaxAttempts: 5, Delay: sec, Factor: math.Inf(1), MaxDelay: minute},
			History{Failures: 2}, retryAfter(minute)},
	})
}

// TestExponentialWaits checks the sequence of waits the docs show.
func TestExponentialWaits(t *testing.T) {
	p := Policy{Strategy: Exponential, MaxAttempts: 8, Delay: 10 * sec, Factor: 2, MaxDelay: 5 * minute}
	want := []time.Duration{10 * sec, 20 * sec, 40 * sec, 80 * sec, 160 * sec, 5 * minute, 5 * minute}
	for i, w := range want {
		if got := p.Next(History{Failures: i + 1}); got != retryAfter(w) {
			t.Errorf("after failure %d: %+v, want a retry after %v", i+1, got, w)
		}
	}
	if got := p.Next(History{Failures: 8}); got.Retry {
		t.Errorf("after failure 8: %+v, want to give up", got)
	}
}

func TestJitterBounds(t *testing.T) {
	for _, j := range []float64{0.1, 0.5, 1} {
		p := Policy{Strategy: Exponential, MaxAttempts: 10, Delay: 10 * sec, MaxDelay: 5 * minute, Jitter: j}
		for n := 1; n < 10; n++ {
			full := Policy{Strategy: Exponential, MaxAttempts: 10, Delay: 10 * sec, MaxDelay: 5 * minute}.Next(History{Failures: n}).Delay
			low := time.Duration(float64(full) * (1 - j))
			lo, hi := full, time.Duration(0)
			for seed := range uint64(2000) {
				d := p.Next(History{Failures: n, Seed: seed})
				if !d.Retry || d.Delay <= low || d.Delay > full {
					t.Fatalf("jitter %v, failure %d, seed %d: %+v, want a wait in (%v, %v]", j, n, seed, d, low, full)
				}
				lo, hi = min(lo, d.Delay), max(hi, d.Delay)
			}
			// 2000 draws cover the range: within 1% of each end.
			if span := full - low; lo-low > span/100 || full-hi > span/100 {
				t.Errorf("jitter %v, failure %d: waits in [%v, %v], want most of (%v, %v]", j, n, lo, hi, low, full)
			}
		}
	}
}

func TestJitterDeterministic(t *testing.T) {
	p := Policy{Strategy: Exponential, MaxAttempts: 10, Delay: 10 * sec, Factor: 2, MaxDelay: 5 * minute, Jitter: 0.5}
	// Pinned: a change here changes the waits servers of different
	// versions compute for the same task.
	want := []time.Duration{6292175607, 18400896072, 34427977395, 66232371340}
	for i, w := range want {
		h := History{Failures: i + 1, Seed: 42}
		if got := p.Next(h).Delay; got != w {
			t.Errorf("failure %d, seed 42: wait %d, want %d", i+1, got, w)
		}
		if a, b := p.Next(h), p.Next(h); a != b {
			t.Errorf("failure %d: %+v then %+v for the same history", i+1, a, b)
		}
	}
	same := 0
	for seed := range uint64(100) {
		if p.Next(History{Failures: 2, Seed: seed}) == p.Next(History{Failures: 2, Seed: seed + 1}) {
			same++
		}
	}
	if same > 1 {
		t.Errorf("%d of 100 neighbouring seeds gave the same wait", same)
	}
}

func TestJitterOutOfRange(t *testing.T) {
	base := Policy{Strategy: Exponential, MaxAttempts: 5, Delay: 10 * sec}
	runNext(t, []nextCase{
		{"zero is exact", base, History{Failures: 2, Seed: 7}, retryAfter(20 * sec)},
		{"negative is exact", func() Policy { p := base; p.Jitter = -1; return p }(), History{Failures: 2, Seed: 7}, retryAfter(20 * sec)},
		{"NaN is exact", func() Policy { p := base; p.Jitter = math.NaN(); return p }(), History{Failures: 2, Seed: 7}, retryAfter(20 * sec)},
	})
	over, one := base, base
	over.Jitter, one.Jitter = 5, 1
	for seed := range uint64(50) {
		h := History{Failures: 2, Seed: seed}
		if a, b := over.Next(h), one.Next(h); a != b {
			t.Errorf("seed %d: jitter 5 gave %+v, jitter 1 %+v", seed, a, b)
		}
	}
}

func TestNextFailureRate(t *testing.T) {
	// At most 2 failures in any 10 minutes, 30s apart.
	p := Policy{Strategy: FailureRate, MaxFailures: 2, Interval: 10 * minute, Delay: 30 * sec}
	now := t0.Add(time.Hour)
	h := func(offsets ...time.Duration) History {
		return History{Failures: len(offsets), FailureTimes: at(offsets...), Now: now}
	}
	runNext(t, []nextCase{
		{"first failure", p, h(time.Hour), retryAfter(30 * sec)},
		{"two in the window", p, h(55*minute, time.Hour), retryAfter(30 * sec)},
		{"three in the window", p, h(52*minute, 55*minute, time.Hour), Decision{Reason: "3 failures in 10m (max_failures 2)"}},
		{"old failures do not count, three recent do", p, h(0, 10*minute, 20*minute, 51*minute, 55*minute, time.Hour), Decision{Reason: "3 failures in 10m (max_failures 2)"}},
		{"failures outside the window do not count", p, h(0, 10*minute, 20*minute, 30*minute, 49*minute, time.Hour), retryAfter(30 * sec)},
		{"window start is inclusive", p, h(50*minute, 55*minute, time.Hour), Decision{Reason: "3 failures in 10m (max_failures 2)"}},
		{"just before the window", p, h(50*minute-time.Nanosecond, 55*minute, time.Hour), retryAfter(30 * sec)},
		{"any order", p, h(time.Hour, 0, 55*minute, 52*minute), Decision{Reason: "3 failures in 10m (max_failures 2)"}},
		{"later stamps count", p, h(55*minute, time.Hour, time.Hour+sec), Decision{Reason: "3 failures in 10m (max_failures 2)"}},
		{"timeouts are failures", p, History{Outcome: TimedOut, FailureTimes: at(52*minute, 55*minute, time.Hour), Now: now}, Decision{Reason: "3 failures in 10m (max_failures 2)"}},
		{"attempt count is ignored", p, History{Failures: 1000, FailureTimes: at(time.Hour), Now: now}, retryAfter(30 * sec)},
		{"lost does not count", p, History{Outcome: Lost, FailureTimes: at(52*minute, 55*minute, time.Hour), Now: now}, retryAfter(0)},
		{"no times counts the current failure", Policy{Strategy: FailureRate, MaxFailures: 0, Interval: minute}, History{Now: now}, Decision{Reason: "1 failure in 1m (max_failures 0)"}},
		{"one allowed", Policy{Strategy: FailureRate, MaxFailures: 1, Interval: time.Hour}, History{Now: now, FailureTimes: at(time.Hour)}, retryAfter(0)},
		{"one allowed, two in 1h", Policy{Strategy: FailureRate, MaxFailures: 1, Interval: time.Hour}, History{Now: now, FailureTimes: at(0, time.Hour)}, Decision{Reason: "2 failures in 1h (max_failures 1)"}},
		{"interval formatting", Policy{Strategy: FailureRate, MaxFailures: 1, Interval: 90 * minute}, History{Now: now, FailureTimes: at(time.Hour, time.Hour)}, Decision{Reason: "2 failures in 1h30m (max_failures 1)"}},
	})
}

// TestFailureRateTimeline replays the timeline the docs show: at most 2
// failures in 10m; failures at 0, 4m, 11m, 15m and 16m.
func TestFailureRateTimeline(t *testing.T) {
	p := Policy{Strategy: FailureRate, MaxFailures: 2, Interval: 10 * minute, Delay: minute}
	steps := []struct {
		at    time.Duration
		retry bool
	}{{0, true}, {4 * minute, true}, {11 * minute, true}, {15 * minute, true}, {16 * minute, false}}
	var times []time.Time
	for _, s := range steps {
		times = append(times, t0.Add(s.at))
		d := p.Next(History{Failures: len(times), FailureTimes: times, Now: t0.Add(s.at)})
		if d.Retry != s.retry {
			t.Errorf("failure at %v: %+v, want retry %v", s.at, d, s.retry)
		}
	}
}

func TestRetryOn(t *testing.T) {
	fixed := func(on ...string) Policy {
		return Policy{Strategy: Fixed, MaxAttempts: 3, Delay: sec, RetryOn: on}
	}
	runNext(t, []nextCase{
		{"default retries failed", fixed(), History{Outcome: Failed, Failures: 1}, retryAfter(sec)},
		{"default retries timed_out", fixed(), History{Outcome: TimedOut, Failures: 1}, retryAfter(sec)},
		{"default requeues lost", fixed(), History{Outcome: Lost}, retryAfter(0)},
		{"empty list is the default", Policy{Strategy: Fixed, MaxAttempts: 3, RetryOn: []string{}}, History{Outcome: TimedOut, Failures: 1}, retryAfter(0)},
		{"failed only: failed", fixed(Failed), History{Outcome: Failed, Failures: 1}, retryAfter(sec)},
		{"failed only: timed_out", fixed(Failed), History{Outcome: TimedOut, Failures: 1}, Decision{Reason: "timed_out is not in retry_on"}},
		{"failed only: lost", fixed(Failed), History{Outcome: Lost}, Decision{Reason: "lost is not in retry_on"}},
		{"empty outcome is failed", fixed(TimedOut), History{Failures: 1}, Decision{Reason: "failed is not in retry_on"}},
		{"timed_out only", fixed(TimedOut), History{Outcome: TimedOut, Failures: 2}, retryAfter(sec)},
		{"in list but attempts spent", fixed(TimedOut), History{Outcome: TimedOut, Failures: 3}, Decision{Reason: "3 attempts failed (max_attempts 3)"}},
		{"lost only: failed", fixed(Lost), History{Outcome: Failed, Failures: 1}, Decision{Reason: "failed is not in retry_on"}},
		{"lost only: lost", fixed(Lost), History{Outcome: Lost, Failures: 2}, retryAfter(0)},
		{"exponential", Policy{Strategy: Exponential, MaxAttempts: 3, Delay: sec, RetryOn: []string{Failed, Lost}}, History{Outcome: TimedOut, Failures: 1}, Decision{Reason: "timed_out is not in retry_on"}},
		{"failure_rate", Policy{Strategy: FailureRate, MaxFailures: 5, Interval: minute, RetryOn: []string{TimedOut}}, History{Outcome: Failed, Now: t0}, Decision{Reason: "failed is not in retry_on"}},
		{"failure_rate, excluded lost", Policy{Strategy: FailureRate, MaxFailures: 5, Interval: minute, RetryOn: []string{Failed}}, History{Outcome: Lost, Now: t0}, Decision{Reason: "lost is not in retry_on"}},
	})
}

// TestSplitMix64 checks the generator against the reference
// implementation's outputs.
func TestSplitMix64(t *testing.T) {
	for _, tt := range []struct {
		seed uint64
		n    int
		want uint64
	}{{0, 1, 0xe220a8397b1dcdaf}, {0, 2, 0x6e789e6aa1b965f4}, {1234567, 1, 6457827717110365317}} {
		if got := splitMix64(tt.seed, tt.n); got != tt.want {
			t.Errorf("splitMix64(%d, %d) = %#x, want %#x", tt.seed, tt.n, got, tt.want)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", 90 * sec: "1m30s", 10 * minute: "10m", time.Hour: "1h", 90 * minute: "1h30m",
		48 * time.Hour: "48h", time.Hour + sec: "1h0m1s", 1500 * time.Millisecond: "1.5s",
	} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
