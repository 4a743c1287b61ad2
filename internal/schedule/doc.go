// Package schedule computes when workflow schedules are due, and decides
// what to do about missed and overlapping runs. It is pure: no I/O and no
// clock; every function takes the times it needs, so that every server
// given the same inputs computes the same answer (the schedule loop passes
// the database's clock).
//
// # Specs
//
// A Spec is a cron expression read in an IANA time zone, optional Start
// and End bounds and an optional jitter; Parse checks it and returns a
// *Schedule. The expression is one of
//
//	minute hour day-of-month month day-of-week      0 2 * * *
//	second minute hour day-of-month month day-of-week   */30 * * * * *
//	@yearly (@annually) @monthly @weekly @daily (@midnight) @hourly
//	@every <duration>                                @every 1h30m
//
// Fields take numbers, ranges (1-5), wrap-around ranges (22-2), steps
// (*/15, 10-50/20, 5/10 meaning 5-59/10), lists (1,15) and, for months and
// weekdays, names (JAN, mon-fri); Sunday is 0 or 7. As in cron, when
// day-of-month and day-of-week both restrict (neither starts with * or ?),
// a day matches if either field does: "0 0 1 * MON" is due on the 1st and
// on every Monday.
//
// Due times are instants, returned in the schedule's location. A run is
// identified by its schedule and due time, so Next must give the same
// instants on every server; the rules below make it a function of the spec
// and of the zone's rules alone. (Zone rules come from the machine's tz
// database, or from the copy embedded in the binary when it has none: run
// servers with the same tz data.)
//
// # Daylight saving
//
// Cron fields name wall-clock times. Where clocks jump, a wall-clock time
// can occur zero times or twice; Next resolves both cases by fixed rules.
// The timelines show America/New_York; the same rules hold for any shift,
// such as Lord Howe's 30 minutes.
//
// Spring forward (2026-03-08, 02:00 EST becomes 03:00 EDT): the wall-clock
// times 02:00-02:59:59 do not exist. A time the schedule names in the gap
// fires once, at the first instant after the gap (03:00 EDT), never twice
// and never skipped; it merges with a firing due at 03:00 itself.
//
//	UTC              05:30      06:00      06:30     | 07:00      07:30
//	New York         00:30 EST  01:00 EST  01:30 EST | 03:00 EDT  03:30 EDT
//	"30 2 * * *"                                     | fires
//	"0 * * * *"                 fires                | fires (for 02:00 and 03:00)
//	"*/30 * * * *"   fires      fires      fires     | fires      fires
//
// Fall back (2026-11-01, 02:00 EDT becomes 01:00 EST): the wall-clock
// times 01:00-01:59:59 occur twice. A schedule whose hour field names
// fixed hours ("30 1 * * *", "*/15 1 * * *", "@daily") is about a time of
// day: it fires once, in the first copy. A schedule whose hour field spans
// the whole day, as one range with or without a step ("*", "*/2", "0-23",
// "0/6", and @hourly), is about elapsed time: it fires in both copies.
//
//	UTC              04:30      05:00      05:30     | 06:00      06:30      07:00
//	New York         00:30 EDT  01:00 EDT  01:30 EDT | 01:00 EST  01:30 EST  02:00 EST
//	"30 1 * * *"                           fires     |            (not again)
//	"0 * * * *"                 fires                | fires                 fires
//	"*/30 * * * *"   fires      fires      fires     | fires      fires      fires
//
// @every d is elapsed time, unaffected by daylight saving: it is due at
// Start + k·d for k >= 0 when Start is set, else at Unix epoch + k·d for
// any k, so that every server computes the same grid.
//
// # Bounds and jitter
//
// No due time is before Start or after End (Start itself may be due; when
// End is passed, Next returns the zero time). JitterFor spreads firings: a
// delay below Spec.Jitter that is a hash of a key and the due time, so all
// servers agree on it.
//
// # Missed and overlapping runs
//
// Plan applies a Catchup policy after an outage, bounded in work and
// output however long the outage was. Decide applies an Overlap policy
// when a run is due while earlier runs are still active. Both names and
// meanings follow Temporal's schedules.
package schedule
