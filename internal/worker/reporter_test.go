package worker

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/baton-sched/baton/client"
)

// heldReports is a report endpoint that holds each batch until the test
// answers it.
type heldReports struct {
	batches chan heldBatch
}

type heldBatch struct {
	reports []client.Report
	answer  chan struct{} // closed: answer 200
}

func (h heldReports) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var batch client.ReportBatch
	if err := json.NewDecoder(r.Body).Decode(&batch); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	b := heldBatch{reports: batch.Reports, answer: make(chan struct{})}
	select {
	case h.batches <- b:
	case <-r.Context().Done():
		return
	}
	select {
	case <-b.answer:
	case <-r.Context().Done():
		return
	}
	out := client.ReportBatchResult{Results: []client.ReportResult{}}
	for _, rep := range batch.Reports {
		out.Results = append(out.Results, client.ReportResult{AttemptID: rep.AttemptID, Status: http.StatusOK})
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

func (h heldReports) next(t *testing.T) heldBatch {
	t.Helper()
	select {
	case b := <-h.batches:
		return b
	case <-time.After(10 * time.Second):
		t.Fatal("no report batch arrived")
		return heldBatch{}
	}
}

type kindOf struct {
	id   int64
	kind string
}

func kinds(rs []client.Report) []kindOf {
	out := make([]kindOf, len(rs))
	for i, r := range rs {
		out[i] = kindOf{r.AttemptID, r.Kind}
	}
	return out
}

// A report made while a batch is in flight goes out at once on a second
// request, unless an earlier report of its attempt is in flight: that one
// is delivered first.
func TestReporterSendsWhileABatchIsInFlight(t *testing.T) {
	h := heldReports{batches: make(chan heldBatch)}
	srv := httptest.NewServer(h)
	defer srv.Close()
	c, err := client.New([]string{srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var superseded []int64
	r := newReporter(c, Config{MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond},
		slog.New(slog.DiscardHandler), func(id int64) { mu.Lock(); superseded = append(superseded, id); mu.Unlock() })
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { r.run(ctx) })
	defer func() { cancel(); wg.Wait() }()

	r.add("w1", client.Report{AttemptID: 1, Kind: "start"})
	first := h.next(t)
	if got := kinds(first.reports); !slices.Equal(got, []kindOf{{1, "start"}}) {
		t.Fatalf("first batch %v, want attempt 1's start", got)
	}
	// While it is in flight: attempt 1's finish must wait for it, attempt
	// 2's start need not.
	r.add("w1", client.Report{AttemptID: 1, Kind: "finish", State: "succeeded"})
	r.add("w1", client.Report{AttemptID: 2, Kind: "start"})
	second := h.next(t)
	if got := kinds(second.reports); !slices.Equal(got, []kindOf{{2, "start"}}) {
		t.Fatalf("second batch %v, want attempt 2's start alone", got)
	}
	if n := r.pending(); n != 3 {
		t.Fatalf("%d reports pending, want 3", n)
	}
	close(second.answer)
	waitFor(t, 10*time.Second, "the second batch delivered", func() bool { return r.pending() == 2 })
	close(first.answer)
	third := h.next(t)
	if got := kinds(third.reports); !slices.Equal(got, []kindOf{{1, "finish"}}) {
		t.Fatalf("third batch %v, want attempt 1's finish", got)
	}
	close(third.answer)
	fctx, fcancel := context.WithTimeout(ctx, 10*time.Second)
	defer fcancel()
	if err := r.flush(fctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(superseded) > 0 {
		t.Fatalf("attempts %v superseded, want none", superseded)
	}
}

// No more than reportSenders batches are in flight at once, and a report
// of another worker ID than the oldest's goes in a batch of its own.
func TestReporterBoundsBatchesInFlight(t *testing.T) {
	h := heldReports{batches: make(chan heldBatch)}
	srv := httptest.NewServer(h)
	defer srv.Close()
	c, err := client.New([]string{srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	r := newReporter(c, Config{MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond},
		slog.New(slog.DiscardHandler), func(int64) {})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { r.run(ctx) })
	defer func() { cancel(); wg.Wait() }()

	var held []heldBatch
	for i := range reportSenders {
		r.add("w1", client.Report{AttemptID: int64(10 + i), Kind: "start"})
		held = append(held, h.next(t))
	}
	r.add("w2", client.Report{AttemptID: 20, Kind: "start"})
	r.add("w1", client.Report{AttemptID: 21, Kind: "start"})
	select {
	case b := <-h.batches:
		t.Fatalf("batch %v sent while %d were in flight", kinds(b.reports), reportSenders)
	case <-time.After(50 * time.Millisecond): // a batch would have come by now
	}
	close(held[0].answer)
	next := h.next(t)
	if got := kinds(next.reports); !slices.Equal(got, []kindOf{{20, "start"}}) {
		t.Fatalf("batch %v, want worker w2's report alone", got)
	}
	close(next.answer)
	last := h.next(t)
	if got := kinds(last.reports); !slices.Equal(got, []kindOf{{21, "start"}}) {
		t.Fatalf("batch %v, want attempt 21's start", got)
	}
	close(last.answer)
	for _, b := range held[1:] {
		close(b.answer)
	}
	fctx, fcancel := context.WithTimeout(ctx, 10*time.Second)
	defer fcancel()
	if err := r.flush(fctx); err != nil {
		t.Fatal(err)
	}
}
