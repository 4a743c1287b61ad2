package ui

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/baton-sched/baton/internal/auth"
)

// Me is who is looking at a page: the principal the server authenticated,
// the CSRF token the page's forms carry, and what they may do. Every page
// gets it as .Me (and, when its data is a map, as .Data's "Me"); forms
// write {{template "csrf" .Me}} and action buttons are shown only when
// {{if .Me.Can "cancel-run"}}, named by the API operation they stand for.
type Me struct {
	Actor string // "user:alice", "token:ci"; "" when the server did not authenticate
	Role  string
	CSRF  string
	can   func(op string) bool
}

// Can says whether the viewer may use the API operation op (its entry in
// the server's permission table).
func (m *Me) Can(op string) bool { return m != nil && m.can != nil && m.can(op) }

// me returns who is looking at r.
func (h *Handler) me(r *http.Request) *Me {
	m := &Me{}
	if p, ok := auth.From(r.Context()); ok {
		m.Actor, m.Role = p.Actor(), string(p.Role)
	}
	if h.opts.CSRF != nil {
		m.CSRF = h.opts.CSRF(r)
	}
	if h.opts.Allowed != nil {
		ctx := r.Context()
		m.can = func(op string) bool { return h.opts.Allowed(ctx, op) }
	}
	return m
}

// flashCookie carries the outcome of an action to the page it redirects
// to (POST, redirect, GET), for one showing.
const flashCookie = "baton_flash"

// Flash is the message a page shows once after an action.
type Flash struct {
	Message string
	Error   bool
}

// flashLimit bounds a flash message, so that its cookie stays far below
// the 4 KiB browsers keep.
const flashLimit = 1000

// setFlash keeps msg for the next page this browser renders.
func setFlash(w http.ResponseWriter, r *http.Request, msg string, isErr bool) {
	if len(msg) > flashLimit {
		msg = strings.ToValidUTF8(msg[:flashLimit], "") + "…"
	}
	v := "ok:" + msg
	if isErr {
		v = "error:" + msg
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: url.QueryEscape(v), Path: "/", MaxAge: 60,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
}

// takeFlash returns the pending flash message and forgets it.
func takeFlash(w http.ResponseWriter, r *http.Request) *Flash {
	c, err := r.Cookie(flashCookie)
	if err != nil || c.Value == "" {
		return nil
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	v, err := url.QueryUnescape(c.Value)
	if err != nil {
		return nil
	}
	switch {
	case len(v) > 6 && v[:6] == "error:":
		return &Flash{Message: v[6:], Error: true}
	case len(v) > 3 && v[:3] == "ok:":
		return &Flash{Message: v[3:]}
	}
	return nil
}

// allowedFunc is the type of Options.Allowed.
type allowedFunc = func(ctx context.Context, op string) bool
