package schedule

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	cron "github.com/netresearch/go-cron"
)

// macros are the cron macros and the expressions they stand for.
var macros = map[string]string{
	"@yearly":   "0 0 1 1 *",
	"@annually": "0 0 1 1 *",
	"@monthly":  "0 0 1 * *",
	"@weekly":   "0 0 * * 0",
	"@daily":    "0 0 * * *",
	"@midnight": "0 0 * * *",
	"@hourly":   "0 * * * *",
}

// cronFields describes the six fields in order: go-cron's option, the
// range of values and, for months and weekdays, the names.
var cronFields = [6]struct {
	name     string
	opt      cron.ParseOption
	min, max int
	names    []string // names[i] is value min+i
}{
	{"second", cron.Second, 0, 59, nil},
	{"minute", cron.Minute, 0, 59, nil},
	{"hour", cron.Hour, 0, 23, nil},
	{"day-of-month", cron.Dom, 1, 31, nil},
	{"month", cron.Month, 1, 12, []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}},
	{"day-of-week", cron.Dow, 0, 7, []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}},
}

const starBit = 1 << 63 // go-cron marks fields written with * by this bit

// parseCron reads a Spec.Cron: either an interval (@every) or cron fields.
func parseCron(text string) (time.Duration, *fields, error) {
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return 0, nil, errors.New("must not be empty")
	case strings.HasPrefix(text, "TZ=") || strings.HasPrefix(text, "CRON_TZ="):
		return 0, nil, errors.New("set the time zone with the timezone field, not with a TZ= prefix")
	case strings.HasPrefix(text, "@"):
		words := strings.Fields(text)
		name, arg := strings.ToLower(words[0]), strings.Join(words[1:], " ")
		if name == "@every" {
			d, err := parseEvery(arg)
			return d, nil, err
		}
		expr, ok := macros[name]
		if !ok {
			return 0, nil, fmt.Errorf("unknown macro %q (use @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly or @every <duration>)", words[0])
		}
		if arg != "" {
			return 0, nil, fmt.Errorf("%s takes no argument, got %q", name, arg)
		}
		text = expr
	}
	f, err := parseFields(text)
	return 0, f, err
}

// parseEvery reads the duration of "@every <duration>".
func parseEvery(arg string) (time.Duration, error) {
	if arg == "" {
		return 0, errors.New("@every needs a duration, e.g. @every 1h30m")
	}
	d, err := time.ParseDuration(arg)
	if err != nil {
		return 0, fmt.Errorf("@every %s: not a duration (Go syntax, e.g. 90s or 1h30m)", arg)
	}
	if d < time.Second {
		return 0, fmt.Errorf("@every %s: must be at least 1s", arg)
	}
	return d, nil
}

// parseFields reads five or six cron fields.
func parseFields(text string) (*fields, error) {
	orig := strings.Fields(text)
	switch len(orig) {
	case 5:
		orig = append([]string{"0"}, orig...)
	case 6:
	default:
		return nil, fmt.Errorf("expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, got %d in %q", len(orig), text)
	}
	var fs [6]string
	var v [6]uint64
	for i, cf := range cronFields {
		// Lower case: go-cron reads any "H" as its hash syntax, even
		// inside "THU".
		fs[i] = strings.ToLower(orig[i])
		b, err := uint64(0), checkField(i, orig[i])
		if err == nil {
			b, err = fieldBits(fs[i], cf.opt)
		}
		if err != nil {
			return nil, fmt.Errorf("%s field %q: %w", cf.name, orig[i], err)
		}
		v[i] = b
	}
	f := &fields{
		second:   v[0],
		minute:   v[1],
		hour:     v[2],
		dom:      v[3],
		month:    v[4],
		dow:      v[5] & 0x7f, // go-cron maps 7 to Sunday (0) already
		domStar:  strings.HasPrefix(fs[3], "*") || strings.HasPrefix(fs[3], "?"),
		dowStar:  strings.HasPrefix(fs[5], "*") || strings.HasPrefix(fs[5], "?"),
		allHours: spansAllHours(fs[2]),
	}
	if (f.domStar || f.dowStar) && !f.someDayExists() {
		return nil, fmt.Errorf("never due: day-of-month %q does not occur in month %q", orig[3], orig[4])
	}
	return f, nil
}

// checkField checks the syntax of field i, a list of items "range" or
// "range/step" where range is *, a value or value-value, so that mistakes
// are worded alike whatever go-cron would say.
func checkField(i int, field string) error {
	cf := cronFields[i]
	for item := range strings.SplitSeq(field, ",") {
		rng, step, stepped := strings.Cut(item, "/")
		if n, err := strconv.Atoi(step); stepped && (err != nil || n <= 0) {
			return fmt.Errorf("step %q is not a positive number", step)
		}
		switch {
		case item == "":
			return errors.New("empty list item")
		case rng == "*":
			continue
		case rng == "?":
			if i == 3 || i == 5 {
				continue
			}
			return errors.New("? is allowed only in day-of-month and day-of-week")
		}
		lo, hi, isRange := strings.Cut(rng, "-")
		if err := checkValue(lo, cf.min, cf.max, cf.names); err != nil {
			return err
		}
		if isRange {
			if err := checkValue(hi, cf.min, cf.max, cf.names); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkValue checks one number or name of a field.
func checkValue(v string, lo, hi int, names []string) error {
	if v == "" {
		return errors.New("missing number")
	}
	if n, err := strconv.Atoi(v); err == nil && v[0] != '+' {
		if n < lo || n > hi {
			return fmt.Errorf("%d is out of range %d-%d", n, lo, hi)
		}
		return nil
	}
	if names == nil {
		return fmt.Errorf("%q is not a number", v)
	}
	if slices.Contains(names, strings.ToLower(v)) {
		return nil
	}
	return fmt.Errorf("%q is not a number or a name (%s-%s)", v, strings.ToUpper(names[0]), strings.ToUpper(names[len(names)-1]))
}

// fieldBits parses one checked field with go-cron, which knows ranges,
// steps, wrap-around ranges (22-2) and names.
func fieldBits(field string, opt cron.ParseOption) (uint64, error) {
	p, err := cron.TryNewParser(opt)
	if err != nil {
		return 0, err
	}
	s, err := p.Parse(field)
	if err != nil {
		return 0, err
	}
	spec, ok := s.(*cron.SpecSchedule)
	if !ok {
		return 0, errors.New("not a cron field")
	}
	var v uint64
	switch opt {
	case cron.Second:
		v = spec.Second
	case cron.Minute:
		v = spec.Minute
	case cron.Hour:
		v = spec.Hour
	case cron.Dom:
		v = spec.Dom
	case cron.Month:
		v = spec.Month
	case cron.Dow:
		v = spec.Dow
	}
	if v &^= starBit; v == 0 {
		return 0, errors.New("matches no value")
	}
	return v, nil
}

// spansAllHours reports an hour field that is one range, with or without a
// step, covering all 24 hours: *, */n, 0-23, 0-23/n, 0/n.
func spansAllHours(field string) bool {
	if strings.Contains(field, ",") {
		return false
	}
	rng, _, step := strings.Cut(field, "/")
	if step && !strings.ContainsAny(rng, "-*?") {
		rng += "-23" // "N/step" means N-23/step
	}
	b, err := fieldBits(rng, cron.Hour)
	return err == nil && b == 1<<24-1
}
