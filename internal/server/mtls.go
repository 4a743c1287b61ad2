package server

import (
	"crypto/tls"
	"errors"
	"net/http"
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

// requireWorkerCert is the middleware that makes the worker protocol
// demand a verified client certificate when the server has client CAs
// (tls_client_ca): the TLS layer verifies a certificate if one is given,
// so that people's CLIs connect without one, and refuses one a CA in the
// pool did not sign; here, a worker-protocol call without one is refused.
func (s *Server) requireWorkerCert(api huma.API) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		if s.cfg.TLS == nil || s.cfg.TLS.ClientCAs == nil || !slices.Contains(ctx.Operation().Tags, protocolTag) {
			next(ctx)
			return
		}
		if st := ctx.TLS(); st != nil && len(st.VerifiedChains) > 0 {
			next(ctx)
			return
		}
		_ = huma.WriteErr(api, ctx, http.StatusUnauthorized,
			"client certificate required: this server's worker protocol demands a client certificate signed by "+
				"its tls_client_ca; give the worker tls_client_cert and tls_client_key")
	}
}
