// Package http is the http task kind: the worker sends a request and the
// task succeeds when the answer's status is expected. The answer's status
// and body (up to 64 KiB) become the task's outputs "status" and "body".
package http

import (
	"cmp"
	"strings"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/client/vocab"
	"github.com/baton-sched/baton/internal/taskkind"
)

func init() {
	taskkind.Register(taskkind.Kind{
		Name: vocab.KindHTTP, Block: "http", Rank: 20,
		Conflict: "an http task runs no command and is not noop: give one of run, noop and http",
		Decode:   decode,
		New:      func() taskkind.Spec { return &Block{} },
		Prepare:  prepare,
		Execute:  execute,
		// Without a timeout of its own, a request has a minute.
		DefaultTimeout: time.Minute,
		Outputs:        []string{"status", "body"},
	})
}

// Block is a task's http block.
type Block struct {
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
	// DefaultTimeout.
	Timeout taskkind.Duration `json:"timeout,omitzero"`
}

// DefaultTimeout limits a request whose task sets no timeout.
const DefaultTimeout = taskkind.Duration(time.Minute)

var block = taskkind.P("http")

// decode reads a task's http block (nil when there is none); the schema
// checked its shape.
func decode(d taskkind.Decoder, task map[string]any) taskkind.Spec {
	m, ok := task["http"].(map[string]any)
	if !ok {
		return nil
	}
	h := &Block{}
	h.Method, _ = m["method"].(string)
	h.URL, _ = m["url"].(string)
	if u := strings.TrimSpace(h.URL); u != "" && !strings.HasPrefix(u, "${{") &&
		!strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		d.Problem(block.Key("url"), "must start with http:// or https://, got %s", taskkind.Shorten(u))
	}
	if hs, ok := m["headers"].(map[string]any); ok {
		h.Headers = make(map[string]string, len(hs))
		for k, hv := range hs {
			h.Headers[k], _ = taskkind.Scalar(hv)
		}
	}
	h.Body, _ = m["body"].(string)
	if codes, ok := m["expect_status"].([]any); ok {
		for _, c := range codes {
			n, _ := taskkind.Integer(c)
			h.ExpectStatus = append(h.ExpectStatus, n)
		}
	}
	if s, ok := m["timeout"].(string); ok {
		h.Timeout = d.Duration(s, block.Key("timeout"))
	}
	return h
}

// Templates: the URL (no secrets: it shows in logs), the headers and the
// body.
func (h *Block) Templates() []taskkind.Template {
	out := []taskkind.Template{{Path: block.Key("url"), Text: h.URL}, {Path: block.Key("body"), Text: h.Body, Secrets: true}}
	for k, v := range h.Headers {
		out = append(out, taskkind.Template{Path: block.Key("headers").Key(k), Text: v, Secrets: true})
	}
	return out
}

// Keys writes the block under "http".
func (h *Block) Keys() []taskkind.KeyValue { return []taskkind.KeyValue{{Key: "http", Value: h}} }

// prepare renders the request; the attempt's timeout is the request's.
func prepare(r taskkind.Renderer, s taskkind.Spec) (taskkind.Prepared, error) {
	h := s.(*Block)
	req := &client.HTTPRequest{Method: cmp.Or(h.Method, "GET"), ExpectStatus: h.ExpectStatus}
	var err error
	if req.URL, err = r.Render(block.Key("url"), h.URL); err != nil {
		return taskkind.Prepared{}, err
	}
	if req.Body, err = r.Render(block.Key("body"), h.Body); err != nil {
		return taskkind.Prepared{}, err
	}
	if len(h.Headers) > 0 {
		req.Headers = make(map[string]string, len(h.Headers))
	}
	for k, v := range h.Headers {
		if req.Headers[k], err = r.Render(block.Key("headers").Key(k), v); err != nil {
			return taskkind.Prepared{}, err
		}
	}
	return taskkind.Prepared{Payload: req, Timeout: cmp.Or(h.Timeout.Std(), r.Timeout(), DefaultTimeout.Std())}, nil
}
