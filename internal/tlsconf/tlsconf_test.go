package tlsconf_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baton-sched/baton/internal/tlsconf"
	"github.com/baton-sched/baton/internal/tlsconf/tlstest"
)

// handshake is one real TLS handshake on loopback, then a one-byte
// exchange so that a TLS 1.3 client learns whether the server accepted its
// certificate.
type handshake struct {
	client, server       tls.ConnectionState
	clientErr, serverErr error
}

func dial(t *testing.T, serverCfg, clientCfg *tls.Config) handshake {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", serverCfg)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var h handshake
	var wg sync.WaitGroup
	wg.Go(func() {
		c, err := ln.Accept()
		if err != nil {
			h.serverErr = err
			return
		}
		defer c.Close()
		tc := c.(*tls.Conn)
		tc.SetDeadline(time.Now().Add(10 * time.Second))
		if h.serverErr = tc.Handshake(); h.serverErr == nil {
			h.server = tc.ConnectionState()
			_, h.serverErr = tc.Write([]byte{1})
		}
	})
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", ln.Addr().String(), clientCfg)
	if err != nil {
		h.clientErr = err
	} else {
		c.SetDeadline(time.Now().Add(10 * time.Second))
		h.client = c.ConnectionState()
		// A Read may return the byte with io.EOF (the close that follows).
		if n, err := c.Read(make([]byte, 1)); n != 1 {
			h.clientErr = err
		}
		c.Close()
	}
	wg.Wait()
	return h
}

func configs(t *testing.T, s *tlstest.Set, mtls bool, o tlsconf.ClientOptions) (*tls.Config, *tls.Config) {
	t.Helper()
	sc, err := s.ServerConfig(mtls)
	if err != nil {
		t.Fatal(err)
	}
	cc, err := tlsconf.Client(o)
	if err != nil {
		t.Fatal(err)
	}
	return sc, cc
}

func TestHandshakeVerifiesTheServerWithTheCA(t *testing.T) {
	s := tlstest.New(t)
	sc, cc := configs(t, s, false, s.ClientOptions(false))
	h := dial(t, sc, cc)
	if h.clientErr != nil || h.serverErr != nil {
		t.Fatalf("handshake: client %v, server %v", h.clientErr, h.serverErr)
	}
	if h.client.Version != tls.VersionTLS13 {
		t.Errorf("negotiated %s, want TLS 1.3", tls.VersionName(h.client.Version))
	}
	if len(h.client.VerifiedChains) == 0 {
		t.Error("the client did not verify the server's chain")
	}
}

func TestWrongCAIsRefused(t *testing.T) {
	s := tlstest.New(t)
	sc, cc := configs(t, s, false, tlsconf.ClientOptions{CA: s.OtherCA})
	h := dial(t, sc, cc)
	var verr *tls.CertificateVerificationError
	if !errors.As(h.clientErr, &verr) {
		t.Fatalf("client error %v, want a certificate verification error", h.clientErr)
	}
	var unknown x509.UnknownAuthorityError
	if !errors.As(h.clientErr, &unknown) {
		t.Errorf("client error %v, want an unknown authority", h.clientErr)
	}
}

func TestOldTLSVersionsAreRefused(t *testing.T) {
	s := tlstest.New(t)
	sc, cc := configs(t, s, false, s.ClientOptions(false))
	cc.MinVersion, cc.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
	if h := dial(t, sc, cc); h.serverErr == nil || h.clientErr == nil {
		t.Fatalf("a TLS 1.1 client connected: client %v, server %v", h.clientErr, h.serverErr)
	}
	// TLS 1.2 with a forward-secret AEAD suite is the floor.
	cc.MaxVersion = tls.VersionTLS12
	h := dial(t, sc, cc)
	if h.clientErr != nil || h.serverErr != nil {
		t.Fatalf("TLS 1.2: client %v, server %v", h.clientErr, h.serverErr)
	}
	if name := tls.CipherSuiteName(h.client.CipherSuite); !strings.HasPrefix(name, "TLS_ECDHE_") {
		t.Errorf("TLS 1.2 suite %s, want ECDHE with an AEAD", name)
	}
	for _, id := range sc.CipherSuites {
		for _, bad := range tls.InsecureCipherSuites() {
			if id == bad.ID {
				t.Errorf("insecure suite %s offered", bad.Name)
			}
		}
	}
}

func TestClientCertificatesAreVerifiedIfGiven(t *testing.T) {
	s := tlstest.New(t)
	t.Run("none", func(t *testing.T) { // a person's CLI connects without one
		sc, cc := configs(t, s, true, s.ClientOptions(false))
		h := dial(t, sc, cc)
		if h.clientErr != nil || h.serverErr != nil {
			t.Fatalf("client %v, server %v", h.clientErr, h.serverErr)
		}
		if len(h.server.VerifiedChains) != 0 {
			t.Error("verified chains without a client certificate")
		}
		if !tlsconf.RequiresClientCert(sc) {
			t.Error("RequiresClientCert is false with a client CA")
		}
	})
	t.Run("signed by the CA", func(t *testing.T) {
		sc, cc := configs(t, s, true, s.ClientOptions(true))
		h := dial(t, sc, cc)
		if h.clientErr != nil || h.serverErr != nil {
			t.Fatalf("client %v, server %v", h.clientErr, h.serverErr)
		}
		if len(h.server.VerifiedChains) == 0 || h.server.PeerCertificates[0].Subject.CommonName != "worker" {
			t.Errorf("server saw %d verified chains, want the worker's", len(h.server.VerifiedChains))
		}
	})
	t.Run("signed by another CA", func(t *testing.T) {
		sc, cc := configs(t, s, true, tlsconf.ClientOptions{CA: s.CA, Cert: s.OtherClientCert, Key: s.OtherClientKey})
		h := dial(t, sc, cc)
		if h.serverErr == nil || h.clientErr == nil {
			t.Fatalf("a certificate of another CA was accepted: client %v, server %v", h.clientErr, h.serverErr)
		}
	})
	t.Run("server without client CA", func(t *testing.T) {
		sc, _ := configs(t, s, false, s.ClientOptions(false))
		if tlsconf.RequiresClientCert(sc) || sc.ClientAuth != tls.NoClientCert {
			t.Error("a server without tls_client_ca asks for client certificates")
		}
	})
}

func TestRotatedCertificateIsServedToNewConnections(t *testing.T) {
	s := tlstest.New(t)
	o := s.ServerOptions(false)
	o.CheckInterval = time.Millisecond
	sc, err := tlsconf.Server(o)
	if err != nil {
		t.Fatal(err)
	}
	cc, err := s.ClientConfig(false)
	if err != nil {
		t.Fatal(err)
	}
	serial := func() string {
		h := dial(t, sc, cc)
		if h.clientErr != nil {
			t.Fatalf("handshake: %v", h.clientErr)
		}
		return h.client.PeerCertificates[0].SerialNumber.String()
	}
	before := serial()
	rotated, err := s.RotateServer()
	if err != nil {
		t.Fatal(err)
	}
	if rotated == before {
		t.Fatal("rotation kept the serial number")
	}
	deadline := time.Now().Add(10 * time.Second)
	for got := serial(); got != rotated; got = serial() {
		if time.Now().After(deadline) {
			t.Fatalf("still serving serial %s after the rotation to %s", got, rotated)
		}
		time.Sleep(5 * time.Millisecond) // past the check interval
	}
}

// syncBuffer collects log output written from handshakes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func TestBadNewPairKeepsTheOldOne(t *testing.T) {
	s := tlstest.New(t)
	logs := &syncBuffer{}
	o := s.ServerOptions(false)
	o.CheckInterval = time.Nanosecond
	o.Logger = slog.New(slog.NewTextHandler(logs, nil))
	sc, err := tlsconf.Server(o)
	if err != nil {
		t.Fatal(err)
	}
	old, _ := sc.GetCertificate(nil)
	// The key of another certificate: the pair does not match.
	key, err := os.ReadFile(s.OtherClientKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := tlsconf.WriteFile(s.ServerKey, key, true); err != nil {
		t.Fatal(err)
	}
	for range 3 { // each call looks at the files (a 1ns interval)
		if got, _ := sc.GetCertificate(nil); got != old {
			t.Fatal("a mismatched pair replaced the certificate in service")
		}
	}
	if n := strings.Count(logs.String(), "does not load"); n != 1 {
		t.Errorf("logged the bad pair %d times, want once per change:\n%s", n, logs)
	}
	if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), s.ServerKey) {
		t.Errorf("the error does not name the files:\n%s", logs)
	}
	// A good pair again: served.
	if _, err := s.RotateServer(); err != nil {
		t.Fatal(err)
	}
	if got, _ := sc.GetCertificate(nil); got == old {
		t.Error("the repaired pair was not loaded")
	}
}

func TestClientCertificateIsReloaded(t *testing.T) {
	s := tlstest.New(t)
	cert, key, err := s.IssueClient("w1")
	if err != nil {
		t.Fatal(err)
	}
	cc, err := tlsconf.Client(tlsconf.ClientOptions{CA: s.CA, Cert: cert, Key: key, CheckInterval: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	first, _ := cc.GetClientCertificate(nil)
	if _, _, err := s.IssueClient("w1"); err != nil {
		t.Fatal(err)
	}
	second, _ := cc.GetClientCertificate(nil)
	if first.Leaf.SerialNumber.Cmp(second.Leaf.SerialNumber) == 0 {
		t.Error("the renewed client certificate was not loaded")
	}
}

func TestBadFilesNameTheKey(t *testing.T) {
	s := tlstest.New(t)
	missing := s.Dir + "/missing.pem"
	for _, c := range []struct {
		name string
		err  func() error
		want []string
	}{
		{"no key", func() error { _, err := tlsconf.Server(tlsconf.ServerOptions{Cert: s.ServerCert}); return err },
			[]string{"tls_key"}},
		{"no cert", func() error { _, err := tlsconf.Server(tlsconf.ServerOptions{Key: s.ServerKey}); return err },
			[]string{"tls_cert"}},
		{"nothing", func() error { _, err := tlsconf.Server(tlsconf.ServerOptions{}); return err },
			[]string{"tls_cert", "tls_key"}},
		{"missing cert", func() error {
			_, err := tlsconf.Server(tlsconf.ServerOptions{Cert: missing, Key: s.ServerKey})
			return err
		}, []string{"tls_cert", missing}},
		{"mismatched pair", func() error {
			_, err := tlsconf.Server(tlsconf.ServerOptions{Cert: s.ServerCert, Key: s.ClientKey})
			return err
		}, []string{"tls_cert", "tls_key", "match"}},
		{"client CA not PEM", func() error {
			_, err := tlsconf.Server(tlsconf.ServerOptions{Cert: s.ServerCert, Key: s.ServerKey, ClientCA: s.ServerKey})
			return err
		}, []string{"tls_client_ca", s.ServerKey, "no PEM certificate"}},
		{"missing CA", func() error { _, err := tlsconf.Client(tlsconf.ClientOptions{CA: missing}); return err },
			[]string{"tls_ca", missing}},
		{"client key without cert", func() error {
			_, err := tlsconf.Client(tlsconf.ClientOptions{CA: s.CA, Key: s.ClientKey})
			return err
		}, []string{"tls_client_cert"}},
	} {
		err := c.err()
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q does not name %q", c.name, err, w)
			}
		}
	}
}

func TestLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8420": true, "127.1.2.3:0": true, "[::1]:8420": true, "localhost:8420": true,
		"0.0.0.0:8420": false, "[::]:8420": false, ":8420": false, "10.0.0.7:8420": false,
		"192.168.1.20:0": false, "[fe80::1]:0": false,
	} {
		got, err := tlsconf.Loopback(context.Background(), addr)
		if err != nil || got != want {
			t.Errorf("Loopback(%q) = %v, %v; want %v", addr, got, err, want)
		}
	}
	if _, err := tlsconf.Loopback(context.Background(), "no-port"); err == nil {
		t.Error("an address without a port was accepted")
	}
	if ok, err := tlsconf.Loopback(context.Background(), "does-not-resolve.invalid:80"); ok || err == nil {
		t.Errorf("an unresolvable host: %v, %v; want not loopback with an error", ok, err)
	}
}
