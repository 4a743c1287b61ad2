package worker

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baton-sched/baton/client"
)

// fakeServer speaks the worker protocol with scripted answers and records
// what the agent sent. Its fields after mu are the script; tests change
// them with set.
type fakeServer struct {
	*httptest.Server
	ttl, interval time.Duration
	closing       chan struct{}

	mu               sync.Mutex
	heartbeatMode    string          // "" (answer), "503" or "hang"
	down             bool            // claims, reports and logs answer 503
	claimHang        bool            // claims hang until the request ends
	maxReportBody    int64           // report batches larger than this get 413 (0: no limit)
	tooLarge         int             // report batches answered 413
	reportFailures   int             // answer 503 to this many more report batches
	registerFailures int             // answer 503 to this many more registrations
	reportGate       chan struct{}   // when set, reports wait until it is closed
	gone             map[string]bool // workers declared lost: heartbeats get 410
	kill             map[int64]bool  // attempts in the heartbeat's Kill list
	preempt          map[int64]bool  // attempts in the heartbeat's Preempt list
	conflict         map[int64]bool  // attempts whose reports get 409
	logsFenced       map[int64]bool  // attempts whose logs are refused
	draining         bool
	serverVersion    string // answered at registration
	queue            []client.Assignment
	work             chan struct{} // closed when work is queued

	registrations []client.RegisterRequest
	claims        []client.ClaimRequest
	workerSeq     int
	beats         []gotBeat
	reports       []gotReport
	reportBatches int // batches answered 200
	chunks        map[int64][]client.NewLogChunk
	stops         []string
	stopHeld      [][]int64 // what each stop said the worker holds
}

type gotBeat struct {
	WorkerID string
	Running  []int64
	Ending   []int64
	Complete bool
	OK       bool
	At       time.Time
}

type gotReport struct {
	WorkerID string
	client.Report
	Status int
}

func newFakeServer(t *testing.T, ttl, interval time.Duration) *fakeServer {
	f := &fakeServer{ttl: ttl, interval: interval, closing: make(chan struct{}), work: make(chan struct{}),
		gone: map[string]bool{}, kill: map[int64]bool{}, preempt: map[int64]bool{}, conflict: map[int64]bool{},
		logsFenced: map[int64]bool{}, chunks: map[int64][]client.NewLogChunk{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/workers", f.register)
	mux.HandleFunc("POST /api/v1/workers/{id}/heartbeat", f.heartbeat)
	mux.HandleFunc("POST /api/v1/workers/{id}/claim", f.claim)
	mux.HandleFunc("POST /api/v1/workers/{id}/reports", f.report)
	mux.HandleFunc("POST /api/v1/workers/{id}/logs", f.logs)
	mux.HandleFunc("POST /api/v1/workers/{id}/stop", f.stop)
	f.Server = httptest.NewServer(mux)
	t.Cleanup(func() {
		close(f.closing)
		f.Close()
	})
	return f
}

// set changes the script under the lock.
func (f *fakeServer) set(change func(f *fakeServer)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(f)
}

// get reads what was recorded under the lock.
func get[T any](f *fakeServer, read func(f *fakeServer) T) T {
	f.mu.Lock()
	defer f.mu.Unlock()
	return read(f)
}

// enqueue makes attempts claimable.
func (f *fakeServer) enqueue(asgs ...client.Assignment) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queue = append(f.queue, asgs...)
	close(f.work)
	f.work = make(chan struct{})
}

// reportsOf lists the reports accepted (200) or refused (409) for an attempt.
func (f *fakeServer) reportsOf(attemptID int64) []gotReport {
	return get(f, func(f *fakeServer) []gotReport {
		var out []gotReport
		for _, r := range f.reports {
			if r.AttemptID == attemptID {
				out = append(out, r)
			}
		}
		return out
	})
}

// waitReport waits for an accepted report of kind about an attempt.
func (f *fakeServer) waitReport(t *testing.T, attemptID int64, kind string) gotReport {
	t.Helper()
	var got gotReport
	waitFor(t, 15*time.Second, fmt.Sprintf("%s report of attempt %d", kind, attemptID), func() bool {
		for _, r := range f.reportsOf(attemptID) {
			if r.Kind == kind && r.Status == http.StatusOK {
				got = r
				return true
			}
		}
		return false
	})
	return got
}

// output is what an attempt wrote to one stream (or both when stream is
// ""), from its stored chunks in seq order.
func (f *fakeServer) output(attemptID int64, stream string) string {
	return get(f, func(f *fakeServer) string {
		var sb strings.Builder
		for _, c := range f.chunks[attemptID] {
			if stream == "" || c.Stream == stream {
				sb.WriteString(c.Data)
			}
		}
		return sb.String()
	})
}

func (f *fakeServer) unavailable(w http.ResponseWriter) {
	writeJSON(w, http.StatusServiceUnavailable, client.Error{Status: http.StatusServiceUnavailable, Title: "down"})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func decode[T any](w http.ResponseWriter, r *http.Request) (T, bool) {
	var v T
	if err := json.NewDecoder(r.Body).Decode(&v); err != nil {
		writeJSON(w, http.StatusBadRequest, client.Error{Status: http.StatusBadRequest, Detail: err.Error()})
		return v, false
	}
	return v, true
}

func (f *fakeServer) register(w http.ResponseWriter, r *http.Request) {
	req, ok := decode[client.RegisterRequest](w, r)
	if !ok {
		return
	}
	f.mu.Lock()
	if f.registerFailures > 0 {
		f.registerFailures--
		f.mu.Unlock()
		f.unavailable(w)
		return
	}
	f.registrations = append(f.registrations, req)
	f.workerSeq++
	id := fmt.Sprintf("w-%d", f.workerSeq)
	serverVersion := f.serverVersion
	f.mu.Unlock()
	writeJSON(w, http.StatusCreated, client.Registration{
		Worker:   client.Worker{ID: id, Name: req.Name, Zone: req.Zone, State: "active", Capacity: req.Capacity},
		LeaseTTL: f.ttl, HeartbeatInterval: f.interval, ServerVersion: serverVersion,
	})
}

func (f *fakeServer) heartbeat(w http.ResponseWriter, r *http.Request) {
	req, ok := decode[client.HeartbeatRequest](w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	f.mu.Lock()
	mode, gone := f.heartbeatMode, f.gone[id]
	beat := gotBeat{WorkerID: id, Running: req.Running, Ending: req.Ending, Complete: req.Complete,
		OK: mode == "" && !gone, At: time.Now()}
	f.beats = append(f.beats, beat)
	resp := client.HeartbeatResponse{Kill: []int64{}, State: "active", LeaseTTL: f.ttl}
	if f.draining {
		resp.State = "draining"
	}
	for _, a := range req.Running {
		if f.kill[a] {
			resp.Kill = append(resp.Kill, a)
		}
		if f.preempt[a] {
			resp.Preempt = append(resp.Preempt, a)
		}
	}
	f.mu.Unlock()
	switch {
	case gone:
		writeJSON(w, http.StatusGone, client.Error{Status: http.StatusGone, Detail: "worker " + id + " is lost"})
	case mode == "503":
		f.unavailable(w)
	case mode == "hang":
		select {
		case <-r.Context().Done():
		case <-f.closing:
		}
	default:
		writeJSON(w, http.StatusOK, resp)
	}
}

func (f *fakeServer) claim(w http.ResponseWriter, r *http.Request) {
	req, ok := decode[client.ClaimRequest](w, r)
	if !ok {
		return
	}
	f.set(func(f *fakeServer) { f.claims = append(f.claims, req) })
	timeout := time.NewTimer(req.Wait)
	defer timeout.Stop()
	id := r.PathValue("id")
	if get(f, func(f *fakeServer) bool { return f.claimHang }) {
		select {
		case <-r.Context().Done():
		case <-f.closing:
		}
		return
	}
	for {
		f.mu.Lock()
		down, gone, work := f.down, f.gone[id], f.work
		var out []client.Assignment
		if !down && !gone {
			for len(f.queue) > 0 && len(out) < req.Max && f.queue[0].CU <= req.FreeCU+1e-9 {
				req.FreeCU -= f.queue[0].CU
				out, f.queue = append(out, f.queue[0]), f.queue[1:]
			}
		}
		f.mu.Unlock()
		switch {
		case down:
			f.unavailable(w)
			return
		case gone:
			writeJSON(w, http.StatusGone, client.Error{Status: http.StatusGone, Detail: "worker " + id + " is lost"})
			return
		case len(out) > 0:
			writeJSON(w, http.StatusOK, client.ClaimResponse{Assignments: out})
			return
		}
		select {
		case <-work:
		case <-timeout.C:
			writeJSON(w, http.StatusOK, client.ClaimResponse{Assignments: []client.Assignment{}})
			return
		case <-r.Context().Done():
			return
		case <-f.closing:
			return
		}
	}
}

func (f *fakeServer) report(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	limit := f.maxReportBody
	if limit > 0 && r.ContentLength > limit {
		f.tooLarge++
		f.mu.Unlock()
		writeJSON(w, http.StatusRequestEntityTooLarge, client.Error{Status: http.StatusRequestEntityTooLarge,
			Title: "request body too large"})
		return
	}
	f.mu.Unlock()
	batch, ok := decode[client.ReportBatch](w, r)
	if !ok {
		return
	}
	if gate := get(f, func(f *fakeServer) chan struct{} { return f.reportGate }); gate != nil {
		select {
		case <-gate:
		case <-f.closing:
			return
		}
	}
	f.mu.Lock()
	if f.down || f.reportFailures > 0 {
		f.reportFailures = max(f.reportFailures-1, 0)
		f.mu.Unlock()
		f.unavailable(w)
		return
	}
	out := client.ReportBatchResult{Results: []client.ReportResult{}}
	for _, rep := range batch.Reports {
		status := http.StatusOK
		if f.conflict[rep.AttemptID] {
			status = http.StatusConflict
		}
		f.reports = append(f.reports, gotReport{WorkerID: r.PathValue("id"), Report: rep, Status: status})
		out.Results = append(out.Results, client.ReportResult{AttemptID: rep.AttemptID, Status: status})
	}
	f.reportBatches++
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func (f *fakeServer) logs(w http.ResponseWriter, r *http.Request) {
	batch, ok := decode[client.LogBatch](w, r)
	if !ok {
		return
	}
	f.mu.Lock()
	if f.down {
		f.mu.Unlock()
		f.unavailable(w)
		return
	}
	out := client.LogBatchResult{Fenced: []int64{}}
	for _, c := range batch.Chunks {
		switch {
		case f.logsFenced[c.AttemptID]:
			if !slices.Contains(out.Fenced, c.AttemptID) {
				out.Fenced = append(out.Fenced, c.AttemptID)
			}
		case !slices.ContainsFunc(f.chunks[c.AttemptID], func(o client.NewLogChunk) bool { return o.Seq == c.Seq }):
			f.chunks[c.AttemptID] = append(f.chunks[c.AttemptID], c)
		}
	}
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func (f *fakeServer) stop(w http.ResponseWriter, r *http.Request) {
	req, ok := decode[client.WorkerStop](w, r)
	if !ok {
		return
	}
	f.mu.Lock()
	f.stops = append(f.stops, r.PathValue("id"))
	f.stopHeld = append(f.stopHeld, req.Held)
	f.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}
