package ui

import (
	"fmt"
	"net/http"
	"strconv"
)

// adminPerPage is the rows a page of an administration list shows.
const adminPerPage = 100

// pageOf cuts the page ?page=N out of n rows: the range and the links
// to the pages before and after ("" for none).
func pageOf(r *http.Request, path string, n int) (from, to int, prev, next string) {
	no, _ := strconv.Atoi(r.URL.Query().Get("page"))
	no = max(no, 1)
	from = min((no-1)*adminPerPage, n)
	to = min(from+adminPerPage, n)
	if to < n {
		next = fmt.Sprintf("%s?page=%d", path, no+1)
	}
	if no > 1 {
		prev = fmt.Sprintf("%s?page=%d", path, no-1)
	}
	return from, to, prev, next
}

func (h *Handler) schedules(w http.ResponseWriter, r *http.Request) {
	ss, err := h.src.Schedules(r.Context())
	if err != nil {
		h.readErr(w, r, err)
		return
	}
	from, to, prev, next := pageOf(r, "/schedules", len(ss))
	h.render(w, r, http.StatusOK, "schedules", page{Title: "Schedules", Nav: "schedules", Data: map[string]any{
		"Schedules": ss[from:to], "Total": len(ss), "Prev": prev, "Next": next,
	}})
}

func (h *Handler) slots(w http.ResponseWriter, r *http.Request) {
	ss, err := h.src.Slots(r.Context())
	if err != nil {
		h.readErr(w, r, err)
		return
	}
	from, to, prev, next := pageOf(r, "/slots", len(ss))
	h.render(w, r, http.StatusOK, "slots", page{Title: "Slots", Nav: "slots", Data: map[string]any{
		"Slots": ss[from:to], "Total": len(ss), "Prev": prev, "Next": next,
	}})
}

func (h *Handler) alerts(w http.ResponseWriter, r *http.Request) {
	h.alertsPage(w, r, http.StatusOK, nil)
}

// alertsPage answers the alerts page, with the channel form as sent
// when it was refused (nil: empty).
func (h *Handler) alertsPage(w http.ResponseWriter, r *http.Request, status int, form *channelForm) {
	a, err := h.src.Alerts(r.Context())
	if err != nil {
		h.readErr(w, r, err)
		return
	}
	if form == nil {
		form = &channelForm{}
	}
	from, to, prev, next := pageOf(r, "/alerts", len(a.Pending))
	h.render(w, r, status, "alerts", page{Title: "Alert channels", Nav: "alerts", Data: map[string]any{
		"Channels": a.Channels, "Pending": a.Pending[from:to], "Total": len(a.Pending), "Prev": prev, "Next": next,
		"Form": form,
	}})
}

func (h *Handler) tokens(w http.ResponseWriter, r *http.Request) {
	ts, err := h.src.Tokens(r.Context())
	if err != nil {
		h.readErr(w, r, err)
		return
	}
	from, to, prev, next := pageOf(r, "/tokens", len(ts))
	h.render(w, r, http.StatusOK, "tokens", page{Title: "Tokens", Nav: "tokens", Data: map[string]any{
		"Tokens": ts[from:to], "Total": len(ts), "Prev": prev, "Next": next, "Roles": tokenRoles,
	}})
}

func (h *Handler) users(w http.ResponseWriter, r *http.Request) {
	us, err := h.src.Users(r.Context())
	if err != nil {
		h.readErr(w, r, err)
		return
	}
	from, to, prev, next := pageOf(r, "/users", len(us))
	h.render(w, r, http.StatusOK, "users", page{Title: "Users", Nav: "users", Data: map[string]any{
		"Users": us[from:to], "Total": len(us), "Prev": prev, "Next": next, "Roles": tokenRoles[:4],
	}})
}
