// Package kindtest has fakes of the interfaces the layers implement for
// task kinds (taskkind.Decoder, Renderer, Execution), for a kind
// package's own tests.
package kindtest

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/baton-sched/baton/internal/taskkind"
)

// Decoder records problems as "path: message".
type Decoder struct {
	Problems []string
	// Secrets are the secrets that exist; nil: every secret exists.
	Secrets map[string]bool
}

// Problem records the problem as "path: message".
func (d *Decoder) Problem(p taskkind.Path, format string, args ...any) {
	d.Problems = append(d.Problems, p.String()+": "+fmt.Sprintf(format, args...))
}

// Duration parses s, recording a bad one at p.
func (d *Decoder) Duration(s string, p taskkind.Path) taskkind.Duration {
	v, err := taskkind.ParseDuration(s)
	if err != nil {
		d.Problem(p, "%v", err)
	}
	return v
}

// SecretExists looks name up in Secrets.
func (d *Decoder) SecretExists(name string) bool { return d.Secrets == nil || d.Secrets[name] }

// Renderer replaces "${{ KEY }}" by Values[KEY]; an expression it does
// not know is an error naming the path.
type Renderer struct {
	Values  map[string]string
	Secrets map[string]string
	Task    time.Duration // the task's timeout
}

// Render expands the expressions of tmpl that Values holds.
func (r Renderer) Render(p taskkind.Path, tmpl string) (string, error) {
	out := tmpl
	for k, v := range r.Values {
		out = strings.ReplaceAll(out, "${{ "+k+" }}", v)
	}
	if i := strings.Index(out, "${{"); i >= 0 {
		return "", fmt.Errorf("%s: unknown reference in %q", p, tmpl)
	}
	return out, nil
}

// Secret looks name up in Secrets.
func (r Renderer) Secret(name string) (string, bool) {
	v, ok := r.Secrets[name]
	return v, ok
}

// Timeout is Task.
func (r Renderer) Timeout() time.Duration { return r.Task }

// Execution hands a payload (as the worker would: through JSON) to a
// kind's Execute and records its log.
type Execution struct {
	Raw     json.RawMessage
	Limit   time.Duration
	Client  *http.Client
	mu      sync.Mutex
	Notes   []string
	Written strings.Builder
}

// NewExecution encodes payload as an assignment would carry it.
func NewExecution(payload any) *Execution {
	b, err := json.Marshal(payload)
	if err != nil {
		panic(err)
	}
	return &Execution{Raw: b, Client: http.DefaultClient}
}

// Payload decodes Raw into v.
func (x *Execution) Payload(v any) error {
	if len(x.Raw) == 0 {
		return fmt.Errorf("no payload")
	}
	return json.Unmarshal(x.Raw, v)
}

// Timeout is Limit.
func (x *Execution) Timeout() time.Duration { return x.Limit }

// Note records line in Notes.
func (x *Execution) Note(line string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.Notes = append(x.Notes, line)
}

// Write appends p to Written.
func (x *Execution) Write(_ string, p []byte) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.Written.Write(p)
}

// Log discards.
func (x *Execution) Log() *slog.Logger { return slog.New(slog.DiscardHandler) }

// HTTPClient is Client.
func (x *Execution) HTTPClient() *http.Client { return x.Client }

// Dial dials without an egress policy.
func (x *Execution) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}
