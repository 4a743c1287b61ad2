package worker

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/egress"
)

func TestAgentRunsHTTPTasks(t *testing.T) {
	release := make(chan struct{})
	var gotBody, gotHeader string
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			b, _ := io.ReadAll(r.Body)
			gotBody, gotHeader = string(b), r.Header.Get("X-Token")
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte(`{"id": 42}`))
		case "/down":
			http.Error(w, "maintenance", http.StatusServiceUnavailable)
		case "/slow":
			<-release
		}
	}))
	defer target.Close()
	defer close(release)
	x := newAgentTest(t, func(c *Config) { c.Egress = allowLoopback(t) })
	req := func(id int64, path string, expect ...int) client.Assignment {
		a := x.assignment(id, "")
		a.Kind, a.Timeout = "http", 5*time.Second
		a.HTTP = &client.HTTPRequest{Method: "POST", URL: target.URL + path, Body: "run=7",
			Headers: map[string]string{"X-Token": "t0k"}, ExpectStatus: expect}
		return a
	}
	slow := req(103, "/slow")
	slow.Timeout = 200 * time.Millisecond
	x.fake.enqueue(req(101, "/ok"), req(102, "/down", 200, 201), slow)
	got := []client.Report{x.fake.waitReport(t, 101, "finish").Report, x.fake.waitReport(t, 102, "finish").Report,
		x.fake.waitReport(t, 103, "finish").Report}
	want := []client.Report{
		{AttemptID: 101, Kind: "finish", State: "succeeded", Outputs: map[string]string{"status": "201", "body": `{"id": 42}`}},
		{AttemptID: 102, Kind: "finish", State: "failed", Reason: "status 503, expected [200 201]"},
		{AttemptID: 103, Kind: "finish", State: "timed_out", Reason: "timed out after 200ms"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("finish reports (-want +got):\n%s", diff)
	}
	if gotBody != "run=7" || gotHeader != "t0k" {
		t.Errorf("request body %q, header %q", gotBody, gotHeader)
	}
	if out := x.fake.output(101, "stderr"); !strings.Contains(out, "POST "+target.URL+"/ok: 201 Created in") {
		t.Errorf("log of the request = %q", out)
	}
	if starts := x.fake.reportsOf(101); len(starts) == 0 || starts[0].Kind != "start" {
		t.Errorf("reports of 101: %+v, want a start first", starts)
	}
}

func allowLoopback(t *testing.T) *egress.Policy {
	p, err := egress.New([]string{"127.0.0.1/32"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestHTTPTaskEgress: under the default policy an HTTP task cannot reach
// the servers' API (or anything else on loopback) and its failure does
// not tell a refused address from a closed port; nothing of the target
// becomes an output.
func TestHTTPTaskEgress(t *testing.T) {
	x := newAgentTest(t, nil)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedURL := "http://" + closed.Addr().String() + "/"
	closed.Close()
	for id, url := range map[int64]string{201: x.fake.URL + "/api/v1/alerts", 202: closedURL} {
		a := x.assignment(id, "")
		a.Kind, a.Timeout = "http", 5*time.Second
		a.HTTP = &client.HTTPRequest{Method: "GET", URL: url}
		x.fake.enqueue(a)
	}
	for _, id := range []int64{201, 202} {
		fin := x.fake.waitReport(t, id, "finish")
		if fin.State != "failed" || fin.Reason != "connection not allowed or failed" || len(fin.Outputs) != 0 {
			t.Errorf("attempt %d: %+v, want failed without outputs, opaque reason", id, fin.Report)
		}
	}
}
