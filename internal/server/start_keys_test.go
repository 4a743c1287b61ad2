package server_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/server"
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/storetest"
)

// postKeyed posts body to the server with an Idempotency-Key header and
// returns the status and the answer.
func postKeyed(t *testing.T, url, key, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	resp, err := http.DefaultClient.Do(withToken(req))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

func runIDsOf(t *testing.T, answer string) []int64 {
	t.Helper()
	var out client.StartRunsResponse
	if err := json.Unmarshal([]byte(answer), &out); err != nil {
		t.Fatalf("answer %q: %v", answer, err)
	}
	ids := make([]int64, len(out.Runs))
	for i, r := range out.Runs {
		ids[i] = r.ID
	}
	return ids
}

func TestStartRequestKeyHeader(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s, engine.Config{})
		if _, err := f.c.Apply(f.ctx, []client.SourceFile{{Filename: "hello.yaml", Content: hello}}); err != nil {
			t.Fatal(err)
		}
		batch := f.url + "/api/v1/workflows/hello/runs/batch"
		body := `{"runs":[{"params":{"who":"a"}},{},{"idempotency_key":"own"}]}`
		code, first := postKeyed(t, batch, "req-1", body)
		if code != http.StatusCreated || len(runIDsOf(t, first)) != 3 {
			t.Fatalf("first: %d %s", code, first)
		}
		code, again := postKeyed(t, batch, "req-1", body)
		if code != http.StatusCreated || again != first {
			t.Errorf("repeat: %d %s, want the same answer %s", code, again, first)
		}
		code, other := postKeyed(t, batch, "req-2", body)
		ids, firstIDs := runIDsOf(t, other), runIDsOf(t, first)
		if code != http.StatusCreated || ids[0] == firstIDs[0] || ids[2] != firstIDs[2] {
			t.Errorf("another key: %d %v, want new runs but the own key's %d", code, ids, firstIDs[2])
		}
		code, refused := postKeyed(t, batch, "req-1", `{"runs":[{"params":{"who":"b"}}]}`)
		if code != http.StatusUnprocessableEntity || !strings.Contains(refused, "Idempotency-Key") ||
			!strings.Contains(refused, "different request") {
			t.Errorf("the key with another body: %d %s, want 422 naming the header", code, refused)
		}

		// The single start: the header is the request's key too.
		one := f.url + "/api/v1/workflows/hello/runs"
		code, run1 := postKeyed(t, one, "one-1", `{}`)
		code2, run2 := postKeyed(t, one, "one-1", `{}`)
		var r1, r2 client.Run
		_ = json.Unmarshal([]byte(run1), &r1)
		_ = json.Unmarshal([]byte(run2), &r2)
		if code != http.StatusCreated || code2 != http.StatusCreated || r1.ID == 0 || r1.ID != r2.ID {
			t.Errorf("single start repeated: %d %s / %d %s, want one run", code, run1, code2, run2)
		}

		// Bounded and printable, else 422 naming the header.
		for _, bad := range []string{strings.Repeat("k", 256), "tab\there", "caf\xc3\xa9"} {
			if code, msg := postKeyed(t, batch, bad, body); code != http.StatusUnprocessableEntity || !strings.Contains(msg, "Idempotency-Key") {
				t.Errorf("key %q: %d %s, want 422 naming Idempotency-Key", bad, code, msg)
			}
		}
		if code, msg := postKeyed(t, batch, strings.Repeat("k", 255), body); code != http.StatusCreated {
			t.Errorf("a 255-byte key: %d %s", code, msg)
		}
		page, err := f.c.Runs(f.ctx, client.RunFilter{Workflow: "hello"})
		if err != nil || len(page.Items) != 3+2+1+2 {
			t.Errorf("%d runs (%v), want 8", len(page.Items), err)
		}
	})
}

// A start whose answer is lost on the way back is retried by the client
// on the next server with the same key, and starts its runs once.
func TestLostStartAnswerIsRetriedOnce(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s store.Store) {
		e := engine.New(s, engine.Config{})
		srv := server.New(e, server.Config{})
		real := httptest.NewServer(srv.Handler())
		var dropped atomic.Int32
		var mu sync.Mutex
		var keys []string
		// The proxy serves every call but drops the answer of the first
		// batch start after the server handled it.
		proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/runs/batch") {
				mu.Lock()
				keys = append(keys, r.Header.Get("Idempotency-Key"))
				mu.Unlock()
				if dropped.Add(1) == 1 {
					srv.Handler().ServeHTTP(httptest.NewRecorder(), r)
					conn, _, err := w.(http.Hijacker).Hijack()
					if err == nil {
						conn.Close()
					}
					return
				}
			}
			srv.Handler().ServeHTTP(w, r)
		}))
		t.Cleanup(func() { proxy.Close(); real.Close(); srv.Stop() })
		admin, _ := issueTestTokens(t, s)
		// Without kept-alive connections Go's transport never resends a
		// request itself (it would, one with an Idempotency-Key, on a
		// reused connection that broke): the move to the next server is
		// the client's.
		tr := &http.Transport{DisableKeepAlives: true}
		t.Cleanup(tr.CloseIdleConnections)
		c, err := client.New([]string{proxy.URL, real.URL}, client.WithToken(admin), client.WithHTTPClient(&http.Client{Transport: tr}))
		if err != nil {
			t.Fatal(err)
		}
		ctx := t.Context()
		if _, err := c.Apply(ctx, []client.SourceFile{{Filename: "hello.yaml", Content: hello}}); err != nil {
			t.Fatal(err)
		}
		runs, err := c.StartRuns(ctx, "hello", make([]client.StartRunRequest, 4))
		if err != nil || len(runs) != 4 {
			t.Fatalf("start: %d runs, %v", len(runs), err)
		}
		mu.Lock()
		defer mu.Unlock()
		if dropped.Load() != 1 || len(keys) != 1 || keys[0] == "" {
			t.Fatalf("the proxy saw %d batch starts with keys %q, want the first (dropped) with a key", dropped.Load(), keys)
		}
		page, err := c.Runs(ctx, client.RunFilter{Workflow: "hello"})
		if err != nil || len(page.Items) != 4 {
			t.Fatalf("%d runs stored (%v), want the 4 of one start", len(page.Items), err)
		}
		for _, r := range page.Items {
			if r.ID < runs[0].ID || r.ID > runs[3].ID {
				t.Errorf("run %d stored is not among those answered %d..%d", r.ID, runs[0].ID, runs[3].ID)
			}
		}

		// The retention loop forgets the key once it is older than a day.
		storetest.Exec(t, s, fmt.Sprintf("UPDATE start_requests SET created_at = %d",
			time.Now().Add(-25*time.Hour).UnixMilli()))
		if res := server.NewRetainer(e, server.RetentionConfig{Interval: -1}).RunOnce(ctx); res.RequestKeys != 1 {
			t.Errorf("retention deleted %d request keys, want 1", res.RequestKeys)
		}
	})
}
