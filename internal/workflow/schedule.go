package workflow

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/baton-sched/baton/internal/schedule"
)

// maxSchedules is the most schedules a workflow may have; schema.json's
// maxItems of schedules says the same.
const maxSchedules = 100

// defaultScheduleName names the schedule of the `schedule:` shorthand when
// it gives no name.
const defaultScheduleName = "default"

// The catch-up and overlap policies, in the order schema.json's enums list
// them; a test checks that package schedule reads each.
var (
	catchupPolicies = []string{string(schedule.CatchupNone), string(schedule.CatchupLatest), string(schedule.CatchupAll)}
	overlapPolicies = []string{
		string(schedule.OverlapSkip), string(schedule.OverlapBufferOne), string(schedule.OverlapBufferAll),
		string(schedule.OverlapCancelOther), string(schedule.OverlapAllowAll),
	}
)

var (
	pathSchedule  = path{}.key("schedule")
	pathSchedules = path{}.key("schedules")
)

// Spec returns the schedule's timing for package schedule.
func (s Schedule) Spec() schedule.Spec {
	return schedule.Spec{
		Cron:     s.Cron,
		Timezone: s.Timezone,
		Start:    s.Start,
		End:      s.End,
		Jitter:   s.Jitter.Std(),
	}
}

// decodeSchedules reads `schedule:` and `schedules:` into one list, the
// shorthand first, and records where each came from in v.schedules. Both
// are read even when both are given (an error), so that every problem in
// either is reported. An empty list is nil, so that a definition reads back
// the same from its JSON.
func (v *validator) decodeSchedules(root map[string]any) []Schedule {
	var out []Schedule
	add := func(s Schedule, p path) {
		out = append(out, s)
		v.schedules = append(v.schedules, p)
	}
	one, hasOne := root["schedule"]
	_, hasList := root["schedules"]
	if hasOne && hasList {
		v.ps.add(pathSchedule, "give schedule or schedules, not both (move this one into the schedules list)")
	}
	if m, ok := one.(map[string]any); ok {
		s := v.decodeSchedule(m, pathSchedule)
		if _, named := m["name"]; !named {
			s.Name = defaultScheduleName
		}
		add(s, pathSchedule)
	}
	// Every item gets a Schedule, even a malformed one (with a nil path:
	// there is nothing more to check), so indexes match the source.
	list, _ := root["schedules"].([]any)
	for i, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			add(Schedule{}, nil)
			continue
		}
		p := pathSchedules.index(i)
		add(v.decodeSchedule(m, p), p)
	}
	return out
}

// decodeSchedule reads one schedule at p and checks its fields, each on its
// own; checkSchedules checks names and params against the workflow.
func (v *validator) decodeSchedule(m map[string]any, p path) Schedule {
	var s Schedule
	s.Name, _ = m["name"].(string)
	cron, hasCron := m["cron"].(string)
	s.Cron = cron
	s.Timezone, _ = m["timezone"].(string)
	s.Start = v.timestamp(m["start"], p.key("start"))
	s.End = v.timestamp(m["end"], p.key("end"))
	if str, ok := m["jitter"].(string); ok {
		s.Jitter = v.duration(str, p.key("jitter"))
	}
	if str, ok := m["catchup"].(string); ok {
		s.Catchup = str
		if _, err := schedule.ParseCatchup(str); err != nil || str == "" {
			v.ps.add(p.key("catchup"), "%s", stringEnumMessage(str, catchupPolicies))
		}
	}
	if str, ok := m["catchup_window"].(string); ok {
		s.CatchupWindow = v.duration(str, p.key("catchup_window"))
	}
	if str, ok := m["overlap"].(string); ok {
		s.Overlap = str
		if _, err := schedule.ParseOverlap(str); err != nil || str == "" {
			v.ps.add(p.key("overlap"), "%s", stringEnumMessage(str, overlapPolicies))
		}
	}
	if params, ok := m["params"].(map[string]any); ok && len(params) > 0 {
		s.Params = make(map[string]string, len(params))
		for name, pv := range params {
			// A value of the wrong type (the schema said so) reads as "",
			// so that the parameter still counts as given.
			s.Params[name], _ = scalarString(pv)
		}
	}
	s.Paused, _ = m["paused"].(bool)

	if _, err := schedule.Parse(s.Spec()); err != nil {
		for _, fe := range fieldErrors(err) {
			if fe.Field == "cron" && !hasCron {
				continue // missing or not a string: the schema said so
			}
			at := p
			if fe.Field != "" {
				at = p.key(fe.Field)
			}
			v.ps.add(at, "%s", fe.Message)
		}
	}
	return s
}

// fieldErrors lists the *schedule.FieldError values in an error of
// schedule.Parse, which joins them when there are several.
func fieldErrors(err error) []*schedule.FieldError {
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	var out []*schedule.FieldError
	for _, e := range errs {
		var fe *schedule.FieldError
		if !errors.As(e, &fe) {
			fe = &schedule.FieldError{Message: e.Error()} // reported at the schedule
		}
		out = append(out, fe)
	}
	return out
}

// timestamp reads an RFC 3339 time at p, reporting it if it is bad. Values
// that are not strings were reported by the schema and read as zero.
func (v *validator) timestamp(val any, p path) time.Time {
	s, ok := val.(string)
	if !ok {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err == nil {
		// Parse takes offsets that JSON cannot store, such as +24:00.
		_, err = t.MarshalText()
	}
	if err != nil {
		v.ps.add(p, "invalid time %s: write it in RFC 3339, such as \"2026-01-01T02:00:00Z\" or \"2026-01-01T02:00:00+08:00\"", shorten(s))
		return time.Time{}
	}
	return t
}

// checkSchedules reports repeated schedule names, and schedule params that
// the workflow does not declare or that leave out a required parameter:
// every run a schedule starts must have valid parameters.
func (v *validator) checkSchedules(d *Definition) {
	first := map[string]int{}
	declared := slices.Sorted(maps.Keys(d.Params))
	for i, s := range d.Schedules {
		p := v.schedules[i]
		if p == nil {
			continue
		}
		if s.Name != "" {
			if j, dup := first[s.Name]; dup {
				v.ps.add(p.key("name"), "duplicate schedule name %q (first used by %s)", s.Name, v.schedules[j])
			} else {
				first[s.Name] = i
			}
		}
		for _, name := range slices.Sorted(maps.Keys(s.Params)) {
			if _, ok := d.Params[name]; ok {
				continue
			}
			msg := fmt.Sprintf("unknown parameter %s: not declared in params", shorten(name))
			if sug := suggest(name, declared); sug != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", sug)
			}
			v.ps.add(p.key("params").key(name), "%s", msg)
		}
		for _, name := range declared {
			if _, given := s.Params[name]; !given && d.Params[name].Default == nil {
				v.ps.add(p.key("params"), "missing required parameter %q (it has no default)", name)
			}
		}
	}
}
