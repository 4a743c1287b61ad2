package server_test

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/engine"
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
			resp, err := http.Get(f.url + tc.path)
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
		// An unknown API path still answers the API's 404, not a page.
		resp, err := http.Get(f.url + "/api/v1/nope")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 404 || strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Errorf("GET /api/v1/nope: %d %s, want a plain 404", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	})
}
