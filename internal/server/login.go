package server

import (
	"crypto/rand"
	"encoding/hex"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// sessionCookie holds a browser's session secret (session.go): HttpOnly
// (no script reads it), SameSite=Strict (no other site's page sends it),
// Secure under TLS. It is accepted on GET and HEAD (pages, the live
// streams, the API's reads), and on the web UI's forms only with the
// session's CSRF token (csrf.go), so a cookie can never be ridden into a
// write from another site.
const sessionCookie = "baton_session"

// sessionAge bounds a browser session; the token's own expiry and
// revocation apply on every request as for any caller.
const sessionAge = 12 * time.Hour

// credential is the request's Authorization header, else the session
// cookie as a bearer token: on a safe method, or on an unsafe one that
// carries the session's CSRF token.
func credential(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		return h
	}
	session := sessionOf(r)
	if session == "" || (mutating(r.Method) && !csrfValid(r, session)) {
		return ""
	}
	return "Bearer " + session
}

// wantsPage says whether a refused request came from a browser
// navigating, which is better sent to the login page than given JSON.
func wantsPage(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.Contains(r.Header.Get("Accept"), "text/html")
}

// toLogin sends a browser to the login page, to come back to where it was.
func toLogin(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
}

var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Log in · Baton</title><link rel="stylesheet" href="/ui/static/style.css"></head>
<body><main class="login">
<h1>Baton</h1>
<form method="post" action="/login">
<p><label for="username">User name</label><br>
<input id="username" name="username" autocomplete="username" autofocus size="30"></p>
<p><label for="password">Password</label><br>
<input id="password" name="password" type="password" autocomplete="current-password" size="30"></p>
<input type="hidden" name="next" value="{{.Next}}">
{{if .Error}}<p class="error" role="alert">{{.Error}}</p>{{end}}
{{if .Notice}}<p role="status">{{.Notice}}</p>{{end}}
<p><button type="submit">Log in</button> <a href="/password">Change your password</a></p>
{{if .SSO}}<p><a class="button" href="/login/oidc?next={{.Next}}">Log in with SSO</a></p>{{end}}
<p><label for="token">or paste an API token</label><br>
<input id="token" name="token" type="password" autocomplete="off" size="50"></p>
<p class="hint">A user (<code>baton user create NAME --role viewer</code>) or a token of any role but
<code>worker</code> (<code>baton token create NAME --role viewer</code>; <code>baton dev</code> wrote one to
<code>.baton/admin.token</code>).</p>
</form></main></body></html>
`))

// registerLogin serves the login form, the login (a user's password, or a
// token checked like any API call; either starts a session, session.go)
// and the logout, which ends the session on every server. They are
// anonymous routes; the guard refuses a POST from another site's page
// (Origin and Host checks) and the cookie is SameSite=Strict.
func (s *Server) registerLogin() {
	s.plain.handle("GET /login", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next := safeNext(r.URL.Query().Get("next"))
		if code := r.URL.Query().Get("code"); code != "" {
			secret, ok := s.redeem(code)
			if !ok {
				s.renderLogin(w, http.StatusOK, next, "this login link was used already or has expired: paste a token")
				return
			}
			s.tokenLogin(w, r, secret, next)
			return
		}
		s.renderLogin(w, http.StatusOK, next, "")
	}))
	s.plain.handle("POST /login", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next := safeNext(r.PostFormValue("next"))
		token, name := strings.TrimSpace(r.PostFormValue("token")), strings.TrimSpace(r.PostFormValue("username"))
		switch {
		case token != "":
			s.tokenLogin(w, r, token, next)
		case name != "":
			s.passwordLogin(w, r, name, r.PostFormValue("password"), next)
		default:
			s.renderLogin(w, http.StatusOK, next, "give a user name and password, or an API token")
		}
	}))
	s.plain.handle("POST /logout", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.endSession(w, r)
		http.Redirect(w, r, "/login", http.StatusSeeOther)
	}))
}

// tokenLogin checks token like any API call and starts a session that
// acts as the token (token:NAME, its role, never past its expiry), or
// shows the form again with why (200: the login page answered). The
// cookie holds the session's secret, never the token's. Failures count
// against the client's address (throttle.go).
func (s *Server) tokenLogin(w http.ResponseWriter, r *http.Request, token, next string) {
	addrKey := "addr:" + clientAddr(r)
	if d := s.throttle.wait(addrKey, addrFreeFailures); d > 0 {
		s.refuseThrottled(w, next, d)
		return
	}
	p, status, msg := s.authorize(r.Context(), "Bearer "+token, permissionOfPages, "")
	if status != 0 {
		if status == http.StatusUnauthorized {
			s.throttle.fail(addrKey)
		}
		s.renderLogin(w, http.StatusOK, next, msg)
		return
	}
	expires := time.Now().Add(sessionAge)
	if tok, err := s.authn.lookup(r.Context(), token); err == nil && tok.ExpiresAt != 0 &&
		tok.ExpiresAt < expires.UnixMilli() {
		expires = time.UnixMilli(tok.ExpiresAt)
	}
	s.startSessionUntil(w, r, p, p.Role, next, expires)
}

// loginView is what the login page shows.
type loginView struct {
	Next, Error, Notice string
	SSO                 bool // OpenID Connect is configured: offer it
}

func (s *Server) renderLogin(w http.ResponseWriter, status int, next, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := loginPage.Execute(w, loginView{Next: next, Error: msg, SSO: s.cfg.OIDC != nil}); err != nil {
		s.log.Error("render login page", "err", err)
	}
}

// renderLoginNotice shows the login form with a notice (not an error).
func (s *Server) renderLoginNotice(w http.ResponseWriter, next, notice string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := loginPage.Execute(w, loginView{Next: next, Notice: notice, SSO: s.cfg.OIDC != nil}); err != nil {
		s.log.Error("render login page", "err", err)
	}
}

// safeNext keeps a redirect after login on this server: a path, never
// another site ("//evil.example", "https://...").
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

// loginCodes are one-time login links (`baton dev` prints one): a random
// code stands for a token secret for a few minutes, in this server's
// memory only, and is forgotten at its first use. The secret itself never
// appears in a URL.
type loginCodes struct {
	mu sync.Mutex
	m  map[string]loginCode
}

type loginCode struct {
	secret  string
	expires time.Time
}

// LoginCode returns the code of a one-time link that logs a browser in
// with secret, valid for ttl: /login?code=CODE.
func (s *Server) LoginCode(secret string, ttl time.Duration) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	code := hex.EncodeToString(b)
	s.codes.mu.Lock()
	defer s.codes.mu.Unlock()
	if s.codes.m == nil {
		s.codes.m = map[string]loginCode{}
	}
	now := time.Now()
	for c, lc := range s.codes.m {
		if now.After(lc.expires) {
			delete(s.codes.m, c)
		}
	}
	s.codes.m[code] = loginCode{secret: secret, expires: now.Add(ttl)}
	return code
}

// redeem returns the secret of a login code and forgets the code.
func (s *Server) redeem(code string) (string, bool) {
	s.codes.mu.Lock()
	defer s.codes.mu.Unlock()
	lc, ok := s.codes.m[code]
	delete(s.codes.m, code)
	if !ok || time.Now().After(lc.expires) {
		return "", false
	}
	return lc.secret, true
}
