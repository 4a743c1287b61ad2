package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
)

// CSRF protection of the session cookie. A browser's unsafe request
// (POST, PUT, PATCH, DELETE) authenticates with the cookie only when it
// also carries the session's CSRF token, in the form field "csrf" or the
// header X-CSRF-Token. The token is an HMAC of the session's secret, so
// only a page that this server rendered for the session knows it (the
// cookie is HttpOnly: no script reads it, and another site's page cannot
// read this server's pages). Calls with an Authorization header need no
// token: a browser never adds that header by itself.
const (
	csrfField  = "csrf"
	csrfHeader = "X-CSRF-Token"
	csrfLabel  = "baton csrf v1"
)

// csrfToken is the CSRF token of the session whose secret is session.
func csrfToken(session string) string {
	m := hmac.New(sha256.New, []byte(session))
	m.Write([]byte(csrfLabel))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// csrfValid says whether r carries the CSRF token of session (compared in
// constant time).
func csrfValid(r *http.Request, session string) bool {
	got := r.Header.Get(csrfHeader)
	if got == "" {
		got = r.PostFormValue(csrfField)
	}
	return got != "" && hmac.Equal([]byte(got), []byte(csrfToken(session)))
}

// sessionOf is the session cookie's secret, or "".
func sessionOf(r *http.Request) string {
	if c, err := r.Cookie(sessionCookie); err == nil {
		return c.Value
	}
	return ""
}

// csrfRefused says whether r rides the session cookie into an unsafe
// request without the session's CSRF token: it is refused (403) before
// anything runs.
func csrfRefused(r *http.Request) bool {
	if !mutating(r.Method) || r.Header.Get("Authorization") != "" {
		return false
	}
	session := sessionOf(r)
	return session != "" && !csrfValid(r, session)
}

// pageCSRF is the CSRF token pages write into their forms: that of the
// request's session, or "" for a caller without one.
func pageCSRF(r *http.Request) string {
	if session := sessionOf(r); session != "" {
		return csrfToken(session)
	}
	return ""
}

const csrfMissing = "CSRF token missing or wrong: reload the page and submit the form again"
