package workflow

import "github.com/baton-sched/baton/internal/taskkind"

// Duration is a time.Duration written as a string ("90s", "1h30m", "2d");
// see taskkind.Duration, which kinds' blocks use too.
type Duration = taskkind.Duration

// Day is the length of the "d" duration unit.
const Day = taskkind.Day

// ParseDuration parses a duration in Go syntax extended with a "d" unit
// of 24 hours (see taskkind.ParseDuration).
func ParseDuration(s string) (Duration, error) { return taskkind.ParseDuration(s) }
