package schedule

import (
	"errors"
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // time zones on machines without a zoneinfo database
)

// Spec is a schedule as a workflow definition states it.
type Spec struct {
	// Cron says when the schedule is due: five fields (minute hour
	// day-of-month month day-of-week), six with a leading seconds field, a
	// macro (@yearly, @annually, @monthly, @weekly, @daily, @midnight,
	// @hourly) or "@every <duration>" in Go syntax, at least 1s.
	Cron string
	// Timezone is the IANA name of the zone the cron fields are read in,
	// e.g. "Asia/Shanghai". Empty means UTC.
	Timezone string
	// Start and End, when not zero, bound the due times: none is before
	// Start or after End. Start also anchors the grid of @every.
	Start, End time.Time
	// Jitter, when positive, delays each firing by JitterFor, less than
	// Jitter.
	Jitter time.Duration
}

// Schedule is a parsed Spec. It is immutable and safe for concurrent use.
type Schedule struct {
	spec  Spec
	loc   *time.Location
	cron  *fields       // nil for @every
	every time.Duration // > 0 for @every
}

// FieldError is one problem with a Spec, naming the field at fault.
type FieldError struct {
	// Field is "cron", "timezone", "start", "end" or "jitter".
	Field string
	// Message says what is wrong, for a human.
	Message string
}

// Error renders the problem as "field: message".
func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// Parse checks s whole and compiles it. Each problem found is a *FieldError;
// when there are several they are joined with errors.Join, in the order
// cron, timezone, end, jitter.
func Parse(s Spec) (*Schedule, error) {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	sch := &Schedule{spec: s, loc: time.UTC}
	if every, f, err := parseCron(s.Cron); err != nil {
		bad("cron", "%s", err)
	} else {
		sch.every, sch.cron = every, f
	}
	if loc, msg := loadZone(s.Timezone); msg != "" {
		bad("timezone", "%s", msg)
	} else {
		sch.loc = loc
	}
	if !s.Start.IsZero() && !s.End.IsZero() && s.End.Before(s.Start) {
		bad("end", "before start (%s < %s)", s.End.Format(time.RFC3339), s.Start.Format(time.RFC3339))
	}
	if s.Jitter < 0 {
		bad("jitter", "must not be negative")
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return sch, nil
}

// loadZone loads an IANA time zone, or explains why it cannot.
func loadZone(name string) (*time.Location, string) {
	switch {
	case name == "":
		return time.UTC, ""
	case name == "Local" || strings.EqualFold(name, "local"):
		// time.LoadLocation("Local") is the machine's zone: servers in
		// different places would disagree.
		return nil, `"Local" is not allowed: name the zone, e.g. "Europe/Berlin"`
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Sprintf("unknown time zone %q", name)
	}
	return loc, ""
}

// Location returns the time zone the schedule reads its cron fields in and
// returns its due times in.
func (s *Schedule) Location() *time.Location { return s.loc }

// Spec returns the Spec the schedule was parsed from.
func (s *Schedule) Spec() Spec { return s.spec }
