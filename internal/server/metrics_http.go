package server

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// httpMetrics counts and times the requests a server answers, by route
// pattern (never the raw path: the label values stay few) and status.
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newHTTPMetrics(reg prometheus.Registerer) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "baton_http_requests_total",
			Help: "HTTP requests answered, by method and route pattern (unmatched for none) and status code."},
			[]string{"method", "route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "baton_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by method and route pattern (long polls and streams included).",
			Buckets: []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}},
			[]string{"method", "route"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

// observe records a request answered; pattern is the ServeMux pattern it
// matched ("GET /api/v1/runs/{id}", "" for none).
func (m *httpMetrics) observe(pattern string, status int, d time.Duration) {
	method, route, ok := strings.Cut(pattern, " ")
	switch {
	case pattern == "":
		method, route = "", "unmatched"
	case !ok:
		method, route = "", pattern
	}
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(method, route).Observe(d.Seconds())
}

// statusWriter remembers the status of the answer. Unwrap lets
// http.ResponseController reach the connection (deadlines, flushes).
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) status() int {
	if w.code == 0 {
		return http.StatusOK // nothing written: net/http answers 200
	}
	return w.code
}
