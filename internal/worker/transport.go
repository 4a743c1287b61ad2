package worker

import (
	"context"
	"io"
	"net/http"
	"time"
)

// The client fails over to the next server only when a request cannot
// reach one; a server that hangs (stopped, partitioned after the
// connection was made) would hold a request until its context ends, and
// the next request would go to the same server. tryTimeout bounds each try
// on one server instead, so a hung server costs one try, not the lease.

type tryTimeoutKey struct{}

// withTryTimeout asks the agent's transport to give up on one server
// after d and let the client try the next.
func withTryTimeout(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, tryTimeoutKey{}, d)
}

// tryTimeoutTransport applies the per-try timeout of the request's context.
type tryTimeoutTransport struct{ base http.RoundTripper }

func (t tryTimeoutTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	d, _ := req.Context().Value(tryTimeoutKey{}).(time.Duration)
	if d <= 0 {
		return t.base.RoundTrip(req)
	}
	ctx, cancel := context.WithTimeout(req.Context(), d)
	resp, err := t.base.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// cancelOnClose keeps the try's context alive while the answer is read.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}
