package taskkind

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"
	"time"
)

// Day is the length of the "d" duration unit. Baton durations are elapsed
// time, so a day is always 24 hours, whatever the calendar says.
const Day = 24 * time.Hour

// durationUnits are the units ParseDuration accepts, Go's plus "d".
var durationUnits = map[string]uint64{
	"ns": uint64(time.Nanosecond),
	"us": uint64(time.Microsecond),
	"µs": uint64(time.Microsecond), // U+00B5
	"μs": uint64(time.Microsecond), // U+03BC
	"ms": uint64(time.Millisecond),
	"s":  uint64(time.Second),
	"m":  uint64(time.Minute),
	"h":  uint64(time.Hour),
	"d":  uint64(Day),
}

// ParseDuration parses a duration in Go syntax extended with a "d" unit of
// 24 hours: "90s", "1h30m", "2d", "1d12h", "1.5h". Negative and empty
// durations are errors; "0" is zero.
func ParseDuration(s string) (Duration, error) {
	orig := s
	if strings.TrimSpace(s) == "" {
		return 0, errors.New("must not be empty")
	}
	if strings.HasPrefix(s, "-") {
		return 0, fmt.Errorf("invalid duration %q: must not be negative", orig)
	}
	s = strings.TrimPrefix(s, "+")
	if s == "0" {
		return 0, nil
	}
	if s == "" {
		return 0, fmt.Errorf("invalid duration %q", orig)
	}
	var total uint64
	for s != "" {
		// The number: digits, optionally a fraction.
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		whole := s[:i]
		frac := ""
		if i < len(s) && s[i] == '.' {
			j := i + 1
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			frac = s[i+1 : j]
			i = j
		}
		if whole == "" && frac == "" {
			return 0, fmt.Errorf("invalid duration %q: expected a number at %q", orig, s)
		}
		s = s[i:]
		// The unit: everything up to the next digit or dot.
		j := 0
		for j < len(s) && s[j] != '.' && (s[j] < '0' || s[j] > '9') {
			j++
		}
		unitName := s[:j]
		s = s[j:]
		if unitName == "" {
			return 0, fmt.Errorf("invalid duration %q: missing unit (use d, h, m, s, ms, us or ns)", orig)
		}
		unit, ok := durationUnits[unitName]
		if !ok {
			return 0, fmt.Errorf("invalid duration %q: unknown unit %q (use d, h, m, s, ms, us or ns)", orig, unitName)
		}
		v, err := scaled(whole, frac, unit)
		if err != nil || total+v < total || total+v > math.MaxInt64 {
			return 0, fmt.Errorf("invalid duration %q: too long", orig)
		}
		total += v
	}
	return Duration(total), nil
}

// scaled returns whole.frac * unit, dropping what is below a nanosecond.
func scaled(whole, frac string, unit uint64) (uint64, error) {
	var v uint64
	if whole != "" {
		w, err := strconv.ParseUint(whole, 10, 64)
		if err != nil || w > math.MaxInt64/unit {
			return 0, errors.New("overflow")
		}
		v = w * unit
	}
	if len(frac) > 18 { // beyond a nanosecond of any unit
		frac = frac[:18]
	}
	if frac != "" {
		f, _ := strconv.ParseUint(frac, 10, 64)
		scale := uint64(1)
		for range frac {
			scale *= 10
		}
		// f*unit/scale < unit, so the quotient fits and Div64 cannot panic.
		hi, lo := bits.Mul64(f, unit)
		q, _ := bits.Div64(hi, lo, scale)
		v += q
	}
	return v, nil
}

// Std returns d as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// String formats d canonically, largest unit first and zero parts left out:
// "2d", "1d12h", "1h30m", "1m30s", "1.5s", "500ms", "0s". ParseDuration
// reads every such string back to the same value.
func (d Duration) String() string {
	if d == 0 {
		return "0s"
	}
	var b strings.Builder
	u := uint64(d)
	if d < 0 {
		b.WriteByte('-')
		u = -u
	}
	for _, part := range []struct {
		unit uint64
		name string
	}{{uint64(Day), "d"}, {uint64(time.Hour), "h"}, {uint64(time.Minute), "m"}} {
		if n := u / part.unit; n > 0 {
			b.WriteString(strconv.FormatUint(n, 10) + part.name)
			u %= part.unit
		}
	}
	if u > 0 {
		// Under a minute: Go's own format ("30s", "1.5s", "250ms", "1µs").
		b.WriteString(time.Duration(u).String())
	}
	return b.String()
}

// MarshalJSON writes d as its canonical string, e.g. "1h30m".
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(d.String())
}

// UnmarshalJSON reads a duration string such as "90s" or "2d". JSON null
// leaves d unchanged.
func (d *Duration) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string such as \"90s\" or \"2d\": %w", err)
	}
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Duration is a time.Duration written as a string ("90s", "1h30m", "2d").
// See ParseDuration and Duration.String.
type Duration time.Duration
