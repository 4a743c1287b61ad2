package server_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	neturl "net/url"
	"strings"
	"testing"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/server"
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/storetest"
	"github.com/baton-sched/baton/internal/tlsconf/tlstest"
)

const alicePassword = "alice's long password"

// browserFrom is a browser that does not follow redirects, connecting
// from the local address ip (any of 127.0.0.0/8 on Linux).
func browserFrom(t *testing.T, ip string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	return &http.Client{Jar: jar, Transport: &http.Transport{DialContext: d.DialContext},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// passwordLogin posts the login form; it returns the status, the page and
// the session cookie set (nil if none).
func passwordLogin(t *testing.T, b *http.Client, url, user, password string) (int, string, *http.Cookie) {
	t.Helper()
	resp, err := b.PostForm(url+"/login", neturl.Values{"username": {user}, "password": {password}, "next": {"/runs"}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, c := range resp.Cookies() {
		if c.Name == "baton_session" && c.Value != "" {
			return resp.StatusCode, string(body), c
		}
	}
	return resp.StatusCode, string(body), nil
}

// whoamiWith asks who a session is (its secret as a bearer token: the
// API takes no cookie): the actor, or the status.
func whoamiWith(t *testing.T, url string, c *http.Cookie) (string, int) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url+"/api/v1/auth/whoami", nil)
	req.Header.Set("Authorization", "Bearer "+c.Value)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", resp.StatusCode
	}
	_, rest, _ := strings.Cut(string(body), `"actor":"`)
	actor, _, _ := strings.Cut(rest, `"`)
	return actor, resp.StatusCode
}

// twoServers serves one store from two servers, each with its own
// caches, as a cluster does.
func twoServers(t *testing.T, st store.Store) (*fixture, string) {
	f := newFixture(t, st, engine.Config{})
	srv := server.New(engine.New(st, engine.Config{}), server.Config{})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { ts.Close(); srv.Stop() })
	return f, ts.URL
}

// TestUserSessions: a user logs in with a password and acts as
// user:alice; a wrong password and an unknown user get the same answer;
// a logout on one server ends the session on the other; deleting,
// disabling or demoting the user ends their sessions.
func TestUserSessions(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st store.Store) {
		f, other := twoServers(t, st)
		if _, err := f.c.CreateUser(f.ctx, client.NewUser{Name: "alice", Role: "operator", Password: alicePassword}); err != nil {
			t.Fatal(err)
		}
		b := browserFrom(t, "127.0.0.1")

		_, wrongPw, c := passwordLogin(t, b, f.url, "alice", "not alice's password")
		_, noUser, c2 := passwordLogin(t, b, f.url, "mallory", alicePassword)
		if c != nil || c2 != nil || !strings.Contains(wrongPw, "wrong user name or password") ||
			!strings.Contains(noUser, "wrong user name or password") {
			t.Errorf("failed logins: cookies %v %v; pages differ or lack the message:\n%s\n%s", c, c2, wrongPw, noUser)
		}

		status, _, session := passwordLogin(t, b, f.url, "alice", alicePassword)
		if status != http.StatusSeeOther || session == nil || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode {
			t.Fatalf("login: %d, cookie %+v", status, session)
		}
		if strings.Contains(session.Value, alicePassword) {
			t.Fatal("the cookie holds the password")
		}
		page, _ := http.NewRequest(http.MethodGet, f.url+"/", nil)
		page.AddCookie(session)
		if resp, err := http.DefaultClient.Do(page); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET / with the session: %v %v", resp, err)
		} else {
			resp.Body.Close()
		}
		for _, url := range []string{f.url, other} {
			if actor, st := whoamiWith(t, url, session); actor != "user:alice" {
				t.Errorf("whoami on %s: %q %d, want user:alice", url, actor, st)
			}
			if st := pageWith(t, url, session); st != http.StatusOK {
				t.Errorf("page on %s with the cookie: %d", url, st)
			}
		}
		// Sessions are no API tokens: not listed.
		toks, err := f.c.Tokens(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range toks {
			if strings.HasPrefix(tk.Name, "session:") || tk.Kind == "session" {
				t.Errorf("a session is listed as a token: %+v", tk)
			}
		}
		evs, err := f.c.Events(f.ctx, client.EventFilter{})
		if err != nil {
			t.Fatal(err)
		}
		var started bool
		for _, e := range evs.Items {
			started = started || e.Kind == "session.started" && e.Actor == "user:alice"
			if strings.Contains(e.Reason, alicePassword) {
				t.Errorf("event %+v holds the password", e)
			}
		}
		if !started {
			t.Errorf("no session.started event by user:alice in %+v", evs)
		}

		// Logout on the first server; the second refuses the cookie.
		req, _ := http.NewRequest(http.MethodPost, f.url+"/logout", nil)
		req.AddCookie(session)
		resp, err := b.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		waitRefused(t, other, session)

		// Deleting, disabling and demoting end sessions everywhere.
		yes := true
		for what, end := range map[string]func() error{
			"delete":  func() error { return f.c.DeleteUser(f.ctx, "alice") },
			"disable": func() error { _, err := f.c.UpdateUser(f.ctx, "alice", client.UserUpdate{Disabled: &yes}); return err },
			"demote":  func() error { _, err := f.c.UpdateUser(f.ctx, "alice", client.UserUpdate{Role: "viewer"}); return err },
			"reset":   func() error { return f.c.SetUserPassword(f.ctx, "alice", "a brand new password") },
		} {
			_ = f.c.DeleteUser(f.ctx, "alice")
			if _, err := f.c.CreateUser(f.ctx, client.NewUser{Name: "alice", Role: "operator", Password: alicePassword}); err != nil {
				t.Fatal(err)
			}
			_, _, s := passwordLogin(t, b, f.url, "alice", alicePassword)
			if s == nil {
				t.Fatalf("%s: login failed", what)
			}
			if status := pageWith(t, other, s); status != http.StatusOK {
				t.Fatalf("%s: session not accepted before: %d", what, status)
			}
			if err := end(); err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			waitRefused(t, other, s)
		}
		// A disabled user cannot log in, with the usual answer.
		_, _ = f.c.UpdateUser(f.ctx, "alice", client.UserUpdate{Disabled: &yes})
		if _, page, s := passwordLogin(t, b, f.url, "alice", alicePassword); s != nil || !strings.Contains(page, "wrong user name or password") {
			t.Errorf("disabled user logged in: %v", s)
		}
	})
}

// pageWith GETs a page with the session cookie: its status.
func pageWith(t *testing.T, url string, c *http.Cookie) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url+"/runs", nil)
	req.AddCookie(c)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// waitRefused polls until the server at url refuses the session cookie
// (the authenticator trusts a look-up for a second).
func waitRefused(t *testing.T, url string, c *http.Cookie) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		status := pageWith(t, url, c)
		if status == http.StatusUnauthorized {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("session still answered %d on %s after 5 s", status, url)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestLoginThrottling: five quick failures lock the user out, so that the
// sixth attempt is refused even with the right password (429 with
// Retry-After); another user from another address is unaffected.
func TestLoginThrottling(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite(t), engine.Config{})
	for _, u := range []string{"alice", "bob"} {
		if _, err := f.c.CreateUser(f.ctx, client.NewUser{Name: u, Role: "viewer", Password: alicePassword}); err != nil {
			t.Fatal(err)
		}
	}
	attacker := browserFrom(t, "127.0.0.1")
	for i := range 5 {
		if status, _, c := passwordLogin(t, attacker, f.url, "alice", "guess number "+string(rune('a'+i))); status != http.StatusOK || c != nil {
			t.Fatalf("failure %d: %d %v", i+1, status, c)
		}
	}
	resp, err := attacker.PostForm(f.url+"/login", neturl.Values{"username": {"alice"}, "password": {alicePassword}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" ||
		len(resp.Cookies()) > 0 || !strings.Contains(string(body), "too many failed logins") {
		t.Errorf("6th attempt, right password: %d Retry-After %q cookies %v, want 429 and no session",
			resp.StatusCode, resp.Header.Get("Retry-After"), resp.Cookies())
	}
	// Alice from elsewhere is locked out too: the count is per user.
	if status, _, c := passwordLogin(t, browserFrom(t, "127.0.0.3"), f.url, "alice", alicePassword); status != http.StatusTooManyRequests || c != nil {
		t.Errorf("alice from another address: %d %v, want 429", status, c)
	}
	if status, _, c := passwordLogin(t, browserFrom(t, "127.0.0.2"), f.url, "bob", alicePassword); status != http.StatusSeeOther || c == nil {
		t.Errorf("bob from another address: %d %v, want a session", status, c)
	}
}

// TestLoginThrottlingPerAddress: an address that fails with many user
// names is refused for the next one too.
func TestLoginThrottlingPerAddress(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite(t), engine.Config{})
	if _, err := f.c.CreateUser(f.ctx, client.NewUser{Name: "carol", Role: "viewer", Password: alicePassword}); err != nil {
		t.Fatal(err)
	}
	sprayer := browserFrom(t, "127.0.0.4")
	for i := range 20 {
		if status, _, _ := passwordLogin(t, sprayer, f.url, "user"+string(rune('a'+i)), "password spraying"); status != http.StatusOK {
			t.Fatalf("failure %d: %d", i+1, status)
		}
	}
	if status, _, c := passwordLogin(t, sprayer, f.url, "carol", alicePassword); status != http.StatusTooManyRequests || c != nil {
		t.Errorf("21st attempt from the address: %d %v, want 429", status, c)
	}
	if status, _, c := passwordLogin(t, browserFrom(t, "127.0.0.5"), f.url, "carol", alicePassword); status != http.StatusSeeOther || c == nil {
		t.Errorf("carol from her own address: %d %v, want a session", status, c)
	}
}

// TestUsersAPIValidation: bad requests name the field and store nothing;
// no answer carries a password or its hash.
func TestUsersAPIValidation(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite(t), engine.Config{})
	for _, tc := range []struct {
		in   client.NewUser
		want string
	}{
		{client.NewUser{Name: "bad name", Role: "viewer", Password: alicePassword}, "body.name"},
		{client.NewUser{Name: "dave", Role: "worker", Password: alicePassword}, "body.role"},
		{client.NewUser{Name: "dave", Role: "root", Password: alicePassword}, "body.role"},
		{client.NewUser{Name: "dave", Role: "viewer", Password: "short"}, "at least 12 characters"},
		{client.NewUser{Name: "dave", Role: "viewer", Password: strings.Repeat("x", 1025)}, "at most 1024 bytes"},
	} {
		_, err := f.c.CreateUser(f.ctx, tc.in)
		var pe *client.Error
		if !errors.As(err, &pe) || pe.Status != http.StatusUnprocessableEntity || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("create %+v: %v, want 422 naming %s", tc.in.Name, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "xxxxxxxx") {
			t.Errorf("the error echoes the password: %v", err)
		}
	}
	if users, err := f.c.Users(f.ctx); err != nil || len(users) != 0 {
		t.Errorf("users after refused creates: %+v %v", users, err)
	}
	u, err := f.c.CreateUser(f.ctx, client.NewUser{Name: "dave", Role: "editor", Password: alicePassword})
	if err != nil || u.Name != "dave" || u.Role != "editor" || u.CreatedBy != "token:test" {
		t.Fatalf("create: %+v %v", u, err)
	}
	var pe *client.Error
	if _, err := f.c.CreateUser(f.ctx, client.NewUser{Name: "dave", Role: "viewer", Password: alicePassword}); !errors.As(err, &pe) ||
		pe.Status != http.StatusConflict {
		t.Errorf("duplicate: %v, want 409", err)
	}
	resp, err := authGet(f.url + "/api/v1/users")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.Contains(string(body), "argon2") || strings.Contains(string(body), "password") {
		t.Errorf("user list shows a password or hash: %s", body)
	}
	for what, err := range map[string]error{
		"delete nobody":   f.c.DeleteUser(f.ctx, "nobody"),
		"reset nobody":    f.c.SetUserPassword(f.ctx, "nobody", alicePassword),
		"short reset":     f.c.SetUserPassword(f.ctx, "dave", "short"),
		"change as token": f.c.ChangePassword(f.ctx, alicePassword, "another long password"),
	} {
		if err == nil {
			t.Errorf("%s: accepted", what)
		}
	}
	if _, err := f.c.UpdateUser(f.ctx, "dave", client.UserUpdate{Role: "worker"}); err == nil || !strings.Contains(err.Error(), "body.role") {
		t.Errorf("role worker: %v", err)
	}
}

// TestUserChangesOwnPassword: with the current password a user sets a new
// one through the form; a wrong current password changes nothing; the
// change ends the user's sessions.
func TestUserChangesOwnPassword(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite(t), engine.Config{})
	if _, err := f.c.CreateUser(f.ctx, client.NewUser{Name: "erin", Role: "viewer", Password: alicePassword}); err != nil {
		t.Fatal(err)
	}
	b := browserFrom(t, "127.0.0.1")
	_, _, session := passwordLogin(t, b, f.url, "erin", alicePassword)
	if session == nil {
		t.Fatal("login failed")
	}
	change := func(old, pw, confirm string) (int, string) {
		resp, err := b.PostForm(f.url+"/password", neturl.Values{"username": {"erin"}, "old_password": {old},
			"password": {pw}, "confirm": {confirm}})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	const newPw = "erin's new long password"
	for _, tc := range []struct{ old, pw, confirm, want string }{
		{"not the password", newPw, newPw, "wrong user name or password"},
		{alicePassword, newPw, newPw + "x", "differ"},
		{alicePassword, "short", "short", "at least 12 characters"},
	} {
		if _, page := change(tc.old, tc.pw, tc.confirm); !strings.Contains(page, tc.want) {
			t.Errorf("change %+v: page lacks %q", tc, tc.want)
		}
	}
	if _, _, s := passwordLogin(t, b, f.url, "erin", alicePassword); s == nil {
		t.Fatal("a refused change changed the password")
	}
	if status, page := change(alicePassword, newPw, newPw); status != http.StatusOK || !strings.Contains(page, "password changed") {
		t.Fatalf("change: %d %s", status, page)
	}
	if st := pageWith(t, f.url, session); st != http.StatusUnauthorized {
		t.Errorf("session before the change: %d, want 401", st)
	}
	if _, _, s := passwordLogin(t, b, f.url, "erin", alicePassword); s != nil {
		t.Error("the old password still logs in")
	}
	if _, _, s := passwordLogin(t, b, f.url, "erin", newPw); s == nil {
		t.Error("the new password does not log in")
	}
	evs, err := f.c.Events(f.ctx, client.EventFilter{Kind: "user.password"})
	if err != nil || len(evs.Items) != 1 || evs.Items[0].Actor != "user:erin" {
		t.Errorf("password events: %+v %v, want one by user:erin", evs, err)
	}
}

// TestChangePasswordAPI: a user's session changes the user's password
// with the current one; a token cannot (it has no password).
func TestChangePasswordAPI(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite(t), engine.Config{})
	if _, err := f.c.CreateUser(f.ctx, client.NewUser{Name: "frank", Role: "viewer", Password: alicePassword}); err != nil {
		t.Fatal(err)
	}
	_, _, session := passwordLogin(t, browserFrom(t, "127.0.0.1"), f.url, "frank", alicePassword)
	if session == nil {
		t.Fatal("login failed")
	}
	as, err := client.New([]string{f.url}, client.WithToken(session.Value))
	if err != nil {
		t.Fatal(err)
	}
	var pe *client.Error
	if err := as.ChangePassword(f.ctx, "not the password", "frank's new password"); !errors.As(err, &pe) || pe.Status != http.StatusForbidden {
		t.Errorf("wrong current password: %v, want 403", err)
	}
	if err := as.ChangePassword(f.ctx, alicePassword, "short"); !errors.As(err, &pe) || pe.Status != http.StatusUnprocessableEntity {
		t.Errorf("short new password: %v, want 422", err)
	}
	if err := as.ChangePassword(f.ctx, alicePassword, "frank's new password"); err != nil {
		t.Fatalf("change: %v", err)
	}
	if _, err := as.Whoami(f.ctx); !errors.As(err, &pe) || pe.Status != http.StatusUnauthorized {
		t.Errorf("the session after the change: %v, want 401", err)
	}
	if _, _, s := passwordLogin(t, browserFrom(t, "127.0.0.1"), f.url, "frank", "frank's new password"); s == nil {
		t.Error("the new password does not log in")
	}
	if err := f.c.ChangePassword(f.ctx, alicePassword, "frank's new password"); !errors.As(err, &pe) || pe.Status != http.StatusConflict {
		t.Errorf("a token changing its password: %v, want 409", err)
	}
}

// TestSessionCookieIsSecureUnderTLS: over HTTPS the session cookie is
// Secure, so no plain-HTTP request ever carries it.
func TestSessionCookieIsSecureUnderTLS(t *testing.T) {
	set := tlstest.New(t)
	srv := startTLSServer(t, set, false)
	c := tlsClient(t, srv.URL(), set.ClientOptions(false))
	if _, err := c.CreateUser(context.Background(), client.NewUser{Name: "gina", Role: "viewer", Password: alicePassword}); err != nil {
		t.Fatal(err)
	}
	cfg, err := set.ClientConfig(false)
	if err != nil {
		t.Fatal(err)
	}
	b := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	status, _, session := passwordLogin(t, b, srv.URL(), "gina", alicePassword)
	if status != http.StatusSeeOther || session == nil || !session.Secure || !session.HttpOnly {
		t.Errorf("login over TLS: %d, cookie %+v, want a Secure HttpOnly session", status, session)
	}
}
