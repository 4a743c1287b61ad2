package client

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultURL is the address `baton dev` and `baton server` listen on by default.
const DefaultURL = "http://127.0.0.1:8420"

// Client calls a Baton server, failing over between several.
type Client struct {
	urls  []string
	next  atomic.Uint32 // index of the server to try first
	http  *http.Client
	own   *http.Transport // the default transport, nil with WithHTTPClient
	tls   *tls.Config
	token string // bearer of API calls
	join  string // bearer of worker registrations (else token)

	creds *Credentials // of the workers registered through it
}

// Credentials holds the credentials registrations issued, by worker ID.
// Clients given the same one (WithCredentials) share them: a worker that
// registered through one server's client calls others with its credential.
type Credentials struct {
	mu sync.Mutex
	m  map[string]string
}

// NewCredentials returns an empty set of credentials.
func NewCredentials() *Credentials { return &Credentials{m: map[string]string{}} }

func (c *Credentials) get(workerID string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.m[workerID]
	return s, ok
}

// Get returns the credential of workerID, if any.
func (c *Credentials) Get(workerID string) (string, bool) { return c.get(workerID) }

// Set keeps secret as the credential of workerID: a worker restarted on
// the same work directory calls for its predecessor's ID with it.
func (c *Credentials) Set(workerID, secret string) { c.set(workerID, secret) }

func (c *Credentials) set(workerID, secret string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[workerID] = secret
}

// WithCredentials makes the client keep worker credentials in creds,
// shared with the other clients given it.
func WithCredentials(creds *Credentials) Option { return func(c *Client) { c.creds = creds } }

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient replaces the default HTTP client.
// Its transport then carries the TLS configuration (WithTLSConfig does not
// apply).
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http, c.own = h, nil } }

// WithTLSConfig sets the TLS configuration of https:// server URLs: the
// CAs that verify the servers and, for workers of servers that demand it,
// the client certificate (see internal/tlsconf). Without it, the system's
// roots verify servers.
func WithTLSConfig(cfg *tls.Config) Option { return func(c *Client) { c.tls = cfg } }

// WithToken sets the token sent as "Authorization: Bearer" with every
// call (baton token create, BATON_TOKEN). The server records its
// principal as the actor of what the call does.
func WithToken(secret string) Option { return func(c *Client) { c.token = strings.TrimSpace(secret) } }

// WithJoinToken sets the join token Register sends (else the token of
// WithToken). A registration returns a credential bound to the worker,
// which the worker-protocol calls for that worker ID then send.
func WithJoinToken(secret string) Option {
	return func(c *Client) { c.join = strings.TrimSpace(secret) }
}

// WithWorkerCredential sets the credential of a worker registered
// before (for a worker-protocol call made without Register).
func WithWorkerCredential(workerID, secret string) Option {
	return func(c *Client) { c.setCredential(workerID, secret) }
}

func (c *Client) joinToken() string { return cmp.Or(c.join, c.token) }

func (c *Client) setCredential(workerID, secret string) { c.creds.set(workerID, secret) }

// asWorker makes ctx carry the credential of the worker, if known.
func (c *Client) asWorker(ctx context.Context, workerID string) context.Context {
	if cred, ok := c.creds.get(workerID); ok {
		return withBearer(ctx, cred)
	}
	return ctx
}

type bearerKey struct{}

func withBearer(ctx context.Context, secret string) context.Context {
	return context.WithValue(ctx, bearerKey{}, secret)
}

// New returns a client of the servers at urls (comma-separated lists are
// split too); with none, DefaultURL.
func New(urls []string, opts ...Option) (*Client, error) {
	own := NewTransport()
	c := &Client{http: &http.Client{Transport: own}, own: own, creds: NewCredentials()}
	for _, u := range urls {
		for _, part := range strings.Split(u, ",") {
			part = strings.TrimRight(strings.TrimSpace(part), "/")
			if part == "" {
				continue
			}
			if _, err := url.ParseRequestURI(part); err != nil {
				return nil, fmt.Errorf("server url %q: %w", part, err)
			}
			c.urls = append(c.urls, part)
		}
	}
	if len(c.urls) == 0 {
		c.urls = []string{DefaultURL}
	}
	for _, o := range opts {
		o(c)
	}
	if c.own != nil && c.tls != nil {
		c.own.TLSClientConfig = c.tls
	}
	return c, nil
}

// NewTransport returns the transport a client uses by default. It keeps
// enough idle connections per server for a worker's concurrent requests (a
// long-poll claim, heartbeats, reports, logs) and a client's parallel
// calls; the default two would close and reopen connections all the time.
// It speaks HTTP/1.1, also over TLS: a request that times out on a hung
// server then takes its connection with it, instead of leaving a dead
// HTTP/2 connection that later requests would share.
func NewTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 32
	t.ForceAttemptHTTP2 = false
	t.Protocols = new(http.Protocols)
	t.Protocols.SetHTTP1(true)
	return t
}

// URLs returns the servers the client uses.
func (c *Client) URLs() []string { return c.urls }

// Error is an error answer of the API: an RFC 9457 problem document.
type Error struct {
	Status int           `json:"status"`
	Title  string        `json:"title"`
	Detail string        `json:"detail"`
	Errors []ErrorDetail `json:"errors,omitempty"`
}

// ErrorDetail locates one problem with a request.
type ErrorDetail struct {
	Message  string `json:"message"`
	Location string `json:"location,omitempty"`
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(cmpOr(e.Detail, e.Title, http.StatusText(e.Status)))
	for _, d := range e.Errors {
		b.WriteString("\n  ")
		if d.Location != "" && !strings.Contains(d.Message, d.Location) {
			b.WriteString(d.Location + ": ")
		}
		b.WriteString(d.Message)
	}
	return b.String()
}

func cmpOr(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// StatusOf returns the HTTP status of an API error, or 0.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// IsNotFound reports a 404 answer.
func IsNotFound(err error) bool { return StatusOf(err) == http.StatusNotFound }

// IsConflict reports a 409 answer: for a worker report, the attempt was
// superseded (fenced).
func IsConflict(err error) bool { return StatusOf(err) == http.StatusConflict }

// IsGone reports a 410 answer: the worker was declared lost.
func IsGone(err error) bool { return StatusOf(err) == http.StatusGone }

// do sends a request with an optional JSON body and decodes a JSON answer
// into out. Connection failures move on to the next server; a server that
// answered, even with an error, is not retried elsewhere.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, in, out any) error {
	var body []byte
	contentType := "application/json"
	var key string
	if k, ok := in.(keyedBody); ok {
		key, in = k.key, k.body
	}
	if raw, ok := in.(rawBody); ok {
		body, contentType, in = raw.data, raw.contentType, nil
	}
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
	}
	if len(query) > 0 {
		path += "?" + query.Encode()
	}
	start := int(c.next.Load())
	var lastErr error
	for i := range c.urls {
		idx := (start + i) % len(c.urls)
		err := c.once(ctx, method, c.urls[idx], path, contentType, key, body, out)
		if err == nil || !unreachable(err) || ctx.Err() != nil {
			if err == nil && idx != start {
				c.next.Store(uint32(idx))
			}
			return err
		}
		lastErr = err
		c.next.Store(uint32((idx + 1) % len(c.urls)))
	}
	return lastErr
}

func (c *Client) once(ctx context.Context, method, base, path, contentType, key string, body []byte, out any) error {
	u := base + path
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	bearer, ok := ctx.Value(bearerKey{}).(string)
	if !ok {
		bearer = c.token
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return &unreachableError{err: tlsProblem(base, err)}
	}
	defer resp.Body.Close()
	if w, ok := out.(io.Writer); ok && resp.StatusCode < 300 {
		// A stream (a backup): copied as it comes; a failure halfway is
		// not retried on another server.
		if _, err := io.Copy(w, resp.Body); err != nil {
			return fmt.Errorf("read answer of %s %s: %w", method, u, err)
		}
		return nil
	}
	buf := answers.Get().(*bytes.Buffer)
	buf.Reset()
	defer putAnswer(buf)
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return &unreachableError{err: fmt.Errorf("read answer of %s %s: %w", method, u, err)}
	}
	data := buf.Bytes()
	if resp.StatusCode >= 300 {
		if err := plainToTLS(base, resp.StatusCode, data); err != nil {
			return &unreachableError{err: err}
		}
		e := &Error{Status: resp.StatusCode}
		if json.Unmarshal(data, e) != nil || e.Status == 0 {
			e.Status, e.Detail = resp.StatusCode, strings.TrimSpace(string(data))
		}
		if resp.StatusCode == http.StatusBadGateway || resp.StatusCode == http.StatusServiceUnavailable {
			return &unreachableError{err: e}
		}
		return e
	}
	if out == nil || len(data) == 0 {
		return nil
	}
	if err := decodeJSON(data, out); err != nil {
		return fmt.Errorf("decode answer of %s %s: %w", method, u, err)
	}
	return nil
}

// rawBody is a request body sent as it is, not as JSON.
type rawBody struct {
	contentType string
	data        []byte
}

// keyedBody is a request body sent with an Idempotency-Key header: every
// try of the request, on any server, carries the same key.
type keyedBody struct {
	key  string
	body any
}

// unreachableError: the server could not be reached or could not serve, so
// the request may be tried on another server.
type unreachableError struct{ err error }

func (e *unreachableError) Error() string { return e.err.Error() }
func (e *unreachableError) Unwrap() error { return e.err }

func unreachable(err error) bool {
	var u *unreachableError
	return errors.As(err, &u)
}

// Unreachable reports whether err means no server could be reached (as
// opposed to a server answering with an error).
func Unreachable(err error) bool { return unreachable(err) }

// Wait is a helper for polling loops: it waits d or until ctx ends.
func Wait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
