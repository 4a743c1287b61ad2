package workflow

import (
	"strings"
	"time"
)

// HTTP makes a task call a URL instead of running a command: the worker
// sends the request and the task succeeds when the answer's status is
// expected. The answer's status and body (up to 64 KiB) become the task's
// outputs "status" and "body".
type HTTP struct {
	// Method is GET (the default), HEAD, POST, PUT, PATCH or DELETE.
	Method string `json:"method,omitempty"`
	// URL is an http:// or https:// URL, a template.
	URL string `json:"url"`
	// Headers are request headers; values are templates.
	Headers map[string]string `json:"headers,omitempty"`
	// Body is the request body, a template.
	Body string `json:"body,omitempty"`
	// ExpectStatus lists the statuses that mean success; empty means any
	// 2xx.
	ExpectStatus []int `json:"expect_status,omitempty"`
	// Timeout limits the request; zero means the task's timeout, else
	// DefaultHTTPTimeout.
	Timeout Duration `json:"timeout,omitzero"`
}

// DefaultHTTPTimeout limits a request whose task sets no timeout.
const DefaultHTTPTimeout = Duration(time.Minute)

// decodeHTTP reads a task's http block (nil when there is none); the
// schema checked its shape.
func (v *validator) decodeHTTP(val any, p path) *HTTP {
	m, ok := val.(map[string]any)
	if !ok {
		return nil
	}
	h := &HTTP{}
	h.Method, _ = m["method"].(string)
	h.URL, _ = m["url"].(string)
	if u := strings.TrimSpace(h.URL); u != "" && !strings.HasPrefix(u, "${{") &&
		!strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		v.ps.add(p.key("url"), "must start with http:// or https://, got %s", shorten(u))
	}
	if hs, ok := m["headers"].(map[string]any); ok {
		h.Headers = make(map[string]string, len(hs))
		for k, hv := range hs {
			h.Headers[k], _ = scalarString(hv)
		}
	}
	h.Body, _ = m["body"].(string)
	if codes, ok := m["expect_status"].([]any); ok {
		for _, c := range codes {
			n, _ := integer(c)
			h.ExpectStatus = append(h.ExpectStatus, n)
		}
	}
	if s, ok := m["timeout"].(string); ok {
		h.Timeout = v.duration(s, p.key("timeout"))
	}
	return h
}

// templates returns the block's templates by field path, for checking and
// for finding the outputs they refer to.
func (h *HTTP) templates(p path) map[string]tmplField {
	out := map[string]tmplField{"url": {h.URL, p.key("url")}, "body": {h.Body, p.key("body")}}
	for k, val := range h.Headers {
		out["headers."+k] = tmplField{val, p.key("headers").key(k)}
	}
	return out
}

// tmplField is a template and where it is written.
type tmplField struct {
	text string
	path path
}
