package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"
)

// Request limits. Each API operation reads at most its body limit
// (bodyLimits, else defaultBodyLimit); the body must arrive within
// bodyReadTimeout and the answer be written within the operation's write
// timeout (long-polls get theirs from MaxClaimWait).
const (
	defaultBodyLimit = 64 << 10
	bodyReadTimeout  = 30 * time.Second
	writeTimeout     = 60 * time.Second
	reportBodyLimit  = 64 << 20
)

// bodyLimits are the operations that take more than defaultBodyLimit.
var bodyLimits = map[string]int64{
	"apply-workflows": 4 << 20, // whole definitions, several files
	"start-runs":      1 << 20, // up to 1000 runs with their parameters
	// Finish reports carry outputs and checkpoints. A worker must never
	// have one refused (its task would stay running), so the limit is far
	// past what a worker sends (1 MiB of $BATON_OUTPUT a task); outputs
	// past max_output_bytes are accepted and fail their task instead.
	"report-batch": reportBodyLimit,
	"report":       reportBodyLimit,
	"send-logs":    1 << 20, // a worker sends at most 128 KiB of output a batch
	"call-webhook": webhookBodyLimit,
}

// route is what the guard knows of an API operation.
type route struct {
	id       string
	limit    int64
	jsonBody bool          // takes a JSON body
	write    time.Duration // 0: no write deadline
}

// guard wraps the API: for every request it bounds the time to read the
// body and to write the answer and the size of the body (413, naming the
// limit), and for every mutating request (POST, PUT, PATCH, DELETE) it
// refuses a foreign Origin or Host (403, see hostPolicy) and a body that
// is not JSON where JSON is expected (415). Refused requests change
// nothing.
type guard struct {
	mux    *http.ServeMux
	routes map[string]route // by mux pattern, "POST /api/v1/workflows"
	hosts  hostPolicy
	// sick says whether the server cannot commit in time: worker-protocol
	// calls are then answered 503 at once, so that workers move on.
	sick func() (bool, string)
	// metrics, when set, counts and times every request.
	metrics *httpMetrics
}

// newGuard reads the operations of api and gives every one its body
// limit (huma's own limit is set past it, so the guard's answer is the
// one a client sees).
// Limits set from the configuration (put-resource's) come in limits.
func newGuard(mux *http.ServeMux, api huma.API, hosts hostPolicy, claimWait time.Duration, limits map[string]int64) *guard {
	g := &guard{mux: mux, routes: map[string]route{}, hosts: hosts}
	for path, item := range api.OpenAPI().Paths {
		for method, op := range map[string]*huma.Operation{http.MethodGet: item.Get, http.MethodPost: item.Post,
			http.MethodPut: item.Put, http.MethodPatch: item.Patch, http.MethodDelete: item.Delete} {
			if op == nil {
				continue
			}
			r := route{id: op.OperationID, limit: defaultBodyLimit, jsonBody: takesJSON(op), write: writeTimeout}
			if l, ok := bodyLimits[op.OperationID]; ok {
				r.limit = l
			}
			if l, ok := limits[op.OperationID]; ok {
				r.limit = l
			}
			if op.OperationID == "claim" {
				r.write += claimWait
			}
			if op.OperationID == "backup" {
				r.write = 0 // a snapshot of any size streams
			}
			op.MaxBodyBytes = r.limit + 1
			g.routes[method+" "+path] = r
		}
	}
	return g
}

func (g *guard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, pattern := g.mux.Handler(r)
	if g.metrics != nil {
		sw := &statusWriter{ResponseWriter: w}
		start := time.Now()
		defer func() { g.metrics.observe(pattern, sw.status(), time.Since(start)) }()
		w = sw
	}
	rt, ok := g.routes[pattern]
	if !ok {
		rt = route{id: pattern, limit: defaultBodyLimit, write: writeTimeout}
	}
	if workerOps[rt.id] && g.sick != nil {
		if sick, why := g.sick(); sick {
			w.Header().Set("Retry-After", "1")
			problem(w, http.StatusServiceUnavailable, why+": try another server")
			return
		}
	}
	rc := http.NewResponseController(w)
	if rt.write > 0 {
		_ = rc.SetWriteDeadline(time.Now().Add(rt.write))
	}
	if mutating(r.Method) {
		if msg := g.hosts.check(r); msg != "" {
			problem(w, http.StatusForbidden, msg)
			return
		}
		if rt.jsonBody && r.ContentLength != 0 && !isJSON(r.Header.Get("Content-Type")) {
			problem(w, http.StatusUnsupportedMediaType, fmt.Sprintf(
				"%s takes a JSON body: send Content-Type: application/json", rt.id))
			return
		}
	}
	if r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody {
		if r.ContentLength > rt.limit {
			problem(w, http.StatusRequestEntityTooLarge, tooLarge(rt))
			return
		}
		_ = rc.SetReadDeadline(time.Now().Add(bodyReadTimeout))
		buf := bodies.Get().(*bytes.Buffer)
		buf.Reset()
		defer putBody(buf)
		_, err := buf.ReadFrom(io.LimitReader(r.Body, rt.limit+1))
		body := buf.Bytes()
		_ = r.Body.Close()
		_ = rc.SetReadDeadline(time.Time{})
		switch {
		case err != nil:
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				problem(w, http.StatusRequestTimeout, "request body not received in time")
				return
			}
			problem(w, http.StatusBadRequest, "cannot read the request body")
			return
		case int64(len(body)) > rt.limit:
			problem(w, http.StatusRequestEntityTooLarge, tooLarge(rt))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
	}
	g.mux.ServeHTTP(w, r)
}

// bodies holds the buffers request bodies are read into. A handler is
// done with its body when it returns (decoding copies what it keeps), so
// the buffer is reused for the next request; one larger than
// maxPooledBody is left to the collector.
var bodies = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const maxPooledBody = 1 << 20

func putBody(b *bytes.Buffer) {
	if b.Cap() <= maxPooledBody {
		bodies.Put(b)
	}
}

func tooLarge(rt route) string {
	return fmt.Sprintf("request body is larger than the %s limit of %s", byteSize(rt.limit), rt.id)
}

// byteSize writes n as "64 KiB", "4 MiB" or "100 bytes".
func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

func mutating(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

// takesJSON says whether an operation's body is JSON (not a raw upload).
func takesJSON(op *huma.Operation) bool {
	if op.RequestBody == nil {
		return false
	}
	for ct := range op.RequestBody.Content {
		if isJSON(ct) {
			return true
		}
	}
	return len(op.RequestBody.Content) == 0
}

// isJSON accepts application/json and application/*+json, with parameters.
func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}

// problem writes an RFC 9457 problem document.
func problem(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"title": http.StatusText(status), "status": status, "detail": detail})
}

// hostPolicy decides which Host and Origin a mutating request may carry,
// against DNS rebinding and cross-site requests from a browser:
//   - an Origin header (browsers send one with every mutating request)
//     must be the origin of the request's own Host, and that Host allowed;
//   - on a server listening on loopback, the Host must always be allowed
//     (every legitimate client is on this machine).
//
// Allowed hosts are loopback names and addresses, the listen address, and
// the host of PublicURL. A server listening on every interface without a
// public URL cannot know its names: it allows any Host to clients that
// send no Origin, and to browsers any IP address.
type hostPolicy struct {
	loopback bool   // the server listens on loopback only
	listen   string // the listen host ("" for every interface)
	public   string // the host of the public URL, lowercase, or ""
	publicOr string // the public URL's origin, "https://baton.example.com"
}

func newHostPolicy(addr, publicURL string) hostPolicy {
	var p hostPolicy
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if ip := net.ParseIP(host); (ip != nil && ip.IsLoopback()) || strings.EqualFold(host, "localhost") {
		p.loopback = true
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsUnspecified() {
		p.listen = strings.ToLower(host)
	}
	if u, err := url.Parse(publicURL); err == nil && u.Host != "" {
		p.public = strings.ToLower(u.Hostname())
		p.publicOr = strings.ToLower(u.Scheme + "://" + u.Host)
	}
	return p
}

// check returns why r is refused, or "".
func (p hostPolicy) check(r *http.Request) string {
	host := strings.ToLower(r.Host)
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	name = strings.Trim(name, "[]")
	origin := r.Header.Get("Origin")
	switch {
	case origin != "":
		o := strings.ToLower(origin)
		if o == p.publicOr && p.publicOr != "" {
			return ""
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host != host {
			return fmt.Sprintf("cross-origin request refused: Origin %q is not this server's", clip(origin))
		}
		if !p.allowed(name) {
			return fmt.Sprintf("request refused: Host %q is not a name of this server (set public_url)", clip(r.Host))
		}
	case p.loopback && !p.allowed(name):
		return fmt.Sprintf("request refused: Host %q is not a name of this server (set public_url)", clip(r.Host))
	}
	return ""
}

// allowed says whether a host name may address this server.
func (p hostPolicy) allowed(name string) bool {
	if name == "localhost" || strings.HasSuffix(name, ".localhost") || name == p.public || (name == p.listen && name != "") {
		return true
	}
	ip := net.ParseIP(name)
	switch {
	case ip != nil && ip.IsLoopback():
		return true
	case p.loopback:
		return false
	case ip != nil:
		return true
	}
	return false
}

// clip shortens what a client sent before it is quoted back.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
