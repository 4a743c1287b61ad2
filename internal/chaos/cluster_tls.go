package chaos

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/tlsconf/tlstest"
)

// setUpTLS writes the cluster's PKI into its directory: a CA, a server
// certificate for the loopback addresses (the servers and the workers'
// links all listen there) and, as workers are added, a client
// certificate per worker.
func (c *Cluster) setUpTLS() error {
	if c.cfg.PlainHTTP {
		return nil
	}
	dir := filepath.Join(c.cfg.Dir, "pki")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("cluster pki: %w", err)
	}
	set, err := tlstest.Generate(dir)
	if err != nil {
		return fmt.Errorf("cluster pki: %w", err)
	}
	cfg, err := set.ClientConfig(false)
	if err != nil {
		return fmt.Errorf("cluster pki: %w", err)
	}
	c.pki, c.tls = set, cfg
	c.probe = c.HTTPClient(0)
	return nil
}

func (c *Cluster) scheme() string {
	if c.pki == nil {
		return "http"
	}
	return "https"
}

// TLS reports whether the servers serve HTTPS.
func (c *Cluster) TLS() bool { return c.pki != nil }

// TLSConfig verifies the cluster's servers, without a client certificate
// (as people's CLIs connect); nil with PlainHTTP.
func (c *Cluster) TLSConfig() *tls.Config { return c.tls }

// WorkerTLSConfig verifies the cluster's servers and presents a worker
// client certificate the cluster's CA signed, for the worker protocol;
// nil with PlainHTTP.
func (c *Cluster) WorkerTLSConfig() (*tls.Config, error) {
	if c.pki == nil {
		return nil, nil
	}
	return c.pki.ClientConfig(true)
}

// NewClient is client.New with the cluster's TLS configuration (which a
// later WithTLSConfig among opts replaces).
func (c *Cluster) NewClient(urls []string, opts ...client.Option) (*client.Client, error) {
	return client.New(urls, append([]client.Option{client.WithTLSConfig(c.tls)}, opts...)...)
}

// HTTPClient returns an HTTP client with the cluster's TLS configuration
// and the given request timeout (0: none).
func (c *Cluster) HTTPClient(timeout time.Duration) *http.Client {
	t := client.NewTransport()
	t.TLSClientConfig = c.tls
	return &http.Client{Transport: t, Timeout: timeout}
}
