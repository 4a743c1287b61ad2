package workflow

import (
	"fmt"
	"strings"
	"time"
)

// Wait makes a task a sensor: the servers check a condition every
// Interval until it holds (the task succeeds) or Timeout passes (the task
// fails, or is skipped with OnTimeout skip). A waiting task holds no worker
// capacity: it queues in WaitGroup, which no worker serves. Exactly one of
// Workflow, HTTP and Until is the condition.
type Wait struct {
	// Workflow names another workflow: the condition holds once one of its
	// runs for LogicalDate has succeeded.
	Workflow string `json:"workflow,omitempty"`
	// LogicalDate is a template that renders to a date (YYYY-MM-DD: the
	// runs whose logical time falls on that UTC day) or an RFC 3339 time
	// (the runs whose logical time is exactly that). Empty means this
	// run's date, ${{ run.scheduled_date }}. A run's logical time is its
	// schedule's due time, or its creation time for a run started by hand.
	LogicalDate string `json:"logical_date,omitempty"`
	// HTTP makes the condition an HTTP endpoint answering as expected.
	HTTP *WaitHTTP `json:"http,omitempty"`
	// Until is a template rendering to an RFC 3339 time: the condition
	// holds once it is reached.
	Until string `json:"until,omitempty"`
	// Interval is how often the condition is checked (DefaultWaitInterval
	// when zero; at least MinWaitInterval).
	Interval Duration `json:"interval,omitzero"`
	// Timeout is how long the task waits at most (DefaultWaitTimeout when
	// zero).
	Timeout Duration `json:"timeout,omitzero"`
	// OnTimeout is WaitFail (the default: the attempt times out and the
	// retry policy applies) or WaitSkip (the task is skipped, which
	// counts as succeeded downstream).
	OnTimeout string `json:"on_timeout,omitempty"`
}

// WaitHTTP is the HTTP condition of a wait: a GET of URL answers Status
// (any 2xx when zero) and, when BodyContains is set, a body containing it.
type WaitHTTP struct {
	// URL is an http:// or https:// URL, a template (no secrets).
	URL string `json:"url"`
	// Headers are request headers; values are templates, secrets allowed.
	Headers map[string]string `json:"headers,omitempty"`
	// Status is the status expected; zero means any 2xx.
	Status int `json:"status,omitempty"`
	// BodyContains, when set, must occur in the first 64 KiB of the body;
	// a template (no secrets).
	BodyContains string `json:"body_contains,omitempty"`
}

// Wait defaults and bounds.
const (
	DefaultWaitInterval = Duration(30 * time.Second)
	MinWaitInterval     = Duration(time.Second)
	DefaultWaitTimeout  = Duration(24 * time.Hour)
	// WaitFail and WaitSkip are what a wait's timeout does.
	WaitFail = "fail"
	WaitSkip = "skip"
	// WaitGroup is the group of wait tasks: no worker serves it; the
	// servers check their conditions.
	WaitGroup = "@wait"
	// defaultLogicalDate is a wait's logical_date when it gives none.
	defaultLogicalDate = "${{ run.scheduled_date }}"
)

// decodeWait reads a task's wait block (nil when there is none); the
// schema checked its shape.
func (v *validator) decodeWait(val any, p path) *Wait {
	m, ok := val.(map[string]any)
	if !ok {
		return nil
	}
	w := &Wait{}
	w.Workflow = v.decodeName(m["workflow"], p.key("workflow"))
	w.LogicalDate, _ = m["logical_date"].(string)
	w.Until, _ = m["until"].(string)
	if hm, ok := m["http"].(map[string]any); ok {
		h := &WaitHTTP{}
		h.URL, _ = hm["url"].(string)
		if u := strings.TrimSpace(h.URL); u != "" && !strings.HasPrefix(u, "${{") &&
			!strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			v.ps.add(p.key("http").key("url"), "must start with http:// or https://, got %s", shorten(u))
		}
		if hs, ok := hm["headers"].(map[string]any); ok {
			h.Headers = make(map[string]string, len(hs))
			for k, hv := range hs {
				h.Headers[k], _ = scalarString(hv)
			}
		}
		h.Status, _ = integer(hm["status"])
		h.BodyContains, _ = hm["body_contains"].(string)
		w.HTTP = h
	}
	conds := 0
	for _, set := range []bool{w.Workflow != "", w.HTTP != nil, w.Until != ""} {
		if set {
			conds++
		}
	}
	switch {
	case conds == 0:
		v.ps.add(p, "a wait needs a condition: give one of workflow, http and until")
	case conds > 1:
		v.ps.add(p, "a wait checks exactly one condition: give only one of workflow, http and until")
	case w.LogicalDate != "" && w.Workflow == "":
		v.ps.add(p.key("logical_date"), "logical_date chooses the run of another workflow: give workflow too")
	}
	if s := w.Until; s != "" && !strings.Contains(s, "${{") {
		if _, err := time.Parse(time.RFC3339, s); err != nil {
			v.ps.add(p.key("until"), "must be an RFC 3339 time such as 2026-12-07T06:00:00Z, got %s", shorten(s))
		}
	}
	if s := w.LogicalDate; s != "" && !strings.Contains(s, "${{") {
		if _, _, err := LogicalWindow(s); err != nil {
			v.ps.add(p.key("logical_date"), "%v", err)
		}
	}
	if s, ok := m["interval"].(string); ok {
		w.Interval = v.duration(s, p.key("interval"))
		if w.Interval < MinWaitInterval {
			v.ps.add(p.key("interval"), "must be at least %s, got %s", MinWaitInterval, s)
		}
	}
	if s, ok := m["timeout"].(string); ok {
		w.Timeout = v.duration(s, p.key("timeout"))
		if w.Timeout <= 0 {
			v.ps.add(p.key("timeout"), "must be positive, got %s", s)
		}
	}
	w.OnTimeout, _ = m["on_timeout"].(string)
	return w
}

// templates returns the block's templates by field path.
func (w *Wait) templates(p path) map[string]tmplField {
	out := map[string]tmplField{"logical_date": {w.LogicalDate, p.key("logical_date")},
		"until": {w.Until, p.key("until")}}
	if h := w.HTTP; h != nil {
		hp := p.key("http")
		out["http.url"] = tmplField{h.URL, hp.key("url")}
		out["http.body_contains"] = tmplField{h.BodyContains, hp.key("body_contains")}
		for k, val := range h.Headers {
			out["http.headers."+k] = tmplField{val, hp.key("headers").key(k)}
		}
	}
	return out
}

// secretField says whether a wait template (a key of templates) may refer
// to secrets: only HTTP headers may.
func (w *Wait) secretField(key string) bool { return strings.HasPrefix(key, "http.headers.") }

// EffectiveLogicalDate is the logical_date template, defaulted.
func (w *Wait) EffectiveLogicalDate() string {
	if w.LogicalDate == "" {
		return defaultLogicalDate
	}
	return w.LogicalDate
}

// EffectiveInterval is the interval, defaulted and bounded below.
func (w *Wait) EffectiveInterval() time.Duration {
	if w.Interval == 0 {
		return time.Duration(DefaultWaitInterval)
	}
	return time.Duration(max(w.Interval, MinWaitInterval))
}

// EffectiveTimeout is the timeout, defaulted.
func (w *Wait) EffectiveTimeout() time.Duration {
	if w.Timeout <= 0 {
		return time.Duration(DefaultWaitTimeout)
	}
	return time.Duration(w.Timeout)
}

// LogicalWindow reads a rendered logical_date: a date YYYY-MM-DD is the
// UTC day [from, to); an RFC 3339 time t is [t, t+1ms). Times are Unix
// milliseconds.
func LogicalWindow(s string) (from, to int64, err error) {
	s = strings.TrimSpace(s)
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		return d.UnixMilli(), d.AddDate(0, 0, 1).UnixMilli(), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UnixMilli(), t.UnixMilli() + 1, nil
	}
	return 0, 0, fmt.Errorf("must be a date (2026-12-07) or an RFC 3339 time (2026-12-07T02:00:00Z), got %s", shorten(s))
}
