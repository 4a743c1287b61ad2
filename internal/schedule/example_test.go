package schedule_test

import (
	"fmt"
	"time"

	"github.com/baton-sched/baton/internal/schedule"
)

// A fixed-hour schedule fires once on both daylight-saving days: after the
// gap in spring, and in the first copy of the repeated hour in autumn.
func ExampleSchedule_Next() {
	s, err := schedule.Parse(schedule.Spec{Cron: "30 1,2 * * *", Timezone: "America/New_York"})
	if err != nil {
		panic(err)
	}
	for _, day := range []string{"2026-03-08", "2026-11-01"} {
		from, _ := time.ParseInLocation("2006-01-02", day, s.Location())
		for _, t := range s.Between(from, from.Add(24*time.Hour), 10) {
			fmt.Println(t.Format(time.RFC3339))
		}
	}
	// Output:
	// 2026-03-08T01:30:00-05:00
	// 2026-03-08T03:00:00-04:00
	// 2026-11-01T01:30:00-04:00
	// 2026-11-01T02:30:00-05:00
}

// After an outage, catch-up policy latest fires the most recent due time
// and skips the others.
func ExamplePlan() {
	s, _ := schedule.Parse(schedule.Spec{Cron: "@hourly"})
	next := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := time.Date(2026, 1, 1, 9, 30, 0, 0, time.UTC)
	f := schedule.Plan(s, schedule.CatchupLatest, 0, next, now)
	fmt.Println("fire:", f.Fire)
	fmt.Println("skipped:", len(f.Skipped)+f.SkippedMore)
	fmt.Println("next:", f.Next)
	// Output:
	// fire: [2026-01-01 09:00:00 +0000 UTC]
	// skipped: 9
	// next: 2026-01-01 10:00:00 +0000 UTC
}

// Decide tells the schedule loop what to do with a new run while an
// earlier one is active.
func ExampleDecide() {
	for _, p := range []schedule.Overlap{schedule.OverlapSkip, schedule.OverlapBufferOne, schedule.OverlapCancelOther} {
		fmt.Println(p, schedule.Decide(p, 1, 0), schedule.Decide(p, 1, 1))
	}
	// Output:
	// skip drop drop
	// buffer_one buffer drop
	// cancel_other cancel_and_start cancel_and_start
}
