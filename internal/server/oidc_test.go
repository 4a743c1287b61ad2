package server_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/auth/oidc"
	"github.com/baton-sched/baton/internal/auth/oidctest"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/server"
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/storetest"
)

// ssoEnv is a Baton server whose web UI logs people in at a test issuer.
type ssoEnv struct {
	t     *testing.T
	iss   *oidctest.Issuer
	st    store.Store
	url   string
	login *oidc.Login
	logs  *syncBuffer
}

func newSSOEnv(t *testing.T, st store.Store) *ssoEnv { return newSSOEnvAt(t, st, "127.0.0.1") }

// newSSOEnvAt is newSSOEnv with the server known as host (its port is the
// listener's).
func newSSOEnvAt(t *testing.T, st store.Store, host string) *ssoEnv {
	t.Helper()
	iss := oidctest.New(t)
	ts := httptest.NewUnstartedServer(nil)
	_, port, _ := net.SplitHostPort(ts.Listener.Addr().String())
	base := "http://" + net.JoinHostPort(host, port)
	login, err := oidc.New(oidc.Config{Issuer: iss.URL, ClientID: oidctest.ClientID, ClientSecret: oidctest.ClientSecret,
		RedirectURL: base + oidc.CallbackPath, RoleClaim: "groups", UsernameClaim: "preferred_username",
		RoleMap: map[string]string{"baton-viewers": "viewer", "baton-editors": "editor"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := &ssoEnv{t: t, iss: iss, st: st, login: login, logs: &syncBuffer{}}
	ts.Config.Handler = e.server().Handler()
	ts.Start()
	t.Cleanup(ts.Close)
	e.url = base
	return e
}

// server is a server of the environment's database and login, stopped
// when the test ends.
func (e *ssoEnv) server() *server.Server {
	log := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := server.New(engine.New(e.st, engine.Config{Logger: log}), server.Config{OIDC: e.login, Logger: log})
	e.t.Cleanup(srv.Stop)
	return srv
}

// browser is a cookie-keeping client that stops at the callback, so a
// test can look at (or forge) what the issuer sent back.
func (e *ssoEnv) browser() *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if req.URL.Path == oidc.CallbackPath {
			return http.ErrUseLastResponse
		}
		return nil
	}}
}

// toCallback starts a login and returns the callback URL the issuer
// sent the browser to.
func (e *ssoEnv) toCallback(b *http.Client, next string) *url.URL {
	e.t.Helper()
	resp, body := e.get(b, "/login/oidc?next="+url.QueryEscape(next))
	if resp.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("login start: %s %s", resp.Status, body)
	}
	u, err := resp.Location()
	if err != nil || u.Path != oidc.CallbackPath || u.Query().Get("code") == "" {
		e.t.Fatalf("the issuer sent the browser to %v (%v)", u, err)
	}
	return u
}

func (e *ssoEnv) get(b *http.Client, path string) (*http.Response, string) {
	e.t.Helper()
	target := path
	if strings.HasPrefix(path, "/") {
		target = e.url + path
	}
	req, err := http.NewRequest(http.MethodGet, target, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Accept", "text/html")
	resp, err := b.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, string(data)
}

// session is the session cookie the browser holds ("" if none).
func (e *ssoEnv) session(b *http.Client) string {
	u, _ := url.Parse(e.url + "/")
	for _, c := range b.Jar.Cookies(u) {
		if c.Name == "baton_session" {
			return c.Value
		}
	}
	return ""
}

// logIn runs the whole code flow and returns the browser, logged in.
func (e *ssoEnv) logIn(next string) *http.Client {
	e.t.Helper()
	b := e.browser()
	resp, body := e.get(b, e.toCallback(b, next).String())
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `content="0;url=`+next) {
		e.t.Fatalf("callback: %s %s", resp.Status, body)
	}
	if e.session(b) == "" {
		e.t.Fatal("no session cookie after the login")
	}
	return b
}

func (e *ssoEnv) as(secret string) *client.Client {
	c, err := client.New([]string{e.url}, client.WithToken(secret))
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// TestOIDCLoginViewer drives the code flow against a real issuer: the
// browser comes back logged in as user:alice with the role its group
// maps to; a viewer cannot write.
func TestOIDCLoginViewer(t *testing.T) {
	e := newSSOEnv(t, storetest.OpenSQLite(t))
	_, page := e.get(http.DefaultClient, "/login")
	if !strings.Contains(page, "Log in with SSO") {
		t.Errorf("the login page offers no single sign-on:\n%s", page)
	}
	b := e.logIn("/runs?state=failed")
	resp, page := e.get(b, "/runs?state=failed")
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/runs" {
		t.Fatalf("page with the session: %s at %s", resp.Status, resp.Request.URL)
	}
	if !strings.Contains(page, `<span title="signed in as">user:alice</span> <span class="role">viewer</span>`) {
		t.Errorf("the page does not show user:alice as viewer:\n%s", page)
	}
	c := e.as(e.session(b))
	ctx := context.Background()
	me, err := c.Whoami(ctx)
	if err != nil || me.Actor != "user:alice" || me.Role != "viewer" {
		t.Fatalf("whoami: %+v, %v; want user:alice as viewer", me, err)
	}
	_, err = c.Apply(ctx, ssoWorkflow)
	if status(err) != http.StatusForbidden {
		t.Fatalf("a viewer's apply: %v, want 403", err)
	}
	// Nor with the cookie alone, as a browser would send it.
	req, _ := http.NewRequest(http.MethodPost, e.url+"/api/v1/workflows",
		strings.NewReader(`{"files":[{"filename":"sso.yaml","content":"name: sso\ntasks:\n  - name: a\n    run: \"true\"\n"}]}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", e.url)
	resp, err = b.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a viewer's apply with the session cookie: %s, want 401 or 403", resp.Status)
	}
	if wfs, err := e.as(e.session(b)).Workflows(ctx); err != nil || len(wfs) != 0 {
		t.Fatalf("workflows after refused applies: %v, %v", wfs, err)
	}
	if e.iss.Tokens() != 1 {
		t.Errorf("%d codes exchanged, want 1", e.iss.Tokens())
	}
}

// TestOIDCLoginEditorActs: an editor mapping can apply, and the events
// of the login and the apply name user:alice (the session is stored: on both stores).
func TestOIDCLoginEditorActs(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st store.Store) {
		e := newSSOEnv(t, st)
		e.iss.SetUser(map[string]any{"sub": "alice-1", "preferred_username": "alice",
			"groups": []string{"staff", "baton-viewers", "baton-editors"}})
		c := e.as(e.session(e.logIn("/")))
		ctx := context.Background()
		if _, err := c.Apply(ctx, ssoWorkflow); err != nil {
			t.Fatalf("an editor's apply: %v", err)
		}
		evs, err := e.events()
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]string{}
		for _, ev := range evs {
			kinds[ev.Kind] = ev.Actor
		}
		if kinds["session.started"] != "user:alice" || kinds["workflow.applied"] != "user:alice" {
			t.Fatalf("actors by event kind: %v; want user:alice for the login and the apply", kinds)
		}
	})
}

func (e *ssoEnv) events() ([]store.Event, error) {
	var evs []store.Event
	err := e.st.Read(context.Background(), func(tx store.Tx) error {
		var err error
		evs, err = tx.Events().List(context.Background(), store.EventFilter{Limit: 100})
		return err
	})
	return evs, err
}

// TestOIDCLoginRefusals: each bad callback shows the login page with why,
// with the status named, and no session.
func TestOIDCLoginRefusals(t *testing.T) {
	e := newSSOEnv(t, storetest.OpenSQLite(t))
	cases := []struct {
		name   string
		setup  func()
		forge  func(u *url.URL) *url.URL
		status int
		msg    string
	}{
		{name: "wrong state", status: http.StatusBadRequest, msg: "login state does not match", forge: func(u *url.URL) *url.URL {
			q := u.Query()
			q.Set("state", "forged")
			u.RawQuery = q.Encode()
			return u
		}},
		{name: "tampered signature", status: http.StatusUnauthorized, msg: "not valid", setup: func() {
			e.iss.Tamper(func(tok string) string { return tok[:len(tok)-4] + flip(tok[len(tok)-4:]) })
		}},
		{name: "expired token", status: http.StatusUnauthorized, msg: "not valid", setup: func() {
			e.iss.Mutate(func(c map[string]any) { c["exp"] = time.Now().Add(-time.Minute).Unix() })
		}},
		{name: "nonce mismatch", status: http.StatusUnauthorized, msg: "not valid", setup: func() {
			e.iss.Mutate(func(c map[string]any) { c["nonce"] = "replayed" })
		}},
		{name: "unmapped claim", status: http.StatusForbidden, msg: "user:alice has no role in Baton", setup: func() {
			e.iss.SetUser(map[string]any{"sub": "alice-1", "preferred_username": "alice", "groups": []string{"staff"}})
		}},
		{name: "issuer error", status: http.StatusUnauthorized, msg: "refused the login (access_denied)",
			forge: func(u *url.URL) *url.URL {
				q := u.Query()
				q.Del("code")
				q.Set("error", "access_denied")
				u.RawQuery = q.Encode()
				return u
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.iss.SetUser(map[string]any{"sub": "alice-1", "preferred_username": "alice", "groups": []string{"baton-editors"}})
			e.iss.Mutate(nil)
			e.iss.Tamper(nil)
			if tc.setup != nil {
				tc.setup()
			}
			b := e.browser()
			u := e.toCallback(b, "/")
			if tc.forge != nil {
				u = tc.forge(u)
			}
			resp, body := e.get(b, u.String())
			if resp.StatusCode != tc.status || !strings.Contains(body, tc.msg) {
				t.Fatalf("callback: %s, want %d with %q:\n%s", resp.Status, tc.status, tc.msg, body)
			}
			if !strings.Contains(body, `name="token"`) {
				t.Errorf("a refusal shows no login page:\n%s", body)
			}
			if s := e.session(b); s != "" {
				t.Fatalf("a refused login left a session cookie")
			}
			// The flow cookie is spent: the same callback again is refused.
			if resp, _ := e.get(b, u.String()); resp.StatusCode == http.StatusOK || e.session(b) != "" {
				t.Fatalf("replayed callback: %s", resp.Status)
			}
		})
	}
	evs, err := e.events()
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if ev.Kind == "session.started" {
			t.Errorf("a refused login started a session: %+v", ev)
		}
	}
	// Another browser (no flow cookie: a login forced on a victim) is refused
	// even with a fresh, valid code.
	e.iss.SetUser(map[string]any{"sub": "alice-1", "preferred_username": "alice", "groups": []string{"baton-editors"}})
	u := e.toCallback(e.browser(), "/")
	victim := e.browser()
	if resp, body := e.get(victim, u.String()); resp.StatusCode != http.StatusBadRequest || e.session(victim) != "" {
		t.Fatalf("callback in another browser: %s %s", resp.Status, body)
	}
}

// TestOIDCCallbackOnAnotherServer: the login's state lives in the
// browser, so the callback may reach another server than the one that
// started the login (servers behind a load balancer); and no server log
// holds the code, the ID token or the client secret, of a login that
// succeeds or of one refused.
func TestOIDCCallbackOnAnotherServer(t *testing.T) {
	e := newSSOEnv(t, storetest.OpenSQLite(t))
	other := httptest.NewServer(e.server().Handler())
	t.Cleanup(other.Close)
	var mu sync.Mutex
	var seen []string
	capture := func(change func(string) string) func(string) string {
		return func(tok string) string {
			tok = change(tok)
			mu.Lock()
			defer mu.Unlock()
			seen = append(seen, tok)
			return tok
		}
	}
	e.iss.Tamper(capture(func(tok string) string { return tok }))
	b := e.browser()
	u := e.toCallback(b, "/runs")
	mu.Lock()
	seen = append(seen, u.Query().Get("code"))
	mu.Unlock()
	u.Host = strings.TrimPrefix(other.URL, "http://")
	if resp, body := e.get(b, u.String()); resp.StatusCode != http.StatusOK || e.session(b) == "" {
		t.Fatalf("callback on the other server: %s %s", resp.Status, body)
	}
	session := e.session(b)
	if me, err := e.as(session).Whoami(context.Background()); err != nil || me.Actor != "user:alice" {
		t.Fatalf("whoami on the first server: %+v, %v", me, err)
	}

	e.iss.Tamper(capture(func(tok string) string { return tok[:len(tok)-4] + flip(tok[len(tok)-4:]) }))
	b = e.browser()
	u = e.toCallback(b, "/")
	mu.Lock()
	seen = append(seen, u.Query().Get("code"))
	mu.Unlock()
	if resp, _ := e.get(b, u.String()); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("tampered token: %s", resp.Status)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "oidc login refused") || !strings.Contains(logs, "actor=user:alice") {
		t.Fatalf("the log does not record the logins:\n%s", logs)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, secret := range append(seen, oidctest.ClientSecret, session) {
		if secret != "" && strings.Contains(logs, secret) {
			t.Errorf("the server log holds %q:\n%s", secret, logs)
		}
	}
	if len(seen) != 4 {
		t.Fatalf("saw %d codes and tokens, want 4", len(seen))
	}
}

func flip(s string) string {
	if s[0] == 'A' {
		return "B" + s[1:]
	}
	return "A" + s[1:]
}

// TestOIDCNotConfigured: the routes exist but answer 404, and the login
// page offers no single sign-on.
func TestOIDCNotConfigured(t *testing.T) {
	srv := server.New(engine.New(storetest.OpenSQLite(t), engine.Config{}), server.Config{})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { ts.Close(); srv.Stop() })
	e := &ssoEnv{t: t, url: ts.URL}
	for _, path := range []string{"/login/oidc", oidc.CallbackPath + "?code=x&state=y"} {
		if resp, body := e.get(http.DefaultClient, path); resp.StatusCode != http.StatusNotFound ||
			!strings.Contains(body, "single sign-on is not configured") {
			t.Errorf("%s: %s %s", path, resp.Status, body)
		}
	}
	if _, page := e.get(http.DefaultClient, "/login"); strings.Contains(page, "SSO") {
		t.Errorf("the login page offers single sign-on, which is not configured")
	}
}

var ssoWorkflow = []client.SourceFile{{Filename: "sso.yaml", Content: "name: sso\ntasks:\n  - name: a\n    run: \"true\"\n"}}
