// Package tlstest writes a throwaway PKI into a directory, for tests and
// for the multi-process harnesses (chaos, bench): a CA, a server
// certificate for the loopback addresses, a client certificate the CA
// signed, and a second, unrelated CA with a client certificate of its own
// (for "wrong CA" cases). Keys are ECDSA P-256, so a set takes
// milliseconds.
package tlstest

import (
	"crypto/tls"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"github.com/baton-sched/baton/internal/tlsconf"
)

// validFor is the validity of the certificates of a set: long enough for
// any test, short enough to be obviously throwaway.
const validFor = 30 * 24 * time.Hour

// LoopbackHosts are the names every server certificate of a set is valid for.
var LoopbackHosts = []string{"127.0.0.1", "::1", "localhost"}

// Set is a directory of PEM files. Every path is absolute.
type Set struct {
	Dir string
	// CA signed the server and client certificates (tls_ca, tls_client_ca).
	CA string
	// ServerCert and ServerKey are valid for LoopbackHosts and the hosts
	// given to Generate (tls_cert, tls_key).
	ServerCert, ServerKey string
	// ClientCert and ClientKey are a worker's client certificate, signed
	// by CA (tls_client_cert, tls_client_key).
	ClientCert, ClientKey string
	// OtherCA is an unrelated CA; OtherClientCert and OtherClientKey are a
	// client certificate it signed, and OtherServerCert and
	// OtherServerKey a server certificate for LoopbackHosts.
	OtherCA                         string
	OtherClientCert, OtherClientKey string
	OtherServerCert, OtherServerKey string

	hosts     []string
	ca, other *tlsconf.CA
}

// Generate writes a new set into dir (which must exist) for a server
// reachable at LoopbackHosts and hosts.
func Generate(dir string, hosts ...string) (*Set, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	s := &Set{Dir: abs, hosts: append(slices.Clone(LoopbackHosts), hosts...)}
	if s.ca, err = tlsconf.NewCA("baton test CA", validFor); err != nil {
		return nil, err
	}
	if s.other, err = tlsconf.NewCA("unrelated test CA", validFor); err != nil {
		return nil, err
	}
	s.CA, s.OtherCA = s.path("ca.pem"), s.path("other-ca.pem")
	if err := tlsconf.WriteFile(s.CA, s.ca.CertPEM(), false); err != nil {
		return nil, err
	}
	if err := tlsconf.WriteFile(s.OtherCA, s.other.CertPEM(), false); err != nil {
		return nil, err
	}
	s.ServerCert, s.ServerKey = s.path("server.pem"), s.path("server-key.pem")
	s.ClientCert, s.ClientKey = s.path("client.pem"), s.path("client-key.pem")
	s.OtherClientCert, s.OtherClientKey = s.path("other-client.pem"), s.path("other-client-key.pem")
	s.OtherServerCert, s.OtherServerKey = s.path("other-server.pem"), s.path("other-server-key.pem")
	for _, f := range []struct {
		ca        *tlsconf.CA
		leaf      tlsconf.Leaf
		cert, key string
	}{
		{s.ca, tlsconf.Leaf{CommonName: "baton server", Hosts: s.hosts, Server: true}, s.ServerCert, s.ServerKey},
		{s.ca, tlsconf.Leaf{CommonName: "worker", Client: true}, s.ClientCert, s.ClientKey},
		{s.other, tlsconf.Leaf{CommonName: "worker", Client: true}, s.OtherClientCert, s.OtherClientKey},
		{s.other, tlsconf.Leaf{CommonName: "baton server", Hosts: LoopbackHosts, Server: true},
			s.OtherServerCert, s.OtherServerKey},
	} {
		if err := issue(f.ca, f.leaf, f.cert, f.key); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (s *Set) path(name string) string { return filepath.Join(s.Dir, name) }

// issue writes a new certificate: the key first, then the certificate, each
// replaced atomically.
func issue(ca *tlsconf.CA, l tlsconf.Leaf, certPath, keyPath string) error {
	l.ValidFor = validFor
	certPEM, keyPEM, err := ca.Issue(l)
	if err != nil {
		return err
	}
	if err := tlsconf.WriteFile(keyPath, keyPEM, true); err != nil {
		return err
	}
	return tlsconf.WriteFile(certPath, certPEM, false)
}

// TB is the part of testing.TB that New uses.
type TB interface {
	Helper()
	TempDir() string
	Fatalf(format string, args ...any)
}

// New writes a set into a temporary directory of the test, failing it on
// an error.
func New(t TB, hosts ...string) *Set {
	t.Helper()
	s, err := Generate(t.TempDir(), hosts...)
	if err != nil {
		t.Fatalf("tlstest: %v", err)
	}
	return s
}

// RotateServer replaces the server certificate and key on disk with a new
// pair from the same CA (a new serial number), as an operator renewing it
// would. It returns the new certificate's serial number.
func (s *Set) RotateServer() (string, error) {
	if err := issue(s.ca, tlsconf.Leaf{CommonName: "baton server", Hosts: s.hosts, Server: true},
		s.ServerCert, s.ServerKey); err != nil {
		return "", err
	}
	c, err := tls.LoadX509KeyPair(s.ServerCert, s.ServerKey)
	if err != nil {
		return "", err
	}
	return c.Leaf.SerialNumber.String(), nil
}

// IssueClient writes a new client certificate named name, signed by the
// set's CA, as NAME.pem and NAME-key.pem; it returns their paths.
func (s *Set) IssueClient(name string) (cert, key string, err error) {
	cert, key = s.path(name+".pem"), s.path(name+"-key.pem")
	if err := issue(s.ca, tlsconf.Leaf{CommonName: name, Client: true}, cert, key); err != nil {
		return "", "", fmt.Errorf("tlstest: client %s: %w", name, err)
	}
	return cert, key, nil
}

// ServerOptions are the options of a server with the set's certificate;
// with mtls, it verifies client certificates against the set's CA.
func (s *Set) ServerOptions(mtls bool) tlsconf.ServerOptions {
	o := tlsconf.ServerOptions{Cert: s.ServerCert, Key: s.ServerKey}
	if mtls {
		o.ClientCA = s.CA
	}
	return o
}

// ClientOptions are the options of a client that trusts the set's CA;
// with cert, it presents the set's client certificate.
func (s *Set) ClientOptions(cert bool) tlsconf.ClientOptions {
	o := tlsconf.ClientOptions{CA: s.CA}
	if cert {
		o.Cert, o.Key = s.ClientCert, s.ClientKey
	}
	return o
}

// ServerConfig is tlsconf.Server of ServerOptions(mtls).
func (s *Set) ServerConfig(mtls bool) (*tls.Config, error) {
	return tlsconf.Server(s.ServerOptions(mtls))
}

// ClientConfig is tlsconf.Client of ClientOptions(cert).
func (s *Set) ClientConfig(cert bool) (*tls.Config, error) {
	return tlsconf.Client(s.ClientOptions(cert))
}

// ServerFlags are the command-line flags of `baton server` for the set's
// certificate, with --tls-client-ca when mtls.
func (s *Set) ServerFlags(mtls bool) []string {
	f := []string{"--tls-cert", s.ServerCert, "--tls-key", s.ServerKey}
	if mtls {
		f = append(f, "--tls-client-ca", s.CA)
	}
	return f
}

// ClientFlags are the command-line flags of `baton worker` (and of the CLI)
// that trust the set's CA, with the set's client certificate when cert.
func (s *Set) ClientFlags(cert bool) []string {
	f := []string{"--tls-ca", s.CA}
	if cert {
		f = append(f, "--tls-client-cert", s.ClientCert, "--tls-client-key", s.ClientKey)
	}
	return f
}
