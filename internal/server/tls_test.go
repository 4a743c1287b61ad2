package server_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/server"
	"github.com/baton-sched/baton/internal/store/storetest"
	"github.com/baton-sched/baton/internal/tlsconf"
	"github.com/baton-sched/baton/internal/tlsconf/tlstest"
	"github.com/baton-sched/baton/internal/worker"
)

// startTLSServer starts a real server on loopback serving HTTPS with the
// set's certificate (and client CA when mtls).
func startTLSServer(t *testing.T, set *tlstest.Set, mtls bool) *server.Server {
	t.Helper()
	o := set.ServerOptions(mtls)
	o.CheckInterval = time.Millisecond
	cfg, err := tlsconf.Server(o)
	if err != nil {
		t.Fatal(err)
	}
	eng := engine.New(storetest.OpenSQLite(t), engine.Config{})
	srv := server.New(eng, server.Config{Addr: "127.0.0.1:0", TLS: cfg, HeartbeatInterval: 100 * time.Millisecond})
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	if !strings.HasPrefix(srv.URL(), "https://127.0.0.1:") {
		t.Fatalf("URL %s, want https", srv.URL())
	}
	rememberTokens(t, srv.URL(), eng.Store())
	return srv
}

func tlsClient(t *testing.T, url string, o tlsconf.ClientOptions) *client.Client {
	t.Helper()
	cfg, err := tlsconf.Client(o)
	if err != nil {
		t.Fatal(err)
	}
	admin, _ := tokensOf(url)
	c, err := client.New([]string{url}, client.WithTLSConfig(cfg), client.WithToken(admin))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// logBuffer collects an agent's log.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// startAgent starts a real worker agent of url with TLS options o.
func startAgent(t *testing.T, url, name string, o tlsconf.ClientOptions) (*worker.Agent, *logBuffer) {
	t.Helper()
	cfg, err := tlsconf.Client(o)
	if err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{}
	_, join := tokensOf(url)
	a, err := worker.New(worker.Config{
		Servers: []string{url}, Token: join, TLS: cfg, Name: name, Zone: "a", Capacity: 2, WorkDir: t.TempDir(),
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, RequestTimeout: 5 * time.Second,
		ClaimWait: time.Second, Logger: slog.New(slog.NewTextHandler(logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Stop)
	return a, logs
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// registered lists the names of the workers the servers know.
func registered(t *testing.T, c *client.Client) []string {
	t.Helper()
	ws, err := c.Workers(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, w := range ws {
		names = append(names, w.Name)
	}
	return names
}

func TestWorkerWithTheWrongCACannotConnect(t *testing.T) {
	set := tlstest.New(t)
	srv := startTLSServer(t, set, false)
	a, logs := startAgent(t, srv.URL(), "wrong-ca", tlsconf.ClientOptions{CA: set.OtherCA})
	eventually(t, "the worker to say why it cannot register", func() bool {
		return strings.Contains(logs.String(), "register worker failed")
	})
	for _, want := range []string{srv.URL(), "certificate is not trusted", "tls_ca", "unknown authority"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the worker's log does not say %q:\n%s", want, logs)
		}
	}
	if id := a.ID(); id != "" {
		t.Errorf("worker registered as %s", id)
	}
	if names := registered(t, tlsClient(t, srv.URL(), set.ClientOptions(false))); len(names) != 0 {
		t.Errorf("workers %v registered", names)
	}
}

// TestMutualTLSForWorkers: with tls_client_ca, a worker without a client
// certificate cannot register, one with a certificate of another CA fails
// the handshake, and one signed by the CA registers and runs a workflow;
// a person's client without a certificate still reads the API.
func TestMutualTLSForWorkers(t *testing.T) {
	set := tlstest.New(t)
	srv := startTLSServer(t, set, true)
	cli := tlsClient(t, srv.URL(), set.ClientOptions(false)) // a person's CLI: no certificate

	noCert, noCertLogs := startAgent(t, srv.URL(), "no-cert", set.ClientOptions(false))
	other, otherLogs := startAgent(t, srv.URL(), "other-ca", tlsconf.ClientOptions{
		CA: set.CA, Cert: set.OtherClientCert, Key: set.OtherClientKey})
	good, _ := startAgent(t, srv.URL(), "good", set.ClientOptions(true))

	eventually(t, "the worker with a certificate to register", func() bool { return good.ID() != "" })
	eventually(t, "the refused workers to say why", func() bool {
		return strings.Contains(noCertLogs.String(), "register worker failed") &&
			strings.Contains(otherLogs.String(), "register worker failed")
	})
	for _, want := range []string{"client certificate required", "tls_client_cert"} {
		if !strings.Contains(noCertLogs.String(), want) {
			t.Errorf("the worker without a certificate does not say %q:\n%s", want, noCertLogs)
		}
	}
	for _, want := range []string{"refused the TLS handshake", "tls_client_ca"} {
		if !strings.Contains(otherLogs.String(), want) {
			t.Errorf("the worker with another CA's certificate does not say %q:\n%s", want, otherLogs)
		}
	}
	if noCert.ID() != "" || other.ID() != "" {
		t.Errorf("refused workers registered: %q %q", noCert.ID(), other.ID())
	}
	if names := registered(t, cli); !slices.Equal(names, []string{"good"}) {
		t.Errorf("registered workers %v, want [good]", names)
	}

	// The worker with the certificate claims and reports over mTLS.
	ctx := context.Background()
	if _, err := cli.Apply(ctx, []client.SourceFile{{Filename: "n.yaml", Content: `name: noops
tasks:
  - {name: a, noop: true}
  - {name: b, noop: true, needs: [a]}
`}}); err != nil {
		t.Fatal(err)
	}
	run, err := cli.StartRun(ctx, "noops", client.StartRunRequest{})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the run to succeed", func() bool {
		r, err := cli.Run(ctx, run.ID)
		if err != nil {
			t.Fatal(err)
		}
		if r.Terminal() && r.State != "succeeded" {
			t.Fatalf("run ended %s: %s", r.State, r.Reason)
		}
		return r.State == "succeeded"
	})
}

// TestWorkerProtocolDemandsAClientCertificate calls every operation of the
// worker protocol, as listed in the OpenAPI document, without a client
// certificate: each is refused with a 401 problem that says why.
func TestWorkerProtocolDemandsAClientCertificate(t *testing.T) {
	set := tlstest.New(t)
	srv := startTLSServer(t, set, true)
	cfg, err := set.ClientConfig(false)
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
	defer hc.CloseIdleConnections()
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string   `json:"operationId"`
			Tags        []string `json:"tags"`
		} `json:"paths"`
	}
	getJSON(t, hc, srv.URL()+"/api/v1/openapi.json", &doc)
	var ops []string
	for path, methods := range doc.Paths {
		for method, op := range methods {
			if !slices.Contains(op.Tags, "worker protocol") {
				continue
			}
			ops = append(ops, op.OperationID)
			url := srv.URL() + strings.NewReplacer("{id}", "1").Replace(path) + "?worker=w-1"
			req, _ := http.NewRequest(strings.ToUpper(method), url, strings.NewReader("{}"))
			req.Header.Set("Content-Type", "application/json")
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), "client certificate required") {
				t.Errorf("%s %s without a client certificate: %d %s", method, path, resp.StatusCode, body)
			}
		}
	}
	slices.Sort(ops)
	want := []string{"claim", "heartbeat", "register-worker", "report", "report-batch", "send-logs", "stop-worker"}
	for _, op := range want {
		if !slices.Contains(ops, op) {
			t.Errorf("worker protocol operations %v lack %s", ops, op)
		}
	}
	// The rest of the API answers without one.
	var workers any
	getJSON(t, hc, srv.URL()+"/api/v1/workers", &workers)
}

func getJSON(t *testing.T, hc *http.Client, url string, out any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := hc.Do(withToken(req))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatal(err)
	}
}

func TestRotatedCertificateIsServedWithoutRestart(t *testing.T) {
	set := tlstest.New(t)
	srv := startTLSServer(t, set, false)
	cfg, err := set.ClientConfig(false)
	if err != nil {
		t.Fatal(err)
	}
	serial := func() string {
		// A new connection each time: the handshake shows the certificate.
		tr := &http.Transport{TLSClientConfig: cfg, DisableKeepAlives: true}
		defer tr.CloseIdleConnections()
		resp, err := (&http.Client{Transport: tr}).Get(srv.URL() + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.TLS.PeerCertificates[0].SerialNumber.String()
	}
	before := serial()
	rotated, err := set.RotateServer()
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the rotated certificate", func() bool { return serial() == rotated })
	if rotated == before {
		t.Fatal("rotation kept the serial number")
	}
}

// TestSchemeMismatchIsExplained: a plain-HTTP client of a TLS server, and
// an HTTPS client of a plain server, get an error that says what to fix.
func TestSchemeMismatchIsExplained(t *testing.T) {
	set := tlstest.New(t)
	srv := startTLSServer(t, set, false)
	plainURL := "http://" + srv.Addr()
	c, err := client.New([]string{plainURL})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Workers(context.Background(), true)
	var te *client.TLSError
	if !errors.As(err, &te) || te.Problem != client.ServerSpeaksHTTPS || !strings.Contains(err.Error(), "use "+srv.URL()) ||
		!client.Unreachable(err) {
		t.Errorf("plain HTTP to a TLS server: %v; want a TLSError naming %s", err, srv.URL())
	}

	plain := server.New(engine.New(storetest.OpenSQLite(t), engine.Config{}), server.Config{Addr: "127.0.0.1:0"})
	if err := plain.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer plain.Stop()
	httpsURL := "https://" + plain.Addr()
	_, err = tlsClient(t, httpsURL, set.ClientOptions(false)).Workers(context.Background(), true)
	if !errors.As(err, &te) || te.Problem != client.ServerSpeaksHTTP || !strings.Contains(err.Error(), "plain HTTP: use "+plain.URL()) {
		t.Errorf("HTTPS to a plain server: %v; want a TLSError naming %s", err, plain.URL())
	}
}

func TestClientCAWithoutVerificationIsRefused(t *testing.T) {
	set := tlstest.New(t)
	cfg, err := set.ServerConfig(true)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ClientAuth = tls.RequestClientCert
	srv := server.New(engine.New(storetest.OpenSQLite(t), engine.Config{}), server.Config{Addr: "127.0.0.1:0", TLS: cfg})
	defer srv.Stop()
	if err := srv.Start(context.Background()); err == nil || !strings.Contains(err.Error(), "ClientAuth") {
		t.Errorf("start with unverified client certificates: %v", err)
	}
}

func TestCertificateForAnotherHostIsExplained(t *testing.T) {
	set := tlstest.New(t)
	srv := startTLSServer(t, set, false)
	cfg, err := set.ClientConfig(false)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ServerName = "elsewhere.example" // as if the URL named a host the certificate does not list
	c, err := client.New([]string{srv.URL()}, client.WithTLSConfig(cfg))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Workers(context.Background(), true)
	var te *client.TLSError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "not valid for this host name") {
		t.Errorf("certificate of another host: %v", err)
	}
}

// TestWorkerReusesTLSConnections: a worker's heartbeats, claims, reports
// and logs ride on kept-alive connections, not a TLS handshake each.
func TestWorkerReusesTLSConnections(t *testing.T) {
	set := tlstest.New(t)
	cfg, err := set.ServerConfig(true)
	if err != nil {
		t.Fatal(err)
	}
	var handshakes atomic.Int64
	get := cfg.GetCertificate
	cfg.GetCertificate = func(h *tls.ClientHelloInfo) (*tls.Certificate, error) {
		handshakes.Add(1)
		return get(h)
	}
	eng := engine.New(storetest.OpenSQLite(t), engine.Config{})
	srv := server.New(eng, server.Config{Addr: "127.0.0.1:0", TLS: cfg, HeartbeatInterval: 50 * time.Millisecond})
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	rememberTokens(t, srv.URL(), eng.Store())
	a, _ := startAgent(t, srv.URL(), "w", set.ClientOptions(true))
	eventually(t, "registration", func() bool { return a.ID() != "" })
	cli := tlsClient(t, srv.URL(), set.ClientOptions(false))
	var b strings.Builder
	b.WriteString("name: many\ntasks:\n")
	for i := range 30 {
		fmt.Fprintf(&b, "  - {name: t%d, noop: true}\n", i)
	}
	ctx := context.Background()
	if _, err := cli.Apply(ctx, []client.SourceFile{{Filename: "m.yaml", Content: b.String()}}); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		run, err := cli.StartRun(ctx, "many", client.StartRunRequest{})
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, "the run to succeed", func() bool {
			r, err := cli.Run(ctx, run.ID)
			return err == nil && r.State == "succeeded"
		})
	}
	// The agent's concurrent requests (claim, heartbeat, reports, logs)
	// and this test's client need a few connections; a handshake per
	// request made 21 here.
	if n := handshakes.Load(); n > 10 {
		t.Errorf("%d TLS handshakes for 90 tasks: connections are not kept", n)
	}
}
