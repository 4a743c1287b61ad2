package engine

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/baton-sched/baton/internal/egress"
	"github.com/baton-sched/baton/internal/workflow"
)

// The HTTP condition of wait tasks: a GET checked by the servers, outside
// any transaction, a bounded number at once, each with a timeout.

// waitHTTPRequest is a wait's HTTP condition rendered for one check.
type waitHTTPRequest struct {
	URL          string
	Headers      map[string]string
	Status       int
	BodyContains string
}

// waitBodyLimit bounds the body read to look for body_contains.
const waitBodyLimit = 64 << 10

func renderWaitHTTP(h *workflow.WaitHTTP, scope workflow.Scope) (waitHTTPRequest, error) {
	req := waitHTTPRequest{Status: h.Status}
	var err error
	if req.URL, err = workflow.Render(h.URL, scope); err != nil {
		return req, &renderError{fmt.Errorf("wait.http.url: %w", err)}
	}
	if u := strings.TrimSpace(req.URL); !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		return req, &renderError{fmt.Errorf("wait.http.url: must start with http:// or https://, got %q", redactURL(u))}
	}
	if req.BodyContains, err = workflow.Render(h.BodyContains, scope); err != nil {
		return req, &renderError{fmt.Errorf("wait.http.body_contains: %w", err)}
	}
	if len(h.Headers) > 0 {
		req.Headers = make(map[string]string, len(h.Headers))
	}
	for k, v := range h.Headers {
		if req.Headers[k], err = workflow.Render(v, scope); err != nil {
			return req, &renderError{fmt.Errorf("wait.http.headers.%s: %w", k, err)}
		}
	}
	return req, nil
}

// redactURL hides the credentials a URL may carry, for events and logs.
func redactURL(u string) string { return egress.Redact(u) }

// check sends the request; met says whether the answer is the one
// expected, why says what it was otherwise (no secrets: headers are not
// echoed, and the URL is redacted).
func (r waitHTTPRequest) check(ctx context.Context, client *http.Client, timeout time.Duration) (met bool, why string) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSpace(r.URL), nil)
	if err != nil {
		return false, "bad request: " + egress.Opaque(ctx, err).Error()
	}
	for k, v := range r.Headers {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		return false, egress.Opaque(ctx, err).Error()
	}
	defer resp.Body.Close()
	ok := resp.StatusCode == r.Status || (r.Status == 0 && resp.StatusCode/100 == 2)
	if !ok {
		return false, fmt.Sprintf("status %d", resp.StatusCode)
	}
	if r.BodyContains == "" {
		return true, ""
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, waitBodyLimit))
	if err != nil {
		return false, "reading the body: " + egress.Opaque(ctx, err).Error()
	}
	if !strings.Contains(string(body), r.BodyContains) {
		return false, "the body does not contain the text expected"
	}
	return true, ""
}

// checkAll checks reqs with at most conc requests at once and returns
// which conditions are met.
func checkAll(ctx context.Context, client *http.Client, timeout time.Duration, conc int,
	reqs map[int64]waitHTTPRequest) map[int64]bool {
	met := make(map[int64]bool, len(reqs))
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(conc, 1))
	for id, r := range reqs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ok, _ := r.check(ctx, client, timeout)
			mu.Lock()
			met[id] = ok
			mu.Unlock()
		}()
	}
	wg.Wait()
	return met
}
