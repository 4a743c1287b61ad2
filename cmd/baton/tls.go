package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"

	"github.com/spf13/pflag"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/config"
	"github.com/baton-sched/baton/internal/tlsconf"
)

// serverTLSFlags declares the flags of the TLS keys servers read.
func serverTLSFlags(fs *pflag.FlagSet) {
	fs.String("tls-cert", "", "server certificate (PEM); with --tls-key the server serves HTTPS, reloading both when they change")
	fs.String("tls-key", "", "server private key (PEM)")
	fs.String("tls-client-ca", "", "CA of workers' client certificates: the worker protocol then demands one (mTLS)")
	fs.Bool("insecure", false, "allow listening without TLS on an address other machines can reach (warns at every start)")
}

// clientTLSFlags declares the TLS flags of clients and workers, on every
// command.
func clientTLSFlags(fs *pflag.FlagSet, g *globals) {
	fs.StringVar(&g.tlsCA, "tls-ca", "", "CA that signed the servers' certificates, PEM (env BATON_TLS_CA; default: the system's roots)")
	fs.StringVar(&g.tlsClientCert, "tls-client-cert", "", "client certificate, PEM, for servers that demand one (workers)")
	fs.StringVar(&g.tlsClientKey, "tls-client-key", "", "private key of --tls-client-cert")
}

// serverTLS is the TLS configuration of a server: nil without tls_cert.
func serverTLS(cfg config.Config, log *slog.Logger) (*tls.Config, error) {
	if cfg.TLSCert == "" && cfg.TLSKey == "" {
		return nil, nil
	}
	return tlsconf.Server(tlsconf.ServerOptions{Cert: cfg.TLSCert, Key: cfg.TLSKey, ClientCA: cfg.TLSClientCA, Logger: log})
}

// clientTLS is the TLS configuration of a client or worker: nil when no
// TLS key is set (https:// servers are then verified with the system's
// roots).
func clientTLS(cfg config.Config, log *slog.Logger) (*tls.Config, error) {
	o := tlsconf.ClientOptions{CA: cfg.TLSCA, Cert: cfg.TLSClientCert, Key: cfg.TLSClientKey, Logger: log}
	if !o.Configured() {
		return nil, nil
	}
	return tlsconf.Client(o)
}

// checkListen refuses a listen address other machines can reach when the
// server has no TLS, unless insecure is set, which warns.
func checkListen(ctx context.Context, cfg config.Config, withTLS bool, log *slog.Logger) error {
	loopback, err := tlsconf.Loopback(ctx, cfg.Addr)
	switch {
	case loopback || withTLS:
		return nil
	case cfg.Insecure:
		log.Warn("listening WITHOUT TLS on an address other machines may reach (--insecure): credentials, "+
			"task environments and logs cross the network in clear text unless a proxy in front terminates TLS",
			"addr", cfg.Addr)
		return nil
	}
	why := "other machines can reach it"
	if err != nil {
		why = "it is not known to be loopback (" + err.Error() + ")"
	}
	return fmt.Errorf("refusing to listen on %s without TLS: %s, and credentials, task environments and logs "+
		"would cross the network in clear text.\n"+
		"Give the server a certificate with --tls-cert and --tls-key (tls_cert, tls_key; `baton tls generate` makes "+
		"a set to try), listen on 127.0.0.1, or pass --insecure (for a proxy that terminates TLS in front)",
		cfg.Addr, why)
}

// clientTLSHint adds to a TLS error of the CLI which CA file verified the
// server.
func (g *globals) clientTLSHint(err error) error {
	var te *client.TLSError
	if !errors.As(err, &te) || te.Problem != client.UntrustedServer {
		return err
	}
	if g.usedCA != "" {
		return fmt.Errorf("%w\n(the CA file is %s)", err, g.usedCA)
	}
	return fmt.Errorf("%w\n(no tls_ca was given: the system's roots verified the server; name its CA with --tls-ca or BATON_TLS_CA)", err)
}
