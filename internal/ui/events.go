package ui

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/baton-sched/baton/client"
)

const (
	eventsPerPage = 100
	// eventsWindow is how far back the events page reads when no time or
	// position is asked for.
	eventsWindow = time.Hour
)

// timeLayouts are what a time filter accepts: the browser's
// datetime-local value (UTC) and RFC 3339.
var timeLayouts = []string{"2006-01-02T15:04", "2006-01-02T15:04:05", time.RFC3339}

// parseTime reads a time filter; the error names the field.
func parseTime(field, v string) (time.Time, string) {
	if v == "" {
		return time.Time{}, ""
	}
	for _, l := range timeLayouts {
		if t, err := time.ParseInLocation(l, v, time.UTC); err == nil {
			return t, ""
		}
	}
	return time.Time{}, field + ": not a time (YYYY-MM-DDTHH:MM, UTC): " + v
}

// inputTime writes t for a datetime-local input.
func inputTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04")
}

type eventsForm struct {
	Kind, Actor, Run, From, To string
}

// events serves the audit trail, oldest first, filtered by kind, actor,
// run and time, a page at a time.
func (h *Handler) events(w http.ResponseWriter, r *http.Request) {
	qs := r.URL.Query()
	form := eventsForm{Kind: strings.TrimSpace(qs.Get("kind")), Actor: strings.TrimSpace(qs.Get("actor")),
		Run: strings.TrimSpace(qs.Get("run"))}
	q := EventQuery{Kind: form.Kind, Actor: form.Actor, Limit: eventsPerPage}
	var problems []string
	if form.Run != "" {
		id, err := strconv.ParseInt(form.Run, 10, 64)
		if err != nil || id <= 0 {
			problems = append(problems, "run: not a run ID: "+form.Run)
		}
		q.Run = id
	}
	var msg string
	if q.From, msg = parseTime("from", qs.Get("from")); msg != "" {
		problems = append(problems, msg)
	}
	if q.To, msg = parseTime("to", qs.Get("to")); msg != "" {
		problems = append(problems, msg)
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.To.After(q.From) {
		problems = append(problems, "to: must be after from")
	}
	if a := qs.Get("after"); a != "" {
		var err error
		if q.After, err = strconv.ParseInt(a, 10, 64); err != nil || q.After < 0 {
			problems = append(problems, "after: not an event ID: "+a)
		}
	}
	if len(problems) > 0 {
		h.fail(w, r, http.StatusBadRequest, strings.Join(problems, "; "))
		return
	}
	// With no time, position or run asked for: the last hour.
	if q.From.IsZero() && q.To.IsZero() && q.After == 0 && q.Run == 0 {
		q.From = h.opts.Now().Add(-eventsWindow).Truncate(time.Minute)
	}
	form.From, form.To = inputTime(q.From), inputTime(q.To)
	evs, err := h.src.Events(r.Context(), q)
	if err != nil {
		h.readErr(w, r, err)
		return
	}
	v := url.Values{}
	for k, val := range map[string]string{"kind": form.Kind, "actor": form.Actor, "run": form.Run,
		"from": form.From, "to": form.To} {
		if val != "" {
			v.Set(k, val)
		}
	}
	data := map[string]any{"Events": evs, "Form": form, "First": "/events?" + v.Encode(), "Paged": q.After != 0}
	if int64(len(evs)) == q.Limit {
		v.Set("after", strconv.FormatInt(evs[len(evs)-1].ID, 10))
		data["Next"] = "/events?" + v.Encode()
	}
	h.render(w, r, http.StatusOK, "events", page{Title: "Events", Nav: "events", Data: data})
}

// eventState is the state an event moved to, for its colour.
func eventState(e client.Event) string {
	if e.NewState != "" {
		return e.NewState
	}
	if _, after, ok := strings.Cut(e.Kind, "."); ok {
		return after
	}
	return e.Kind
}
