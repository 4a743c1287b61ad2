package ui

import (
	"errors"
	"net/http"
	"strings"

	"github.com/baton-sched/baton/client"
)

// channelForm is the alerts page's form that creates (or replaces) an
// alert channel: what was sent, and what was wrong with it by field.
// The URL is never filled back in: it may hold credentials, and the
// refusal names it redacted only.
type channelForm struct {
	Name, Events string
	// Errors are the problems by field (name, url, events, secret);
	// Other the ones no field owns, and the refusal's detail.
	Errors map[string]string
	Other  []string
}

// channelFields are the fields an error message may start with.
var channelFields = []string{"name", "url", "events", "secret"}

// setChannel creates or replaces an alert channel with the API
// operation's function; a refusal shows the page again with each problem
// next to its field, and stores nothing.
func (h *Handler) setChannel(w http.ResponseWriter, r *http.Request, a AdminActions) {
	name := strings.TrimSpace(r.PostFormValue("name"))
	c := client.AlertChannel{URL: strings.TrimSpace(r.PostFormValue("url")), Events: splitList(r.PostFormValue("events")),
		Secret: r.PostFormValue("secret")}
	if _, err := a.SetAlertChannel(r.Context(), name, c); err != nil {
		var ae *ActionError
		if !errors.As(err, &ae) {
			ae = &ActionError{Status: http.StatusInternalServerError, Detail: actionMessage(err)}
		}
		form := &channelForm{Name: name, Events: strings.Join(c.Events, ", "), Errors: map[string]string{}}
		form.Other = append(form.Other, ae.Detail)
		for _, p := range ae.Problems {
			for _, msg := range strings.Split(p.Message, "; ") {
				if f := channelField(p.Location, msg); f != "" {
					form.Errors[f] = strings.TrimSpace(strings.Join([]string{form.Errors[f], msg}, " "))
				} else {
					form.Other = append(form.Other, strings.TrimPrefix(p.Location+": ", ": ")+msg)
				}
			}
		}
		h.alertsPage(w, r, ae.Status, form)
		return
	}
	h.done(w, r, "/alerts", "Alert channel "+name+" saved.", nil)
}

// channelField is the field a problem is about: its location
// (body.url) or its message's prefix (url: …); "" for none.
func channelField(location, msg string) string {
	for _, f := range channelFields {
		if location == f || location == "body."+f || strings.HasPrefix(msg, f+": ") {
			return f
		}
	}
	return ""
}
