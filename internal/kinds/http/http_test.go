package http

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/taskkind"
	"github.com/baton-sched/baton/internal/taskkind/kindtest"
	"github.com/google/go-cmp/cmp"
)

func decoded(t *testing.T, block string) (*Block, []string) {
	t.Helper()
	var task map[string]any
	dec := json.NewDecoder(strings.NewReader(`{"http": ` + block + `}`))
	dec.UseNumber()
	if err := dec.Decode(&task); err != nil {
		t.Fatal(err)
	}
	d := &kindtest.Decoder{}
	s := decode(d, task)
	b, _ := s.(*Block)
	return b, d.Problems
}

func TestDecode(t *testing.T) {
	b, problems := decoded(t, `{"url": "https://x/${{ params.day }}", "method": "POST", "headers": {"A": "${{ secrets.k }}"},
		"body": "b", "expect_status": [200, 201], "timeout": "10s"}`)
	want := &Block{Method: "POST", URL: "https://x/${{ params.day }}", Headers: map[string]string{"A": "${{ secrets.k }}"},
		Body: "b", ExpectStatus: []int{200, 201}, Timeout: taskkind.Duration(10 * time.Second)}
	if diff := cmp.Diff(want, b); diff != "" || len(problems) != 0 {
		t.Errorf("block (-want +got):\n%s\nproblems %q", diff, problems)
	}
	if _, problems := decoded(t, `{"url": "ftp://x", "timeout": "soon"}`); len(problems) != 2 ||
		!strings.HasPrefix(problems[0], "http.url: must start with http:// or https://") || !strings.HasPrefix(problems[1], "http.timeout: ") {
		t.Errorf("problems %q", problems)
	}
	if s := decode(&kindtest.Decoder{}, map[string]any{"run": "x"}); s != nil {
		t.Errorf("a task without the block decodes to %+v", s)
	}
	// Templates: the URL allows no secrets, headers and body do.
	secrets := map[string]bool{}
	for _, tm := range b.Templates() {
		secrets[tm.Path.String()] = tm.Secrets
	}
	if diff := cmp.Diff(map[string]bool{"http.url": false, "http.body": true, "http.headers.A": true}, secrets); diff != "" {
		t.Errorf("templates (-want +got):\n%s", diff)
	}
}

func TestPrepare(t *testing.T) {
	r := kindtest.Renderer{Values: map[string]string{"params.day": "d1", "secrets.k": "s3cret"}}
	b := &Block{URL: "https://x/${{ params.day }}", Headers: map[string]string{"A": "${{ secrets.k }}"}}
	p, err := prepare(r, b)
	want := &client.HTTPRequest{Method: "GET", URL: "https://x/d1", Headers: map[string]string{"A": "s3cret"}}
	if diff := cmp.Diff(want, p.Payload); diff != "" || err != nil || p.Timeout != time.Minute {
		t.Errorf("payload (-want +got):\n%s\ntimeout %v err %v", diff, p.Timeout, err)
	}
	r.Task = 30 * time.Second
	if p, _ := prepare(r, b); p.Timeout != 30*time.Second {
		t.Errorf("timeout %v, want the task's", p.Timeout)
	}
	b.Timeout = taskkind.Duration(5 * time.Second)
	if p, _ := prepare(r, b); p.Timeout != 5*time.Second {
		t.Errorf("timeout %v, want the request's", p.Timeout)
	}
	b.Body = "${{ tasks.a.outputs.x }}"
	if _, err := prepare(r, b); err == nil || !strings.HasPrefix(err.Error(), "http.body: ") {
		t.Errorf("unrenderable body: %v", err)
	}
}

func TestExecute(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get("A") != "v" {
			w.WriteHeader(http.StatusTeapot)
		}
		w.Write([]byte(r.Method + " " + string(body)))
	}))
	defer srv.Close()
	x := kindtest.NewExecution(client.HTTPRequest{Method: "POST", URL: srv.URL, Headers: map[string]string{"A": "v"}, Body: "hi"})
	res := execute(context.Background(), x)
	if res.Failure != "" || res.Outputs["status"] != "200" || res.Outputs["body"] != "POST hi" || x.Written.String() != "POST hi" {
		t.Errorf("result %+v, log %q", res, x.Written.String())
	}
	x = kindtest.NewExecution(client.HTTPRequest{Method: "GET", URL: srv.URL, ExpectStatus: []int{200}})
	if res := execute(context.Background(), x); res.Failure != "status 418, expected [200]" || res.Outputs["status"] != "418" {
		t.Errorf("unexpected status: %+v", res)
	}
	if res := execute(context.Background(), &kindtest.Execution{}); res.Failure != "http attempt without a request" {
		t.Errorf("no payload: %+v", res)
	}
}
