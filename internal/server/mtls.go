package server

import (
	"crypto/tls"
	"errors"
	"slices"

	"github.com/danielgtaylor/huma/v2"
)

// checkTLS refuses a TLS configuration that names client CAs but would not
// verify client certificates: every worker-protocol call would then be
// refused for want of a verified certificate.
func checkTLS(cfg *tls.Config) error {
	if cfg == nil || cfg.ClientCAs == nil {
		return nil
	}
	switch cfg.ClientAuth {
	case tls.VerifyClientCertIfGiven, tls.RequireAndVerifyClientCert:
		return nil
	}
	return errors.New("server TLS: client CAs are set but ClientAuth does not verify client certificates " +
		"(use tls.VerifyClientCertIfGiven, as tlsconf.Server does)")
}

// workerCertMissing reports whether a worker-protocol call lacks the
// verified client certificate the server demands when it has client CAs
// (tls_client_ca): the TLS layer verifies a certificate if one is given,
// so that people's CLIs connect without one, and refuses one a CA in the
// pool did not sign; here, a worker-protocol call without one is refused,
// before its credential is even looked at.
func (s *Server) workerCertMissing(op *huma.Operation, ctx huma.Context) bool {
	if s.cfg.TLS == nil || s.cfg.TLS.ClientCAs == nil || !slices.Contains(op.Tags, protocolTag) {
		return false
	}
	st := ctx.TLS()
	return st == nil || len(st.VerifiedChains) == 0
}

const workerCertRequired = "client certificate required: this server's worker protocol demands a client certificate " +
	"signed by its tls_client_ca; give the worker tls_client_cert and tls_client_key"
