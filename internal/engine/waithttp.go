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
	"github.com/baton-sched/baton/internal/kinds/wait"
)

// The HTTP condition of wait tasks: a GET checked by the servers, outside
// any transaction, a bounded number at once, each with a timeout.

// waitBodyLimit bounds the body read to look for body_contains.
const waitBodyLimit = 64 << 10

// check sends the request; met says whether the answer is the one
// expected, why says what it was otherwise (no secrets: headers are not
// echoed, and the URL is redacted).
func checkHTTP(ctx context.Context, client *http.Client, timeout time.Duration, r *wait.HTTPRequest) (met bool, why string) {
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
	reqs map[int64]*wait.HTTPRequest) map[int64]bool {
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
			ok, _ := checkHTTP(ctx, client, timeout, r)
			mu.Lock()
			met[id] = ok
			mu.Unlock()
		}()
	}
	wg.Wait()
	return met
}
