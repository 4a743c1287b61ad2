package server_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	neturl "net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/server"
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/storetest"
)

const scripted = `name: scripted
description: "sums things <script>alert('desc')</script>"
tasks:
  - name: emit
    run: echo hi
  - name: after
    needs: [emit]
    run: echo done
`

// TestUIPages renders every page of the web UI through a real server and
// store: each answers 200, and what users wrote (a description, a log
// line) comes out as text, never as markup.
func TestUIPages(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s, engine.Config{})
		admin, _ := tokensOf(f.url)
		browser := logIn(t, f.url, admin)
		if _, err := f.c.Apply(f.ctx, []client.SourceFile{{Filename: "s.yaml", Content: scripted}}); err != nil {
			t.Fatal(err)
		}
		run, err := f.c.StartRun(f.ctx, "scripted", client.StartRunRequest{})
		if err != nil {
			t.Fatal(err)
		}
		reg, err := f.c.Register(f.ctx, client.RegisterRequest{Name: "w<b>1</b>", Zone: "a", Capacity: 2})
		if err != nil {
			t.Fatal(err)
		}
		wid := reg.Worker.ID
		as, err := f.c.Claim(f.ctx, wid, client.ClaimRequest{Max: 1, FreeCU: 2, Wait: 5 * time.Second})
		if err != nil || len(as) != 1 {
			t.Fatalf("claim: %+v %v", as, err)
		}
		if _, err := f.c.SendLogs(f.ctx, wid, []client.NewLogChunk{{AttemptID: as[0].AttemptID, Seq: 1, Stream: "stdout",
			Data: "line <script>alert('log')</script>\n"}}); err != nil {
			t.Fatal(err)
		}
		if err := f.c.ReportOne(f.ctx, wid, client.Report{AttemptID: as[0].AttemptID, Kind: "finish", State: "succeeded"}); err != nil {
			t.Fatal(err)
		}
		id := strconv.FormatInt(run.ID, 10)
		for _, tc := range []struct {
			path   string
			status int
			want   []string
		}{
			{"/", 200, []string{"Zone a", "Runs of the last 24 hours", "running"}},
			{"/runs", 200, []string{`href="/runs/` + id + `"`, "scripted"}},
			{"/runs?state=bogus", 400, nil},
			{"/runs?go=" + id, 200, []string{"Run " + id}}, // redirected
			{"/runs/" + id, 200, []string{`data-task="emit"`, `data-live="/runs/` + id + `/live"`, "zone a"}},
			{"/runs/" + id + "?task=emit", 200, []string{"line &lt;script&gt;alert(&#39;log&#39;)&lt;/script&gt;"}},
			{"/runs/" + id + "/tasks/emit", 200, []string{"line &lt;script&gt;"}},
			{"/runs/" + id + "/tasks/nope", 404, nil},
			{"/runs/999999", 404, nil},
			{"/workflows", 200, []string{`href="/workflows/scripted"`}},
			{"/workflows/scripted", 200, []string{"sums things &lt;script&gt;alert(&#39;desc&#39;)&lt;/script&gt;", `data-task="after"`}},
			{"/workflows/nope", 404, nil},
			{"/zones", 200, []string{"w&lt;b&gt;1&lt;/b&gt;", "Zone a"}},
			{"/api/v1/docs", 200, []string{"list-runs", "/api/v1/runs/{id}"}},
			{"/ui/static/htmx.min.js", 200, []string{"htmx"}},
			{"/no/such/page", 404, nil},
		} {
			resp, err := browser.Get(f.url + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Errorf("GET %s: %d, want %d\n%s", tc.path, resp.StatusCode, tc.status, body)
				continue
			}
			for _, w := range tc.want {
				if !strings.Contains(string(body), w) {
					t.Errorf("GET %s lacks %q", tc.path, w)
				}
			}
			if strings.Contains(string(body), "<script>alert") || strings.Contains(string(body), "<b>1</b>") {
				t.Errorf("GET %s renders user text as markup", tc.path)
			}
			if strings.Contains(string(body), "unpkg.com") || strings.Contains(string(body), "cdn.") {
				t.Errorf("GET %s loads assets from a CDN", tc.path)
			}
		}
		// An unknown API path still answers the API's 404, not a page
		// (to a caller who may read: default deny answers others 401).
		resp, err := browser.Get(f.url + "/api/v1/nope")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 404 || strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Errorf("GET /api/v1/nope: %d %s, want a plain 404", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	})
}

// logIn logs a browser (an HTTP client with a cookie jar) in with token
// through the login form, as a person would.
func logIn(t *testing.T, url, token string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := browser.PostForm(url+"/login", neturl.Values{"token": {token}, "next": {"/runs"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/runs" {
		t.Fatalf("login: %d to %q, want 303 to /runs", resp.StatusCode, resp.Header.Get("Location"))
	}
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "baton_session" {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode {
		t.Fatalf("login cookie %+v, want an HttpOnly SameSite=Strict session", session)
	}
	browser.CheckRedirect = nil // from now on, follow as a browser does
	return browser
}

// TestUILogin: pages send an anonymous browser to the login form; a bad
// token or a worker's does not log in; the session cookie opens the pages
// but never a change (no CSRF through the cookie), and logout ends it.
func TestUILogin(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite(t), engine.Config{})
	anon := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest(http.MethodGet, f.url+"/runs?state=failed", nil)
	req.Header.Set("Accept", "text/html")
	resp, err := anon.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login?next=%2Fruns%3Fstate%3Dfailed" {
		t.Errorf("anonymous page: %d to %q, want 303 to the login form", resp.StatusCode, resp.Header.Get("Location"))
	}
	// Wrong and worker tokens do not log in; nor does a redirect leave the site.
	_, join := tokensOf(f.url)
	for _, tok := range []string{"baton_nope", join} {
		resp, err := anon.PostForm(f.url+"/login", neturl.Values{"token": {tok}, "next": {"//evil.example/"}})
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusSeeOther || len(resp.Cookies()) > 0 || !strings.Contains(string(body), `role="alert"`) {
			t.Errorf("login with %.12s...: %d, cookies %v, want the form again with the error", tok, resp.StatusCode, resp.Cookies())
		}
	}
	admin, _ := tokensOf(f.url)
	browser := logIn(t, f.url, admin)
	resp, err = browser.Get(f.url + "/runs")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("page with the session: %d", resp.StatusCode)
	}
	// The cookie alone never writes: an apply riding it is refused.
	resp, err = browser.Post(f.url+"/api/v1/workflows", "application/json", strings.NewReader(`{"files":[{"filename":"x.yaml","content":"name: x\ntasks: [{name: a, run: id}]\n"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("apply with only the session cookie: %d, want 401", resp.StatusCode)
	}
	if wfs, err := f.c.Workflows(f.ctx); err != nil || len(wfs) != 0 {
		t.Errorf("workflows after the refused apply: %v %v", wfs, err)
	}
	resp, err = browser.PostForm(f.url+"/logout", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = browser.Get(f.url + "/runs")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("page after logout: %d, want 401", resp.StatusCode)
	}
}

// TestUILoginLink: a one-time link logs a browser in once; used again, or
// with a made-up code, it shows the form and sets no cookie.
func TestUILoginLink(t *testing.T) {
	st := storetest.OpenSQLite(t)
	srv := server.New(engine.New(st, engine.Config{}), server.Config{})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { ts.Close(); srv.Stop() })
	rememberTokens(t, ts.URL, st)
	admin, _ := tokensOf(ts.URL)
	link := ts.URL + "/login?code=" + srv.LoginCode(admin, time.Minute)
	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for i, url := range []string{link, link, ts.URL + "/login?code=0123456789abcdef0123456789abcdef"} {
		resp, err := browser.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		// The cookie holds a session's secret of its own, never the token's.
		loggedIn := resp.StatusCode == http.StatusSeeOther && len(resp.Cookies()) == 1 &&
			resp.Cookies()[0].Value != "" && resp.Cookies()[0].Value != admin
		if loggedIn != (i == 0) {
			t.Errorf("use %d of the link: %d, cookies %d; want a session only the first time", i+1, resp.StatusCode, len(resp.Cookies()))
		}
	}
}
