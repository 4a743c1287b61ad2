package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store/storetest"
)

// rawRequest sends a request as a browser or a script might, bypassing
// the client; it returns the status and the problem's detail.
func rawRequest(t *testing.T, method, url, body string, header map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body == "" {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	for k, v := range header {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(withToken(req))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var p struct{ Detail string }
	_ = json.Unmarshal(data, &p)
	return resp.StatusCode, p.Detail
}

func applyBody(t *testing.T, def string) string {
	b, err := json.Marshal(client.ApplyRequest{Files: []client.SourceFile{{Filename: "x.yaml", Content: def}}})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestGuardRefusesForeignAndMalformedRequests: on a server listening on
// loopback, an apply (or a run start) with a foreign Origin, a Host that
// is not a name of this machine (DNS rebinding), no or another
// Content-Type, or a body past its route's limit is refused, naming why,
// and nothing is stored; the same request as a client sends it passes.
func TestGuardRefusesForeignAndMalformedRequests(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite(t), engine.Config{})
	apply := f.url + "/api/v1/workflows"
	good := applyBody(t, hello)
	jsonCT := map[string]string{"Content-Type": "application/json"}
	for _, tc := range []struct {
		name   string
		body   string
		header map[string]string
		status int
		detail string
	}{
		{"foreign origin", good, map[string]string{"Content-Type": "application/json", "Origin": "http://evil.example"},
			http.StatusForbidden, `Origin "http://evil.example" is not this server's`},
		{"null origin", good, map[string]string{"Content-Type": "application/json", "Origin": "null"},
			http.StatusForbidden, "is not this server's"},
		{"rebound host", good, map[string]string{"Content-Type": "application/json", "Host": "evil.example:8420"},
			http.StatusForbidden, `Host "evil.example:8420" is not a name of this server`},
		{"rebound host and origin", good, map[string]string{"Content-Type": "application/json",
			"Host": "evil.example:8420", "Origin": "http://evil.example:8420"},
			http.StatusForbidden, `Host "evil.example:8420" is not a name of this server`},
		{"no content type", good, nil, http.StatusUnsupportedMediaType, "apply-workflows takes a JSON body"},
		{"form", good, map[string]string{"Content-Type": "text/plain"}, http.StatusUnsupportedMediaType, "JSON body"},
		{"too large", `{"files":[{"filename":"x.yaml","content":"` + strings.Repeat("#", 5<<20) + `"}]}`, jsonCT,
			http.StatusRequestEntityTooLarge, "request body is larger than the 4 MiB limit of apply-workflows"},
	} {
		status, detail := rawRequest(t, http.MethodPost, apply, tc.body, tc.header)
		if status != tc.status || !strings.Contains(detail, tc.detail) {
			t.Errorf("%s: %d %q, want %d %q", tc.name, status, detail, tc.status, tc.detail)
		}
	}
	if wfs, err := f.c.Workflows(f.ctx); err != nil || len(wfs) != 0 {
		t.Fatalf("refused applies stored %v (%v)", wfs, err)
	}
	// The same apply from this server's own page, or as a script sends it.
	for _, h := range []map[string]string{
		{"Content-Type": "application/json; charset=utf-8", "Origin": f.url},
		{"Content-Type": "application/json", "Host": "localhost"},
	} {
		if status, detail := rawRequest(t, http.MethodPost, apply, good, h); status != http.StatusOK {
			t.Errorf("apply with %v: %d %s", h, status, detail)
		}
	}
	// A run start with a foreign Origin and no body at all.
	start := f.url + "/api/v1/workflows/hello/runs"
	if status, _ := rawRequest(t, http.MethodPost, start, "", map[string]string{"Origin": "http://evil.example"}); status != http.StatusForbidden {
		t.Errorf("bodiless start with a foreign Origin: %d, want 403", status)
	}
	// Reads stay open to any Origin (the answer is the browser's to hide).
	if status, _ := rawRequest(t, http.MethodGet, apply, "", map[string]string{"Origin": "http://evil.example"}); status != http.StatusOK {
		t.Errorf("list workflows with an Origin: %d", status)
	}
	// A small route's limit.
	status, detail := rawRequest(t, http.MethodPut, f.url+"/api/v1/alerts/channels/c",
		`{"url":"http://127.0.0.1/`+strings.Repeat("a", 70<<10)+`","events":["run.failed"]}`, jsonCT)
	if status != http.StatusRequestEntityTooLarge || detail != "request body is larger than the 64 KiB limit of set-alert-channel" {
		t.Errorf("large channel: %d %q", status, detail)
	}
	runs, err := f.c.Runs(f.ctx, client.RunFilter{})
	if err != nil || len(runs.Items) != 0 {
		t.Errorf("runs after refused starts: %+v %v", runs, err)
	}
}
