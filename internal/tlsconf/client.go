package tlsconf

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"time"
)

// ClientOptions name a client's TLS files, as the config keys do.
type ClientOptions struct {
	// CA is a PEM bundle of the CAs that signed the servers' certificates
	// (tls_ca). Empty: the system's roots.
	CA string
	// Cert and Key are the client's certificate and key (tls_client_cert,
	// tls_client_key), for servers that verify workers' certificates.
	// Optional; both or neither. Reloaded when the files change.
	Cert, Key string
	// CheckInterval is how often, at most, the client certificate's files
	// are looked at for a change (default DefaultCheckInterval).
	CheckInterval time.Duration
	// Logger receives reloads and reload errors (default: discarded).
	Logger *slog.Logger
}

// Configured reports whether any option names a file.
func (o ClientOptions) Configured() bool { return o.CA != "" || o.Cert != "" || o.Key != "" }

// Client returns the TLS configuration of a client or worker. The server
// name to verify comes from each server URL.
func Client(o ClientOptions) (*tls.Config, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg := baseConfig()
	if o.CA != "" {
		pool, err := loadPool(o.CA)
		if err != nil {
			return nil, fmt.Errorf("tls: tls_ca %s: %w", o.CA, err)
		}
		cfg.RootCAs = pool
	}
	pair, err := newKeyPair(o.Cert, o.Key, "tls_client_cert", "tls_client_key", o.CheckInterval, log)
	if err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	if pair != nil {
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return pair.get(), nil
		}
	}
	return cfg, nil
}
