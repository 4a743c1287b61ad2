package bench

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"
)

// UILatency is how long the web UI's pages took with the history
// stored: each page requested as a logged-in browser would, timed from
// the request to the last byte of the page over loopback.
type UILatency struct {
	Attempts int64              `json:"attempts"`
	Pages    map[string]Summary `json:"pages"`
	// NotServed lists the pages this build of the UI does not have.
	NotServed []string `json:"not_served,omitempty"`
}

// uiPages are the pages timed, in the order reported; {run} is a run of
// the history, a different one each request.
var uiPages = []struct{ Name, Path string }{
	{"overview", "/"},
	{"runs", "/runs"},
	{"runs, failed of a workflow", "/runs?workflow=bench-history&state=failed"},
	{"run", "/runs/{run}"},
	{"run with a task panel", "/runs/{run}?task=t0"},
	{"workflows", "/workflows"},
	{"workflow (DAG, grid)", "/workflows/bench-history"},
	{"zones", "/zones"},
	{"events", "/events"},
	{"events of a run", "/events?run={run}"},
}

// uiPages renders each page of the web UI requests times over the
// history of attempts (stored first if the history scenario did not).
func (e *env) uiPages(ctx context.Context, attempts int64, requests int) (*UILatency, error) {
	first, last, err := e.storedHistory(ctx, attempts)
	if err != nil {
		return nil, err
	}
	out := &UILatency{Attempts: (last - first + 1) * historyTasks, Pages: map[string]Summary{}}
	rng := rand.New(rand.NewPCG(3, 4))
	hc := &http.Client{Timeout: time.Minute, Transport: &http.Transport{TLSClientConfig: e.tls}}
	get := func(path string) (int, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.url+path, nil)
		if err != nil {
			return 0, err
		}
		req.Header.Set("Authorization", "Bearer "+e.admin)
		resp, err := hc.Do(req)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		_, err = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, err
	}
	for _, p := range uiPages {
		ds := make([]time.Duration, 0, requests)
		for i := range requests {
			path := strings.ReplaceAll(p.Path, "{run}", fmt.Sprint(first+rng.Int64N(last-first+1)))
			t0 := time.Now()
			status, err := get(path)
			d := time.Since(t0)
			switch {
			case err != nil:
				return nil, fmt.Errorf("page %s: %w", p.Name, err)
			case status == http.StatusNotFound && i == 0: // the runs exist: the page does not
				out.NotServed = append(out.NotServed, p.Name)
			case status != http.StatusOK:
				return nil, fmt.Errorf("page %s (GET %s): status %d", p.Name, path, status)
			}
			if status == http.StatusNotFound {
				break
			}
			ds = append(ds, d)
		}
		if len(ds) > 0 {
			out.Pages[p.Name] = summarize(ds)
		}
	}
	return out, nil
}
