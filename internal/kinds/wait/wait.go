// Package wait is the block of the wait task kind (a sensor): the servers
// check a condition every interval until it holds (the task succeeds) or
// the timeout passes (the task fails, or is skipped with on_timeout:
// skip). A waiting task holds no worker capacity: it queues in Group,
// which no worker serves. The engine's start and check functions
// (internal/engine/wait*.go) take the ready tasks, render their condition
// with Prepare and keep the waiting row.
package wait

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/baton-sched/baton/client/vocab"
	"github.com/baton-sched/baton/internal/egress"
	"github.com/baton-sched/baton/internal/taskkind"
)

// Group is the group of wait tasks: no worker serves it (worker groups
// may not start with "@"); the servers check their conditions.
const Group = "@wait"

// Defaults and bounds.
const (
	DefaultInterval = taskkind.Duration(30 * time.Second)
	MinInterval     = taskkind.Duration(time.Second)
	DefaultTimeout  = taskkind.Duration(24 * time.Hour)
	// Fail and Skip are what a wait's timeout does.
	Fail = "fail"
	Skip = "skip"
	// defaultLogicalDate is a wait's logical_date when it gives none.
	defaultLogicalDate = "${{ run.scheduled_date }}"
)

func init() {
	taskkind.Register(taskkind.Kind{
		Name: vocab.KindWait, Block: "wait", Rank: 60, Group: Group,
		Conflict: "a wait task runs no command: give one of run, noop, http, workflow, sql, approval and wait",
		Decode:   decode,
		New:      func() taskkind.Spec { return &Block{} },
		Schema:   map[string]json.RawMessage{"wait": json.RawMessage(schema)},
		Prepare:  prepare,
	})
}

// Block is a task's wait block. Exactly one of Workflow, HTTP and Until is
// the condition.
type Block struct {
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
	HTTP *HTTP `json:"http,omitempty"`
	// Until is a template rendering to an RFC 3339 time: the condition
	// holds once it is reached.
	Until string `json:"until,omitempty"`
	// Interval is how often the condition is checked (DefaultInterval
	// when zero; at least MinInterval).
	Interval taskkind.Duration `json:"interval,omitzero"`
	// Timeout is how long the task waits at most (DefaultTimeout when
	// zero).
	Timeout taskkind.Duration `json:"timeout,omitzero"`
	// OnTimeout is Fail (the default: the attempt times out and the retry
	// policy applies) or Skip (the task is skipped, which counts as
	// succeeded downstream).
	OnTimeout string `json:"on_timeout,omitempty"`
}

// HTTP is the HTTP condition of a wait: a GET of URL answers Status (any
// 2xx when zero) and, when BodyContains is set, a body containing it.
type HTTP struct {
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

var block = taskkind.P("wait")

// decode reads a task's wait block (nil when there is none); the schema
// checked its shape.
func decode(d taskkind.Decoder, task map[string]any) taskkind.Spec {
	m, ok := task["wait"].(map[string]any)
	if !ok {
		return nil
	}
	w := &Block{}
	if s, ok := m["workflow"].(string); ok {
		if !taskkind.ValidName(s) {
			d.Problem(block.Key("workflow"), "%s", taskkind.NameMessage(s))
		}
		w.Workflow = s
	}
	w.LogicalDate, _ = m["logical_date"].(string)
	w.Until, _ = m["until"].(string)
	if hm, ok := m["http"].(map[string]any); ok {
		h := &HTTP{}
		h.URL, _ = hm["url"].(string)
		if u := strings.TrimSpace(h.URL); u != "" && !strings.HasPrefix(u, "${{") &&
			!strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			d.Problem(block.Key("http").Key("url"), "must start with http:// or https://, got %s", taskkind.Shorten(u))
		}
		if hs, ok := hm["headers"].(map[string]any); ok {
			h.Headers = make(map[string]string, len(hs))
			for k, hv := range hs {
				h.Headers[k], _ = taskkind.Scalar(hv)
			}
		}
		h.Status, _ = taskkind.Integer(hm["status"])
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
		d.Problem(block, "a wait needs a condition: give one of workflow, http and until")
	case conds > 1:
		d.Problem(block, "a wait checks exactly one condition: give only one of workflow, http and until")
	case w.LogicalDate != "" && w.Workflow == "":
		d.Problem(block.Key("logical_date"), "logical_date chooses the run of another workflow: give workflow too")
	}
	if s := w.Until; s != "" && !strings.Contains(s, "${{") {
		if _, err := time.Parse(time.RFC3339, s); err != nil {
			d.Problem(block.Key("until"), "must be an RFC 3339 time such as 2026-12-07T06:00:00Z, got %s", taskkind.Shorten(s))
		}
	}
	if s := w.LogicalDate; s != "" && !strings.Contains(s, "${{") {
		if _, _, err := LogicalWindow(s); err != nil {
			d.Problem(block.Key("logical_date"), "%v", err)
		}
	}
	if s, ok := m["interval"].(string); ok {
		w.Interval = d.Duration(s, block.Key("interval"))
		if w.Interval < MinInterval {
			d.Problem(block.Key("interval"), "must be at least %s, got %s", MinInterval, s)
		}
	}
	if s, ok := m["timeout"].(string); ok {
		w.Timeout = d.Duration(s, block.Key("timeout"))
		if w.Timeout <= 0 {
			d.Problem(block.Key("timeout"), "must be positive, got %s", s)
		}
	}
	w.OnTimeout, _ = m["on_timeout"].(string)
	return w
}

// Templates: logical_date, until, the HTTP URL and body_contains (no
// secrets: they show in events) and the HTTP headers (secrets allowed).
func (w *Block) Templates() []taskkind.Template {
	out := []taskkind.Template{{Path: block.Key("logical_date"), Text: w.LogicalDate},
		{Path: block.Key("until"), Text: w.Until}}
	if h := w.HTTP; h != nil {
		hp := block.Key("http")
		out = append(out, taskkind.Template{Path: hp.Key("url"), Text: h.URL},
			taskkind.Template{Path: hp.Key("body_contains"), Text: h.BodyContains})
		for k, v := range h.Headers {
			out = append(out, taskkind.Template{Path: hp.Key("headers").Key(k), Text: v, Secrets: true})
		}
	}
	return out
}

// Keys writes the block under "wait".
func (w *Block) Keys() []taskkind.KeyValue { return []taskkind.KeyValue{{Key: "wait", Value: w}} }

// EffectiveLogicalDate is the logical_date template, defaulted.
func (w *Block) EffectiveLogicalDate() string {
	if w.LogicalDate == "" {
		return defaultLogicalDate
	}
	return w.LogicalDate
}

// EffectiveInterval is the interval, defaulted and bounded below.
func (w *Block) EffectiveInterval() time.Duration {
	if w.Interval == 0 {
		return DefaultInterval.Std()
	}
	return max(w.Interval, MinInterval).Std()
}

// EffectiveTimeout is the timeout, defaulted.
func (w *Block) EffectiveTimeout() time.Duration {
	if w.Timeout <= 0 {
		return DefaultTimeout.Std()
	}
	return w.Timeout.Std()
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
	return 0, 0, fmt.Errorf("must be a date (2026-12-07) or an RFC 3339 time (2026-12-07T02:00:00Z), got %s", taskkind.Shorten(s))
}

// Condition is a wait rendered for one attempt, the payload of its
// Prepare: exactly one of Workflow (with the window [FromMs, ToMs) of
// logical times), UntilMs and HTTP is set.
type Condition struct {
	Workflow   string        `json:"workflow,omitempty"`
	LogicalDay string        `json:"logical_date,omitempty"` // as rendered
	FromMs     int64         `json:"from_ms,omitempty"`
	ToMs       int64         `json:"to_ms,omitempty"`
	UntilMs    int64         `json:"until_ms,omitempty"`
	HTTP       *HTTPRequest  `json:"http,omitempty"`
	Interval   time.Duration `json:"interval"`
	Timeout    time.Duration `json:"timeout"`
	OnTimeout  string        `json:"on_timeout"`
}

// HTTPRequest is the HTTP condition rendered for one check.
type HTTPRequest struct {
	URL          string            `json:"url"`
	Headers      map[string]string `json:"headers,omitempty"`
	Status       int               `json:"status,omitempty"`
	BodyContains string            `json:"body_contains,omitempty"`
}

// prepare renders the condition. A rendered value of the wrong form
// (logical_date not a date, until not a time, the URL not http) fails the
// task: every attempt would render it alike.
func prepare(r taskkind.Renderer, s taskkind.Spec) (taskkind.Prepared, error) {
	w := s.(*Block)
	c := &Condition{Interval: w.EffectiveInterval(), Timeout: w.EffectiveTimeout(), OnTimeout: Fail}
	if w.OnTimeout == Skip {
		c.OnTimeout = Skip
	}
	switch {
	case w.Workflow != "":
		date, err := r.Render(block.Key("logical_date"), w.EffectiveLogicalDate())
		if err != nil {
			return taskkind.Prepared{}, err
		}
		from, to, err := LogicalWindow(date)
		if err != nil {
			return taskkind.Prepared{}, fmt.Errorf("%s: %w", block.Key("logical_date"), err)
		}
		c.Workflow, c.LogicalDay, c.FromMs, c.ToMs = w.Workflow, strings.TrimSpace(date), from, to
	case w.Until != "":
		until, err := r.Render(block.Key("until"), w.Until)
		if err != nil {
			return taskkind.Prepared{}, err
		}
		t, err := time.Parse(time.RFC3339, strings.TrimSpace(until))
		if err != nil {
			return taskkind.Prepared{}, fmt.Errorf("%s: not an RFC 3339 time: %q", block.Key("until"), until)
		}
		c.UntilMs = max(t.UnixMilli(), 1)
	case w.HTTP != nil:
		req, err := renderHTTP(r, w.HTTP)
		if err != nil {
			return taskkind.Prepared{}, err
		}
		c.HTTP = req
	}
	return taskkind.Prepared{Payload: c}, nil
}

func renderHTTP(r taskkind.Renderer, h *HTTP) (*HTTPRequest, error) {
	hp := block.Key("http")
	req := &HTTPRequest{Status: h.Status}
	var err error
	if req.URL, err = r.Render(hp.Key("url"), h.URL); err != nil {
		return nil, err
	}
	if u := strings.TrimSpace(req.URL); !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		return nil, fmt.Errorf("%s: must start with http:// or https://", hp.Key("url"))
	}
	if req.BodyContains, err = r.Render(hp.Key("body_contains"), h.BodyContains); err != nil {
		return nil, err
	}
	if len(h.Headers) > 0 {
		req.Headers = make(map[string]string, len(h.Headers))
	}
	for k, v := range h.Headers {
		if req.Headers[k], err = r.Render(hp.Key("headers").Key(k), v); err != nil {
			return nil, err
		}
	}
	return req, nil
}

// schema is the JSON Schema of the wait key, added to the definition's.
//
//go:embed schema.json
var schema []byte

// Describe says what the wait waits for, in words, for events and the
// task panel: no secrets (headers are not shown, the URL is redacted).
func (c *Condition) Describe() string {
	var what string
	switch {
	case c.Workflow != "":
		what = fmt.Sprintf("a run of %s for %s to succeed", c.Workflow, c.LogicalDay)
	case c.UntilMs > 0:
		what = "the time " + time.UnixMilli(c.UntilMs).UTC().Format(time.RFC3339)
	case c.HTTP != nil:
		what = "an answer from " + egress.Redact(c.HTTP.URL)
	}
	return fmt.Sprintf("waiting for %s (checked every %s, timeout %s, then %s)", what, c.Interval, c.Timeout, c.OnTimeout)
}
