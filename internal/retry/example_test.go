package retry_test

import (
	"fmt"
	"time"

	"github.com/baton-sched/baton/internal/retry"
)

func ExamplePolicy_Next() {
	p := retry.Policy{Strategy: retry.Exponential, MaxAttempts: 5, Delay: 10 * time.Second, MaxDelay: time.Minute}
	for n := 1; n <= 5; n++ {
		fmt.Printf("%d: %+v\n", n, p.Next(retry.History{Outcome: retry.Failed, Failures: n}))
	}
	fmt.Printf("lost: %+v\n", p.Next(retry.History{Outcome: retry.Lost}))
	// Output:
	// 1: {Retry:true Delay:10s Reason:}
	// 2: {Retry:true Delay:20s Reason:}
	// 3: {Retry:true Delay:40s Reason:}
	// 4: {Retry:true Delay:1m0s Reason:}
	// 5: {Retry:false Delay:0s Reason:5 attempts failed (max_attempts 5)}
	// lost: {Retry:true Delay:0s Reason:}
}

func ExamplePolicy_Next_failureRate() {
	// At most 2 failures in any 10 minutes.
	p := retry.Policy{Strategy: retry.FailureRate, MaxFailures: 2, Interval: 10 * time.Minute, Delay: time.Minute}
	start := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	var failures []time.Time
	for _, m := range []time.Duration{0, 4, 11, 15, 16} {
		now := start.Add(m * time.Minute)
		failures = append(failures, now)
		d := p.Next(retry.History{Outcome: retry.Failed, Failures: len(failures), FailureTimes: failures, Now: now})
		if d.Retry {
			fmt.Printf("failure at %s: retry in %v\n", now.Format("15:04"), d.Delay)
		} else {
			fmt.Printf("failure at %s: give up: %s\n", now.Format("15:04"), d.Reason)
		}
	}
	// Output:
	// failure at 00:00: retry in 1m0s
	// failure at 00:04: retry in 1m0s
	// failure at 00:11: retry in 1m0s
	// failure at 00:15: retry in 1m0s
	// failure at 00:16: give up: 3 failures in 10m (max_failures 2)
}
