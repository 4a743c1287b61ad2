package schedule

import (
	"testing"
	"time"
)

// TestNext checks successive due times across zones, daylight-saving
// changes, month ends, leap days, day matching, seconds and macros.
func TestNext(t *testing.T) {
	const (
		ny   = "America/New_York"
		ber  = "Europe/Berlin"
		sh   = "Asia/Shanghai"
		lhi  = "Australia/Lord_Howe"
		none = ""
	)
	tests := []struct {
		name  string
		cron  string
		tz    string
		after string
		want  []string
	}{
		// Zones without daylight saving.
		{"utc daily", "0 2 * * *", none, "2026-01-01T00:00:00Z", []string{"2026-01-01T02:00:00Z", "2026-01-02T02:00:00Z"}},
		{"utc explicit", "0 2 * * *", "UTC", "2026-01-01T02:00:00Z", []string{"2026-01-02T02:00:00Z"}},
		{"shanghai daily", "0 2 * * *", sh, "2026-01-01T00:00:00Z", []string{"2026-01-02T02:00:00+08:00", "2026-01-03T02:00:00+08:00"}},
		{"shanghai read in local time", "0 2 * * *", sh, "2026-01-01T01:59:59+08:00", []string{"2026-01-01T02:00:00+08:00"}},

		// Spring forward: 2026-03-08 02:00 EST -> 03:00 EDT.
		{"ny gap fires once after it", "30 2 * * *", ny, "2026-03-07T03:00:00-05:00", []string{"2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00"}},
		{"ny gap two times fire once", "15,45 2 * * *", ny, "2026-03-08T01:00:00-05:00", []string{"2026-03-08T03:00:00-04:00", "2026-03-09T02:15:00-04:00"}},
		{"ny gap merges with 03:00", "0 * * * *", ny, "2026-03-08T00:30:00-05:00", []string{"2026-03-08T01:00:00-05:00", "2026-03-08T03:00:00-04:00", "2026-03-08T04:00:00-04:00"}},
		{"ny gap every 30m", "*/30 * * * *", ny, "2026-03-08T01:00:00-05:00", []string{"2026-03-08T01:30:00-05:00", "2026-03-08T03:00:00-04:00", "2026-03-08T03:30:00-04:00"}},
		{"ny gap just before transition", "30 2 * * *", ny, "2026-03-08T01:59:59-05:00", []string{"2026-03-08T03:00:00-04:00"}},
		{"ny after the gap firing", "30 2 * * *", ny, "2026-03-08T03:00:00-04:00", []string{"2026-03-09T02:30:00-04:00"}},
		{"ny seconds in gap", "30 30 2 * * *", ny, "2026-03-08T01:59:59-05:00", []string{"2026-03-08T03:00:00-04:00", "2026-03-09T02:30:30-04:00"}},

		// Fall back: 2026-11-01 02:00 EDT -> 01:00 EST.
		{"ny fixed hour fires in first copy", "30 1 * * *", ny, "2026-11-01T00:00:00-04:00", []string{"2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"}},
		{"ny fixed hour from second copy", "30 1 * * *", ny, "2026-11-01T01:10:00-05:00", []string{"2026-11-02T01:30:00-05:00"}},
		{"ny fixed hour minute steps", "*/15 1 * * *", ny, "2026-11-01T01:40:00-04:00", []string{"2026-11-01T01:45:00-04:00", "2026-11-02T01:00:00-05:00"}},
		{"ny hourly fires in both copies", "0 * * * *", ny, "2026-11-01T00:30:00-04:00", []string{"2026-11-01T01:00:00-04:00", "2026-11-01T01:00:00-05:00", "2026-11-01T02:00:00-05:00"}},
		{"ny @hourly", "@hourly", ny, "2026-11-01T00:30:00-04:00", []string{"2026-11-01T01:00:00-04:00", "2026-11-01T01:00:00-05:00", "2026-11-01T02:00:00-05:00"}},
		{"ny step over all hours", "0 */1 * * *", ny, "2026-11-01T00:30:00-04:00", []string{"2026-11-01T01:00:00-04:00", "2026-11-01T01:00:00-05:00", "2026-11-01T02:00:00-05:00"}},
		{"ny 0-23 range", "0 0-23 * * *", ny, "2026-11-01T00:30:00-04:00", []string{"2026-11-01T01:00:00-04:00", "2026-11-01T01:00:00-05:00"}},
		{"ny every 15m both copies", "*/15 * * * *", ny, "2026-11-01T01:40:00-04:00", []string{"2026-11-01T01:45:00-04:00", "2026-11-01T01:00:00-05:00", "2026-11-01T01:15:00-05:00"}},
		{"ny list of all hours is fixed", "0 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23 * * *", ny, "2026-11-01T00:30:00-04:00", []string{"2026-11-01T01:00:00-04:00", "2026-11-01T02:00:00-05:00"}},

		// Europe/Berlin: 2026-03-29 02:00 CET -> 03:00 CEST; 2026-10-25 03:00 CEST -> 02:00 CET.
		{"berlin gap", "30 2 * * *", ber, "2026-03-29T00:00:00+01:00", []string{"2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00"}},
		{"berlin fall fixed", "30 2 * * *", ber, "2026-10-25T00:00:00+02:00", []string{"2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"}},
		{"berlin fall every 2h", "0 */2 * * *", ber, "2026-10-25T01:30:00+02:00", []string{"2026-10-25T02:00:00+02:00", "2026-10-25T02:00:00+01:00", "2026-10-25T04:00:00+01:00"}},

		// Lord Howe shifts by 30 minutes: 2026-04-05 02:00 +11 -> 01:30
		// +10:30; 2026-10-04 02:00 +10:30 -> 02:30 +11.
		{"lord howe gap", "15 2 * * *", lhi, "2026-10-04T00:00:00+10:30", []string{"2026-10-04T02:30:00+11:00", "2026-10-05T02:15:00+11:00"}},
		{"lord howe hourly over gap", "0 * * * *", lhi, "2026-10-04T01:30:00+10:30", []string{"2026-10-04T02:30:00+11:00", "2026-10-04T03:00:00+11:00"}},
		{"lord howe fall fixed", "45 1 * * *", lhi, "2026-04-05T00:00:00+11:00", []string{"2026-04-05T01:45:00+11:00", "2026-04-06T01:45:00+10:30"}},
		{"lord howe fall every 15m", "*/15 * * * *", lhi, "2026-04-05T01:40:00+11:00", []string{"2026-04-05T01:45:00+11:00", "2026-04-05T01:30:00+10:30", "2026-04-05T01:45:00+10:30", "2026-04-05T02:00:00+10:30"}},

		// Go's zone bounds end a day early on 31 December of leap years
		// past the tz table (golang/go#81583).
		{"leap year end past the tz table", "0 12 * * *", ber, "2040-12-30T13:00:00+01:00", []string{"2040-12-31T12:00:00+01:00", "2041-01-01T12:00:00+01:00"}},
		{"leap year end, hourly", "0 * * * *", ny, "2040-12-30T18:30:00-05:00", []string{"2040-12-30T19:00:00-05:00", "2040-12-30T20:00:00-05:00"}},

		// Calendar.
		{"31st skips short months", "0 0 31 * *", none, "2026-01-31T00:00:00Z", []string{"2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z", "2026-07-31T00:00:00Z", "2026-08-31T00:00:00Z"}},
		{"leap day", "0 0 29 2 *", none, "2026-03-01T00:00:00Z", []string{"2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"}},
		{"leap day skips 2100", "0 0 29 2 *", none, "2096-03-01T00:00:00Z", []string{"2104-02-29T00:00:00Z"}},
		{"year end", "59 23 31 12 *", none, "2026-12-31T23:59:00Z", []string{"2027-12-31T23:59:00Z"}},

		// Day-of-month and day-of-week: either when both restrict.
		{"dom or dow", "0 0 13 * FRI", none, "2026-02-01T00:00:00Z", []string{"2026-02-06T00:00:00Z", "2026-02-13T00:00:00Z", "2026-02-20T00:00:00Z", "2026-02-27T00:00:00Z", "2026-03-06T00:00:00Z", "2026-03-13T00:00:00Z"}},
		{"1st or monday", "0 0 1 * MON", none, "2026-05-28T00:00:00Z", []string{"2026-06-01T00:00:00Z", "2026-06-08T00:00:00Z", "2026-06-15T00:00:00Z", "2026-06-22T00:00:00Z", "2026-06-29T00:00:00Z", "2026-07-01T00:00:00Z"}},
		{"star dom means dow only", "0 0 * * MON", none, "2026-06-01T00:00:00Z", []string{"2026-06-08T00:00:00Z"}},
		{"stepped star dom ands", "0 0 */10 * MON", none, "2026-01-01T00:00:00Z", []string{"2026-05-11T00:00:00Z", "2026-06-01T00:00:00Z"}},
		{"question mark", "0 0 ? * 2", none, "2026-06-01T00:00:00Z", []string{"2026-06-02T00:00:00Z", "2026-06-09T00:00:00Z"}},
		{"sunday as 7", "0 0 * * 7", none, "2026-06-01T00:00:00Z", []string{"2026-06-07T00:00:00Z"}},
		{"names upper case", "0 9 * JAN,JUL THU", none, "2026-06-01T00:00:00Z", []string{"2026-07-02T09:00:00Z", "2026-07-09T09:00:00Z"}},
		{"weekday range", "0 9 * * mon-fri", none, "2026-06-05T09:00:00Z", []string{"2026-06-08T09:00:00Z"}},
		{"wrap-around hours", "0 22-1 * * *", none, "2026-06-01T12:00:00Z", []string{"2026-06-01T22:00:00Z", "2026-06-01T23:00:00Z", "2026-06-02T00:00:00Z", "2026-06-02T01:00:00Z", "2026-06-02T22:00:00Z"}},

		// Seconds.
		{"seconds field", "*/20 * * * * *", none, "2026-01-01T00:00:05Z", []string{"2026-01-01T00:00:20Z", "2026-01-01T00:00:40Z", "2026-01-01T00:01:00Z"}},
		{"strictly after", "* * * * * *", none, "2026-01-01T00:00:00Z", []string{"2026-01-01T00:00:01Z", "2026-01-01T00:00:02Z"}},
		{"fraction of a second", "* * * * *", none, "2026-01-01T00:00:59.999Z", []string{"2026-01-01T00:01:00Z"}},

		// Macros.
		{"@yearly", "@yearly", none, "2026-01-01T00:00:00Z", []string{"2027-01-01T00:00:00Z"}},
		{"@annually", "@annually", none, "2026-06-01T00:00:00Z", []string{"2027-01-01T00:00:00Z"}},
		{"@monthly", "@monthly", none, "2026-01-15T00:00:00Z", []string{"2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"}},
		{"@weekly", "@weekly", none, "2026-06-01T00:00:00Z", []string{"2026-06-07T00:00:00Z", "2026-06-14T00:00:00Z"}},
		{"@daily", "@daily", sh, "2026-06-01T12:00:00+08:00", []string{"2026-06-02T00:00:00+08:00"}},
		{"@midnight upper case", "@MIDNIGHT", none, "2026-06-01T12:00:00Z", []string{"2026-06-02T00:00:00Z"}},
		{"@hourly", "@hourly", none, "2026-06-01T12:00:00Z", []string{"2026-06-01T13:00:00Z"}},

		// @every: elapsed time on a grid anchored at the Unix epoch.
		{"every on grid", "@every 90m", none, "2026-01-01T00:00:00Z", []string{"2026-01-01T01:30:00Z", "2026-01-01T03:00:00Z"}},
		{"every off grid", "@every 1h1m", none, "2026-01-01T00:00:00Z", []string{"2026-01-01T00:29:00Z", "2026-01-01T01:30:00Z"}},
		{"every ignores fall back", "@every 1h", ny, "2026-11-01T00:00:00-04:00", []string{"2026-11-01T01:00:00-04:00", "2026-11-01T01:00:00-05:00", "2026-11-01T02:00:00-05:00"}},
		{"every ignores spring forward", "@every 1h", ny, "2026-03-08T01:00:00-05:00", []string{"2026-03-08T03:00:00-04:00", "2026-03-08T04:00:00-04:00"}},
		{"every before the epoch", "@every 7s", none, "1969-12-31T23:59:50Z", []string{"1969-12-31T23:59:53Z", "1970-01-01T00:00:00Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustParse(t, Spec{Cron: tt.cron, Timezone: tt.tz})
			var got []time.Time
			at := tm(t, tt.after)
			for range tt.want {
				at = s.Next(at)
				got = append(got, at)
			}
			want := tms(t, tt.want...)
			if !sameTimes(got, want) {
				t.Errorf("Next from %s:\n got %v\nwant %v", tt.after, format(got), format(want))
			}
			for _, g := range got {
				if g.Location() != s.Location() {
					t.Errorf("due time %v in %v, want %v", g, g.Location(), s.Location())
				}
			}
		})
	}
}

// TestNextBounds checks Start and End, and @every anchored at Start.
func TestNextBounds(t *testing.T) {
	tests := []struct {
		name  string
		spec  Spec
		after string
		want  []string // then the zero time
	}{
		{"start and end", Spec{Cron: "0 * * * *", Start: tm(t, "2026-01-01T05:30:00Z"), End: tm(t, "2026-01-01T08:00:00Z")}, "2026-01-01T00:00:00Z",
			[]string{"2026-01-01T06:00:00Z", "2026-01-01T07:00:00Z", "2026-01-01T08:00:00Z"}},
		{"start is due", Spec{Cron: "0 * * * *", Start: tm(t, "2026-01-01T06:00:00Z"), End: tm(t, "2026-01-01T07:59:59Z")}, "2025-01-01T00:00:00Z",
			[]string{"2026-01-01T06:00:00Z", "2026-01-01T07:00:00Z"}},
		{"after end", Spec{Cron: "0 * * * *", End: tm(t, "2026-01-01T07:00:00Z")}, "2026-01-01T07:00:00Z", nil},
		{"start equals end", Spec{Cron: "0 * * * *", Start: tm(t, "2026-01-01T07:00:00Z"), End: tm(t, "2026-01-01T07:00:00Z")}, "2020-01-01T00:00:00Z",
			[]string{"2026-01-01T07:00:00Z"}},
		{"every anchored at start", Spec{Cron: "@every 1h", Start: tm(t, "2026-01-01T00:20:00Z"), End: tm(t, "2026-01-01T02:20:00Z")}, "2025-01-01T00:00:00Z",
			[]string{"2026-01-01T00:20:00Z", "2026-01-01T01:20:00Z", "2026-01-01T02:20:00Z"}},
		{"every after start", Spec{Cron: "@every 1h", Start: tm(t, "2026-01-01T00:20:00Z"), End: tm(t, "2026-01-01T06:59:00Z")}, "2026-01-01T05:00:00Z",
			[]string{"2026-01-01T05:20:00Z", "2026-01-01T06:20:00Z"}},
		{"start with a fraction", Spec{Cron: "* * * * * *", Start: tm(t, "2026-01-01T00:00:00.5Z"), End: tm(t, "2026-01-01T00:00:02Z")}, "2025-01-01T00:00:00Z",
			[]string{"2026-01-01T00:00:01Z", "2026-01-01T00:00:02Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustParse(t, tt.spec)
			var got []time.Time
			at := tm(t, tt.after)
			for range len(tt.want) + 1 {
				at = s.Next(at)
				if at.IsZero() {
					break
				}
				got = append(got, at)
			}
			if want := tms(t, tt.want...); !sameTimes(got, want) {
				t.Errorf("Next from %s:\n got %v\nwant %v (then zero)", tt.after, format(got), format(want))
			}
		})
	}
}

// TestBetween checks the bounds of Between: from excluded, to included, at
// most limit.
func TestBetween(t *testing.T) {
	s := mustParse(t, Spec{Cron: "0 * * * *"})
	from, to := tm(t, "2026-01-01T00:00:00Z"), tm(t, "2026-01-01T03:00:00Z")
	tests := []struct {
		name     string
		from, to time.Time
		limit    int
		want     []string
	}{
		{"from excluded, to included", from, to, 10, []string{"2026-01-01T01:00:00Z", "2026-01-01T02:00:00Z", "2026-01-01T03:00:00Z"}},
		{"limit", from, to, 2, []string{"2026-01-01T01:00:00Z", "2026-01-01T02:00:00Z"}},
		{"zero limit", from, to, 0, nil},
		{"negative limit", from, to, -1, nil},
		{"empty range", to, from, 10, nil},
		{"same instant", from, from, 10, nil},
		{"from just before a due time", from.Add(-time.Nanosecond), from, 10, []string{"2026-01-01T00:00:00Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := s.Between(tt.from, tt.to, tt.limit)
			if want := tms(t, tt.want...); !sameTimes(got, want) {
				t.Errorf("Between = %v, want %v", format(got), format(want))
			}
		})
	}
}
