package server

import (
	"errors"
	"html/template"
	"net/http"
	"time"

	"github.com/baton-sched/baton/internal/auth"
	"github.com/baton-sched/baton/internal/auth/oidc"
)

// oidcFlowCookie keeps a browser's login in progress (state, nonce, PKCE
// verifier, where to go next) between /login/oidc and the callback: in the
// browser, so that any server can take the callback. HttpOnly, limited to
// the login paths, SameSite=Lax (the callback is a navigation from the
// issuer's site, which a Strict cookie would miss), gone after
// oidcFlowAge or at the callback.
const (
	oidcFlowCookie = "baton_oidc"
	oidcFlowAge    = 10 * time.Minute
	oidcFlowPath   = "/login/oidc"
)

// registerOIDC serves the OpenID Connect login (oidc.go in package
// auth/oidc runs the protocol). The routes exist whether or not it is
// configured (the permission table is one), and answer 404 when not.
func (s *Server) registerOIDC() {
	s.plain.handle("GET "+oidcFlowPath, http.HandlerFunc(s.oidcStart))
	s.plain.handle("GET "+oidc.CallbackPath, http.HandlerFunc(s.oidcCallback))
}

func (s *Server) flowCookie(value string, age time.Duration) *http.Cookie {
	return &http.Cookie{Name: oidcFlowCookie, Value: value, Path: oidcFlowPath, MaxAge: int(age.Seconds()),
		HttpOnly: true, Secure: s.cfg.TLS != nil, SameSite: http.SameSiteLaxMode}
}

// oidcStart sends the browser to the issuer.
func (s *Server) oidcStart(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.URL.Query().Get("next"))
	if s.cfg.OIDC == nil {
		s.renderLogin(w, http.StatusNotFound, next, "single sign-on is not configured on this server")
		return
	}
	to, flow, err := s.cfg.OIDC.Start(r.Context(), next)
	if err != nil {
		s.log.WarnContext(r.Context(), "oidc login", "err", err)
		s.renderLogin(w, http.StatusBadGateway, next, "the identity provider cannot be reached: try again later")
		return
	}
	http.SetCookie(w, s.flowCookie(flow.Encode(), oidcFlowAge))
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// oidcCallback completes the login: state, code, ID token and role
// checked, then a session for user:NAME.
func (s *Server) oidcCallback(w http.ResponseWriter, r *http.Request) {
	if s.cfg.OIDC == nil {
		s.renderLogin(w, http.StatusNotFound, "/", "single sign-on is not configured on this server")
		return
	}
	http.SetCookie(w, s.flowCookie("", -time.Second)) // one callback per login
	q := r.URL.Query()
	var flow oidc.Flow
	if c, err := r.Cookie(oidcFlowCookie); err == nil {
		flow, _ = oidc.DecodeFlow(c.Value)
	}
	next := safeNext(flow.Next)
	if e := q.Get("error"); e != "" {
		s.log.InfoContext(r.Context(), "oidc login refused by the issuer", "error", clip(e), "description",
			clip(q.Get("error_description")))
		s.renderLogin(w, http.StatusUnauthorized, next, "the identity provider refused the login ("+clip(e)+")")
		return
	}
	id, err := s.cfg.OIDC.Finish(r.Context(), flow, q.Get("state"), q.Get("code"))
	if err != nil {
		status, msg := oidcRefusal(id, err)
		s.log.WarnContext(r.Context(), "oidc login refused", "user", id.Username, "status", status, "err", err)
		s.renderLogin(w, status, next, msg)
		return
	}
	p := auth.Principal{Kind: auth.KindUser, Name: id.Username, Role: id.Role, Scope: "*"}
	s.log.InfoContext(r.Context(), "oidc login", "actor", p.Actor(), "role", id.Role)
	lw := &landingWriter{ResponseWriter: w}
	s.startSession(lw, r, p, id.Role, next)
	if lw.to != "" {
		lw.land()
	}
}

// oidcRefusal is the status and message of a refused login.
func oidcRefusal(id oidc.Identity, err error) (int, string) {
	switch {
	case errors.Is(err, oidc.ErrState):
		return http.StatusBadRequest, "single sign-on failed: " + oidc.ErrState.Error()
	case errors.Is(err, oidc.ErrNoRole):
		return http.StatusForbidden, "user:" + id.Username + " has no role in Baton: ask an admin to map one of " +
			"your groups to a role (oidc.role_map)"
	case errors.Is(err, oidc.ErrIssuer):
		return http.StatusBadGateway, "single sign-on failed: " + oidc.ErrIssuer.Error()
	}
	return http.StatusUnauthorized, "single sign-on failed: " + oidc.ErrToken.Error() + " (see the server log)"
}

// landingWriter turns the session's redirect into a page that moves on
// from this site: the browser arrived from the issuer's site, and a
// redirect would carry on that cross-site navigation, on which browsers
// do not send the SameSite=Strict session cookie.
type landingWriter struct {
	http.ResponseWriter
	to string // where the intercepted redirect went
}

func (l *landingWriter) WriteHeader(code int) {
	if code == http.StatusSeeOther || code == http.StatusFound {
		l.to = l.Header().Get("Location")
		l.Header().Del("Location")
		return
	}
	l.ResponseWriter.WriteHeader(code)
}

func (l *landingWriter) Write(b []byte) (int, error) {
	if l.to != "" { // the redirect's own body
		return len(b), nil
	}
	return l.ResponseWriter.Write(b)
}

var landingPage = template.Must(template.New("landing").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url={{.}}">
<title>Logged in · Baton</title><link rel="stylesheet" href="/ui/static/style.css"></head>
<body><main class="login"><h1>Baton</h1><p>Logged in. <a href="{{.}}">Continue</a>.</p></main></body></html>
`))

func (l *landingWriter) land() {
	h := l.ResponseWriter.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	l.ResponseWriter.WriteHeader(http.StatusOK)
	_ = landingPage.Execute(l.ResponseWriter, safeNext(l.to))
}
