package client

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// TLSError is a TLS problem between the client and a server, with what to
// check: the server's certificate is not trusted (tls_ca), the server
// refused the handshake (a client certificate it does not accept), or one
// side speaks TLS and the other plain HTTP (the URL's scheme). Such an
// error counts as the server being unreachable: other servers are tried.
type TLSError struct {
	// URL is the server's base URL.
	URL string
	// Problem says which side refused what.
	Problem TLSProblem
	// Hint says what to check.
	Hint string
	// Err is the underlying error.
	Err error
}

// TLSProblem is the kind of a TLSError.
type TLSProblem string

// The kinds of TLSError.
const (
	// UntrustedServer: the server's certificate is not signed by a CA the
	// client trusts (tls_ca).
	UntrustedServer TLSProblem = "untrusted server certificate"
	// HandshakeRefused: the server refused the handshake, typically the
	// client's certificate (tls_client_cert) or its absence.
	HandshakeRefused TLSProblem = "handshake refused"
	// ServerSpeaksHTTPS: an http:// URL names an HTTPS server.
	ServerSpeaksHTTPS TLSProblem = "server speaks HTTPS"
	// ServerSpeaksHTTP: an https:// URL names a plain-HTTP server.
	ServerSpeaksHTTP TLSProblem = "server speaks plain HTTP"
)

func (e *TLSError) Error() string { return e.URL + ": " + e.Hint + ": " + e.Err.Error() }
func (e *TLSError) Unwrap() error { return e.Err }

// tlsProblem explains a failed request when TLS is the cause.
func tlsProblem(base string, err error) error {
	inner := err
	var ue *url.Error
	if errors.As(err, &ue) {
		inner = ue.Err
	}
	var verr *tls.CertificateVerificationError
	var host x509.HostnameError
	var rec tls.RecordHeaderError // net/http turns it into an error of its own text
	var op *net.OpError
	switch {
	case errors.As(err, &host):
		return &TLSError{URL: base, Problem: UntrustedServer, Err: inner,
			Hint: "the server's certificate is not valid for this host name or address: use one it lists, " +
				"or give the server a certificate for this one"}
	case errors.As(err, &verr):
		return &TLSError{URL: base, Problem: UntrustedServer, Err: inner,
			Hint: "the server's certificate is not trusted: tls_ca (--tls-ca) must name the CA that signed it"}
	case errors.As(err, &rec), strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return &TLSError{URL: base, Problem: ServerSpeaksHTTP, Err: inner,
			Hint: "the server answered in plain HTTP: use " + withScheme(base, "http") +
				" or give the server tls_cert and tls_key"}
	case errors.As(err, &op) && op.Op == "remote error" && strings.Contains(op.Error(), "tls:"):
		return &TLSError{URL: base, Problem: HandshakeRefused, Err: inner,
			Hint: "the server refused the TLS handshake: if it verifies client certificates (tls_client_ca), " +
				"give tls_client_cert and tls_client_key signed by that CA"}
	}
	return err
}

// httpsAnswer is what a Go HTTPS server answers a plain-HTTP request.
var httpsAnswer = []byte("Client sent an HTTP request to an HTTPS server")

// plainToTLS explains the answer of an HTTPS server to a plain-HTTP
// request.
func plainToTLS(base string, status int, body []byte) error {
	if status != http.StatusBadRequest || !bytes.HasPrefix(body, httpsAnswer) {
		return nil
	}
	return &TLSError{URL: base, Problem: ServerSpeaksHTTPS, Err: errors.New(strings.TrimSpace(string(body))),
		Hint: "the server speaks HTTPS: use " + withScheme(base, "https") + " and name its CA with tls_ca (--tls-ca)"}
}

func withScheme(base, scheme string) string {
	if _, rest, ok := strings.Cut(base, "://"); ok {
		return scheme + "://" + rest
	}
	return base
}
