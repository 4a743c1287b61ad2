package ui

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/baton-sched/baton/client"
)

const eventsPerPage = 100

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

// events serves the audit trail newest first, filtered by kind, actor,
// run and time, a page at a time: before=ID pages to older events (the
// store reads its indexes backwards from there), after=ID to newer ones.
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
	for _, c := range []struct {
		name string
		to   *int64
	}{{"after", &q.After}, {"before", &q.Before}} {
		if a := qs.Get(c.name); a != "" {
			var err error
			if *c.to, err = strconv.ParseInt(a, 10, 64); err != nil || *c.to <= 0 {
				problems = append(problems, c.name+": not an event ID: "+a)
			}
		}
	}
	if q.After != 0 && q.Before != 0 {
		problems = append(problems, "before: give before or after, not both")
	}
	if len(problems) > 0 {
		h.fail(w, r, http.StatusBadRequest, strings.Join(problems, "; "))
		return
	}
	// Newer pages read forwards from after and show reversed; every
	// other page reads newest first.
	q.Newest = q.After == 0
	form.From, form.To = inputTime(q.From), inputTime(q.To)
	evs, err := h.src.Events(r.Context(), q)
	if err != nil {
		h.readErr(w, r, err)
		return
	}
	if !q.Newest {
		slices.Reverse(evs)
	}
	v := url.Values{}
	for k, val := range map[string]string{"kind": form.Kind, "actor": form.Actor, "run": form.Run,
		"from": form.From, "to": form.To} {
		if val != "" {
			v.Set(k, val)
		}
	}
	data := map[string]any{"Events": evs, "Form": form, "First": "/events?" + v.Encode(),
		"Paged": q.After != 0 || q.Before != 0}
	link := func(k string, id int64) string {
		l := url.Values{}
		maps.Copy(l, v)
		l.Set(k, strconv.FormatInt(id, 10))
		return "/events?" + l.Encode()
	}
	full := int64(len(evs)) == q.Limit
	switch {
	case len(evs) == 0 && q.After != 0:
		data["Older"] = link("before", q.After+1)
	case len(evs) == 0 && q.Before > 1:
		data["Newer"] = link("after", q.Before-1)
	case len(evs) > 0:
		// Older ones exist below a full newest-first page and below
		// any newer page's cursor; newer ones above a full newer page
		// and above any older page's cursor.
		if full || q.After != 0 {
			data["Older"] = link("before", evs[len(evs)-1].ID)
		}
		if (q.After != 0 && full) || q.Before != 0 {
			data["Newer"] = link("after", evs[0].ID)
		}
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
