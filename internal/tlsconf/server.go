package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"
)

// ServerOptions name a server's TLS files, as the config keys do.
type ServerOptions struct {
	// Cert and Key are the server's certificate chain and private key in
	// PEM (tls_cert, tls_key). Both are required.
	Cert, Key string
	// ClientCA is a PEM bundle of the CAs whose client certificates the
	// server verifies (tls_client_ca). Optional: when set, the TLS layer
	// verifies a client certificate if one is given (people's CLIs still
	// connect without one) and the server's worker protocol demands one.
	ClientCA string
	// CheckInterval is how often, at most, the certificate files are
	// looked at for a change (default DefaultCheckInterval).
	CheckInterval time.Duration
	// Logger receives reloads and reload errors (default: discarded).
	Logger *slog.Logger
}

// Server returns the TLS configuration of a server. Its certificate is
// reloaded when the files change (see the package documentation); with a
// ClientCA its ClientCAs pool is set and ClientAuth is
// tls.VerifyClientCertIfGiven.
func Server(o ServerOptions) (*tls.Config, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if o.Cert == "" && o.Key == "" {
		return nil, errors.New("tls: tls_cert and tls_key are required for TLS")
	}
	pair, err := newKeyPair(o.Cert, o.Key, "tls_cert", "tls_key", o.CheckInterval, log)
	if err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	cfg := baseConfig()
	cfg.GetCertificate = func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return pair.get(), nil }
	if o.ClientCA != "" {
		pool, err := loadPool(o.ClientCA)
		if err != nil {
			return nil, fmt.Errorf("tls: tls_client_ca %s: %w", o.ClientCA, err)
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
	}
	return cfg, nil
}

// baseConfig is what every Baton TLS configuration shares: TLS 1.2 at
// least, and for TLS 1.2 only ECDHE key exchange with AEAD ciphers (TLS
// 1.3's suites are all of that kind and not configurable).
func baseConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		CipherSuites: []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
			tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		},
	}
}

// loadPool reads a PEM bundle of CA certificates.
func loadPool(path string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, errors.New("no PEM certificate in the file")
	}
	return pool, nil
}

// RequiresClientCert reports whether a server configuration verifies
// client certificates against a CA (it was built with a ClientCA), so that
// a verified certificate can be demanded where it matters.
func RequiresClientCert(cfg *tls.Config) bool {
	return cfg != nil && cfg.ClientCAs != nil
}
