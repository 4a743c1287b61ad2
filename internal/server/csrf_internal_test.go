package server

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// The session cookie authenticates an unsafe request only with the
// session's CSRF token, in the form or the header; the Authorization
// header needs none.
func TestCSRFCredential(t *testing.T) {
	const session = "baton_session-secret"
	good := csrfToken(session)
	if good == csrfToken("baton_other") || len(good) < 40 {
		t.Fatalf("token %q: want one per session, 256 bits", good)
	}
	form := func(method, csrf string) *http.Request {
		r := httptest.NewRequest(method, "/runs/1/cancel", strings.NewReader(url.Values{"csrf": {csrf}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.AddCookie(&http.Cookie{Name: sessionCookie, Value: session})
		return r
	}
	header := form(http.MethodPost, "")
	header.Header.Set(csrfHeader, good)
	del := form(http.MethodDelete, "")
	del.Header.Set(csrfHeader, good)
	api := form(http.MethodPost, "")
	api.Header.Set("Authorization", "Bearer baton_api")
	for _, tc := range []struct {
		name    string
		r       *http.Request
		cred    string
		refused bool
	}{
		{"GET with the cookie", form(http.MethodGet, ""), "Bearer " + session, false},
		{"POST without a token", form(http.MethodPost, ""), "", true},
		{"POST with a wrong token", form(http.MethodPost, csrfToken("baton_other")), "", true},
		{"POST with the form token", form(http.MethodPost, good), "Bearer " + session, false},
		{"DELETE with the header token", del, "Bearer " + session, false},
		{"POST with the header token", header, "Bearer " + session, false},
		{"POST with Authorization", api, "Bearer baton_api", false},
		{"POST without any", httptest.NewRequest(http.MethodPost, "/runs/1/cancel", nil), "", false},
	} {
		if got := credential(tc.r); got != tc.cred {
			t.Errorf("%s: credential %q, want %q", tc.name, got, tc.cred)
		}
		if got := csrfRefused(tc.r); got != tc.refused {
			t.Errorf("%s: refused %v, want %v", tc.name, got, tc.refused)
		}
	}
	if pageCSRF(form(http.MethodGet, "")) != good || pageCSRF(httptest.NewRequest(http.MethodGet, "/", nil)) != "" {
		t.Error("pages get the session's token, and none without a session")
	}
}
