package server_test

import (
	"context"
	"io"
	"net/http"
	neturl "net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/auth"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/server"
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/storetest"
)

// browserOf is a logged-in browser with its session's CSRF token (read
// from a page, as a form would carry it).
type browserOf struct {
	t    *testing.T
	url  string
	c    *http.Client
	csrf string
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func newBrowser(t *testing.T, url, token string) *browserOf {
	t.Helper()
	b := &browserOf{t: t, url: url, c: logIn(t, url, token)}
	_, body := b.get("/runs")
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF token in the page (the logout form has one):\n%.2000s", body)
	}
	b.csrf = m[1]
	return b
}

func (b *browserOf) get(path string) (int, string) {
	b.t.Helper()
	resp, err := b.c.Get(b.url + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// post sends a form as a browser does (following the redirect), with the
// session's CSRF token unless the form has a csrf field already.
func (b *browserOf) post(path string, form neturl.Values) (int, string) {
	b.t.Helper()
	if form == nil {
		form = neturl.Values{}
	}
	if _, set := form["csrf"]; !set {
		form.Set("csrf", b.csrf)
	}
	req, _ := http.NewRequest(http.MethodPost, b.url+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.url)
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// uiFixture is a server with a browser per role.
type uiFixture struct {
	*fixture
	st                      store.Store
	viewer, operator, admin *browserOf
}

func newUIFixture(t *testing.T, st store.Store) *uiFixture {
	t.Helper()
	f := &uiFixture{fixture: newFixture(t, st, engine.Config{}), st: st}
	tok := func(role auth.Role) string {
		s, err := server.IssueToken(context.Background(), st, "ui-"+string(role), role)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	f.viewer = newBrowser(t, f.url, tok(auth.RoleViewer))
	f.operator = newBrowser(t, f.url, tok(auth.RoleOperator))
	f.admin = newBrowser(t, f.url, tok(auth.RoleAdmin))
	return f
}

func (f *uiFixture) zone(name string) client.Zone {
	f.t.Helper()
	p, err := f.c.Zones(f.ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, z := range p.Zones {
		if z.Name == name {
			return z
		}
	}
	f.t.Fatalf("no zone %s in %+v", name, p.Zones)
	return client.Zone{}
}

// TestUICSRF: a form riding the session cookie changes something only
// with the session's CSRF token (form field or header); without it, or
// with another's, or from another site, it is refused and nothing
// changes. Calls with an Authorization header need no token.
func TestUICSRF(t *testing.T) {
	f := newUIFixture(t, storetest.OpenSQLite(t))
	if _, err := f.c.Register(f.ctx, client.RegisterRequest{Name: "w", Zone: "a", Capacity: 1}); err != nil {
		t.Fatal(err)
	}
	other := newBrowser(t, f.url, mustToken(t, f.st, "other-admin", auth.RoleAdmin))
	for _, tc := range []struct {
		name string
		csrf string
	}{{"no token", ""}, {"a wrong token", "AAAA"}, {"another session's token", other.csrf}} {
		status, body := f.admin.post("/zones/a/cordon", neturl.Values{"csrf": {tc.csrf}})
		if status != http.StatusForbidden || !strings.Contains(body, "CSRF") {
			t.Errorf("cordon with %s: %d %.200s, want 403 naming CSRF", tc.name, status, body)
		}
	}
	// The right token from another site's page: the Origin guard refuses it.
	req, _ := http.NewRequest(http.MethodPost, f.url+"/zones/a/cordon", strings.NewReader("csrf="+neturl.QueryEscape(f.admin.csrf)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	resp, err := f.admin.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cordon from another origin: %d, want 403", resp.StatusCode)
	}
	if z := f.zone("a"); z.Cordoned {
		t.Fatal("a refused form cordoned the zone")
	}
	// The form's token works, and so does the header htmx sends.
	if status, body := f.admin.post("/zones/a/cordon", nil); status != http.StatusOK || !strings.Contains(body, "Zone a cordoned.") {
		t.Errorf("cordon with the token: %d, flash missing:\n%.3000s", status, body)
	}
	if !f.zone("a").Cordoned {
		t.Error("zone a not cordoned")
	}
	req, _ = http.NewRequest(http.MethodPost, f.url+"/zones/a/uncordon", nil)
	req.Header.Set("X-CSRF-Token", f.admin.csrf)
	resp, err = f.admin.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || f.zone("a").Cordoned {
		t.Errorf("uncordon with the header token: %d, cordoned %v", resp.StatusCode, f.zone("a").Cordoned)
	}
	// An API client (Authorization header, no cookie) needs no token.
	admin, _ := tokensOf(f.url)
	req, _ = http.NewRequest(http.MethodPost, f.url+"/api/v1/zones/a/cordon", strings.NewReader("{}"))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+admin)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !f.zone("a").Cordoned {
		t.Errorf("API cordon: %d", resp.StatusCode)
	}
}

func mustToken(t *testing.T, st store.Store, name string, role auth.Role) string {
	t.Helper()
	s, err := server.IssueToken(context.Background(), st, name, role)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const paramsWorkflow = `name: params
description: takes parameters
params:
  who:
    default: "x<script>alert('default')</script>"
    description: "who to greet <script>alert('desc')</script>"
  count: 3
  loud: true
  day:
    description: the day to process
tasks:
  - name: greet
    run: echo "$who"
    env: {who: "${{ params.who }}"}
  - name: after
    needs: [greet]
    run: echo done
schedule:
  cron: "0 3 * * *"
  params: {day: "2024-01-01"}
`

// TestUIActionGating: a viewer sees no action and a forged form (with the
// viewer's own valid CSRF token) is refused 403, changing nothing; an
// operator sees the run and schedule actions but not the zone ones; an
// admin sees all.
func TestUIActionGating(t *testing.T) {
	f := newUIFixture(t, storetest.OpenSQLite(t))
	if _, err := f.c.Apply(f.ctx, []client.SourceFile{{Filename: "p.yaml", Content: paramsWorkflow}}); err != nil {
		t.Fatal(err)
	}
	run, err := f.c.StartRun(f.ctx, "params", client.StartRunRequest{Params: map[string]string{"day": "d"}})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := f.c.Register(f.ctx, client.RegisterRequest{Name: "w", Zone: "a", Capacity: 1})
	if err != nil {
		t.Fatal(err)
	}
	runPath := "/runs/" + strconv.FormatInt(run.ID, 10)
	marks := map[string][]string{ // page -> the actions it may show
		"/workflows/params": {`action="/workflows/params/run"`, `action="/workflows/params/schedules/default/pause"`, `/backfill"`},
		"/workflows":        {`href="/workflows/params#trigger"`},
		runPath:             {runPath + `/cancel"`, runPath + `/pause"`},
		"/zones":            {`action="/zones/a/cordon"`, `action="/zones/a/drain"`, `action="/workers/` + reg.Worker.ID + `/drain"`},
	}
	for _, tc := range []struct {
		b       *browserOf
		role    string
		visible func(page string) bool
	}{
		{f.viewer, "viewer", func(string) bool { return false }},
		{f.operator, "operator", func(p string) bool { return p != "/zones" }},
		{f.admin, "admin", func(string) bool { return true }},
	} {
		for page, want := range marks {
			status, body := tc.b.get(page)
			if status != http.StatusOK {
				t.Fatalf("%s GET %s: %d", tc.role, page, status)
			}
			if !strings.Contains(body, `<span class="role">`+tc.role+`</span>`) {
				t.Errorf("%s: the header does not say the role", tc.role)
			}
			for _, w := range want {
				if got := strings.Contains(body, w); got != tc.visible(page) {
					t.Errorf("%s GET %s: shows %s = %v, want %v", tc.role, page, w, got, tc.visible(page))
				}
			}
			if !tc.visible(page) && strings.Contains(body, `method="post" action="/runs/`) {
				t.Errorf("%s GET %s shows a run form", tc.role, page)
			}
		}
	}
	// The run page reloads its buttons (for the viewer) when the run ends.
	for _, tc := range []struct {
		b    *browserOf
		want bool
	}{{f.viewer, false}, {f.operator, true}} {
		status, body := tc.b.get(runPath + "/actions")
		if status != http.StatusOK || strings.Contains(body, runPath+`/cancel"`) != tc.want || !strings.Contains(body, `id="run-actions"`) {
			t.Errorf("GET %s/actions: %d, cancel shown %v, want %v", runPath, status, !tc.want, tc.want)
		}
	}
	before := stateOf(t, f)
	for _, path := range []string{"/workflows/params/run", runPath + "/cancel", runPath + "/pause", "/zones/a/cordon",
		"/workers/" + reg.Worker.ID + "/drain", "/workflows/params/schedules/default/pause"} {
		status, body := f.viewer.post(path, neturl.Values{"param.day": {"x"}})
		if status != http.StatusForbidden || !strings.Contains(body, "lacks permission") {
			t.Errorf("viewer POST %s: %d %.200s, want 403", path, status, body)
		}
	}
	for _, path := range []string{"/zones/a/cordon", "/workers/" + reg.Worker.ID + "/drain"} {
		if status, _ := f.operator.post(path, nil); status != http.StatusForbidden {
			t.Errorf("operator POST %s: %d, want 403 (admin only)", path, status)
		}
	}
	if after := stateOf(t, f); after != before {
		t.Errorf("refused forms changed the state:\n%s\n%s", before, after)
	}
}

// stateOf sums up what a form could change.
func stateOf(t *testing.T, f *uiFixture) string {
	t.Helper()
	runs, err := f.c.Runs(f.ctx, client.RunFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, r := range runs.Items {
		b.WriteString(strconv.FormatInt(r.ID, 10) + ":" + r.State + " ")
	}
	ss, _ := f.c.Schedules(f.ctx)
	for _, s := range ss {
		b.WriteString(s.Name + " paused=" + strconv.FormatBool(s.Paused) + " ")
	}
	p, _ := f.c.Zones(f.ctx)
	for _, z := range p.Zones {
		b.WriteString(z.Name + " cordoned=" + strconv.FormatBool(z.Cordoned) + " ")
	}
	ws, _ := f.c.Workers(f.ctx, true)
	for _, w := range ws {
		b.WriteString(w.ID + "=" + w.State + " ")
	}
	return b.String()
}

// TestUITriggerForm: the form has a field per parameter, defaults filled
// and required ones marked, user text escaped; a refused start shows each
// problem at its field and starts nothing; a good one starts the run with
// what was typed, once however often the form is sent.
func TestUITriggerForm(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st store.Store) {
		f := newUIFixture(t, st)
		if _, err := f.c.Apply(f.ctx, []client.SourceFile{{Filename: "p.yaml", Content: paramsWorkflow}}); err != nil {
			t.Fatal(err)
		}
		_, page := f.operator.get("/workflows/params")
		for _, want := range []string{
			`value="x&lt;script&gt;alert(&#39;default&#39;)&lt;/script&gt;"`,
			`who to greet &lt;script&gt;alert(&#39;desc&#39;)&lt;/script&gt;`,
			`id="param-count" name="param.count" type="number" step="any" value="3"`,
			`<select id="param-loud" name="param.loud"><option selected>true</option>`,
			`id="param-day" name="param.day" type="text" value="" required aria-required="true"`,
		} {
			if !strings.Contains(page, want) {
				t.Errorf("form lacks %s", want)
			}
		}
		if strings.Contains(page, "<script>alert") {
			t.Error("user text rendered as markup")
		}
		key := regexp.MustCompile(`name="idempotency_key" value="([^"]+)"`).FindStringSubmatch(page)
		if key == nil {
			t.Fatal("no idempotency key in the form")
		}
		form := neturl.Values{"version": {"1"}, "idempotency_key": {key[1]}, "param.who": {"<b>bob</b>"},
			"param.count": {"3"}, "param.loud": {"false"}, "param.day": {""}}
		status, body := f.operator.post("/workflows/params/run", form)
		if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="param-day-error" role="alert">missing required parameter &#34;day&#34;`) {
			t.Errorf("start without day: %d, want 422 with the error at the day field:\n%.4000s", status, body)
		}
		if !strings.Contains(body, `value="&lt;b&gt;bob&lt;/b&gt;"`) {
			t.Error("the refused form lost what was typed")
		}
		form.Set("param.bogus", "1")
		form.Set("param.day", "2024-05-01")
		if status, body := f.operator.post("/workflows/params/run", form); status != http.StatusUnprocessableEntity ||
			!strings.Contains(body, "unknown parameter &#34;bogus&#34;") {
			t.Errorf("start with an unknown param: %d %.3000s", status, body)
		}
		if runs, _ := f.c.Runs(f.ctx, client.RunFilter{}); len(runs.Items) != 0 {
			t.Fatalf("refused starts started %d runs", len(runs.Items))
		}
		form.Del("param.bogus")
		for i := range 2 { // a second send of the same form starts nothing new
			status, body := f.operator.post("/workflows/params/run", form)
			if status != http.StatusOK || !strings.Contains(body, "Started run") || !strings.Contains(body, `data-live="/runs/`) {
				t.Fatalf("start %d: %d, want the run page with a flash:\n%.3000s", i, status, body)
			}
		}
		runs, err := f.c.Runs(f.ctx, client.RunFilter{})
		if err != nil || len(runs.Items) != 1 {
			t.Fatalf("runs after two sends of one form: %+v %v", runs.Items, err)
		}
		r := runs.Items[0]
		if r.Params["who"] != "<b>bob</b>" || r.Params["day"] != "2024-05-01" || r.Params["loud"] != "false" || r.CreatedBy != "token:ui-operator" {
			t.Errorf("run %+v: params or creator wrong", r)
		}
	})
}

// TestUIRunAndScheduleActions: each form does what its API operation
// does, and the page it redirects to says so once.
func TestUIRunAndScheduleActions(t *testing.T) {
	f := newUIFixture(t, storetest.OpenSQLite(t))
	if _, err := f.c.Apply(f.ctx, []client.SourceFile{{Filename: "p.yaml", Content: paramsWorkflow}}); err != nil {
		t.Fatal(err)
	}
	run, err := f.c.StartRun(f.ctx, "params", client.StartRunRequest{Params: map[string]string{"day": "d"}})
	if err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt(run.ID, 10)
	state := func() client.RunDetail {
		d, err := f.c.Run(f.ctx, run.ID)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	op := f.operator
	if _, body := op.post("/runs/"+id+"/pause", nil); state().State != "paused" || !strings.Contains(body, "Run "+id+": paused.") {
		t.Errorf("pause: run %s", state().State)
	}
	if _, body := op.get("/runs/" + id); strings.Contains(body, "paused.</p>") || !strings.Contains(body, `/runs/`+id+`/resume"`) {
		t.Error("the flash showed twice, or a paused run offers no resume")
	}
	if op.post("/runs/"+id+"/resume", nil); state().State == "paused" {
		t.Error("resume: still paused")
	}
	if _, body := op.post("/runs/"+id+"/cancel", nil); state().State != "cancelled" || !strings.Contains(body, "cancelled.") {
		t.Errorf("cancel: run %s", state().State)
	}
	// A finished run: cancel again is refused with the API's 409 detail.
	if _, body := op.post("/runs/"+id+"/cancel", nil); !strings.Contains(body, `class="flash error"`) {
		t.Errorf("cancel of a cancelled run: no error shown:\n%.3000s", body)
	}
	_, body := op.get("/runs/" + id + "/tasks/greet")
	for _, want := range []string{`action="/runs/` + id + `/rerun"`, `name="from" value="greet"`, `action="/runs/` + id + `/tasks/greet/mark"`} {
		if !strings.Contains(body, want) {
			t.Errorf("task panel of a cancelled run lacks %s", want)
		}
	}
	if _, body := op.post("/runs/"+id+"/tasks/greet/mark", neturl.Values{"state": {"bogus"}}); !strings.Contains(body, "state: must be succeeded or skipped") {
		t.Error("a bad mark state is not refused by name")
	}
	if _, body := op.post("/runs/"+id+"/tasks/greet/mark", neturl.Values{"state": {"skipped"}}); !strings.Contains(body, "marked skipped") {
		t.Errorf("mark: %.3000s", body)
	}
	d := state()
	if d.Tasks[0].State != "skipped" && d.Tasks[1].State != "skipped" {
		t.Errorf("after mark: %+v", d.Tasks)
	}
	if _, err := f.c.CancelRun(f.ctx, run.ID, ""); err != nil {
		t.Fatal(err)
	}
	if op.post("/runs/"+id+"/rerun", neturl.Values{"from": {"greet"}}); state().Terminal() {
		t.Errorf("rerun from greet: run still %s", state().State)
	}

	// Schedules: pause, resume, backfill (a bad time names its field).
	sched := func() client.Schedule {
		ss, err := f.c.Schedules(f.ctx)
		if err != nil || len(ss) != 1 {
			t.Fatalf("schedules %+v %v", ss, err)
		}
		return ss[0]
	}
	if _, body := op.post("/workflows/params/schedules/default/pause", nil); !sched().Paused || !strings.Contains(body, "Schedule default paused.") {
		t.Error("schedule pause")
	}
	if op.post("/workflows/params/schedules/default/resume", nil); sched().Paused {
		t.Error("schedule resume")
	}
	if _, body := op.post("/workflows/params/schedules/default/backfill", neturl.Values{"from": {"yesterday"}, "to": {"2024-01-03T00:00"}}); !strings.Contains(body, "from: &#34;yesterday&#34; is not a time") {
		t.Errorf("bad backfill: %.3000s", body)
	}
	before, _ := f.c.Runs(f.ctx, client.RunFilter{})
	_, body = op.post("/workflows/params/schedules/default/backfill", neturl.Values{"from": {"2024-01-01T00:00"}, "to": {"2024-01-03T00:00"}})
	after, _ := f.c.Runs(f.ctx, client.RunFilter{})
	if !strings.Contains(body, "2 runs created") || len(after.Items) != len(before.Items)+2 {
		t.Errorf("backfill: %d -> %d runs:\n%.3000s", len(before.Items), len(after.Items), body)
	}

	// Workers: an admin drains one.
	reg, err := f.c.Register(f.ctx, client.RegisterRequest{Name: "w", Zone: "a", Capacity: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, body := f.admin.post("/workers/"+reg.Worker.ID+"/drain", nil); !strings.Contains(body, "draining") {
		t.Errorf("drain worker: %.2000s", body)
	}
	ws, _ := f.c.Workers(f.ctx, true)
	if len(ws) != 1 || ws[0].State != "draining" {
		t.Errorf("workers after drain: %+v", ws)
	}
	// Zones: a made-up action is no route; drain cordons the zone.
	if status, _ := f.admin.post("/zones/a/explode", nil); status != http.StatusNotFound {
		t.Errorf("zone action explode: %d, want 404", status)
	}
	if _, body := f.admin.post("/zones/a/drain", nil); !strings.Contains(body, "Zone a draining.") || !f.zone("a").Cordoned {
		t.Errorf("drain zone a: cordoned %v:\n%.2000s", f.zone("a").Cordoned, body)
	}
}
