// Package tlsconf builds the TLS configurations of Baton's servers and
// clients from PEM files named in the configuration:
//
//   - servers: tls_cert and tls_key (the server's certificate, reloaded
//     when the files change), and optionally tls_client_ca, the CA whose
//     client certificates the server verifies (mTLS for workers);
//   - clients and workers: tls_ca (the CA that signed the servers'
//     certificates; empty: the system's roots), and optionally
//     tls_client_cert and tls_client_key (a worker's client certificate,
//     reloaded like the server's).
//
// Both sides speak TLS 1.2 at least (1.3 preferred) with AEAD cipher
// suites and forward secrecy only.
//
// Certificate reload: on a handshake, at most once per CheckInterval, the
// certificate and key files are looked at (stat); when either changed, the
// pair is loaded again. A pair that does not load (a half-written file, a
// key that does not match) keeps the previous one in service and is logged
// as an error once per change. New connections get the new certificate;
// open ones keep theirs. The client CA and tls_ca are read once, at start.
//
// The package also issues certificates (CA, NewCA, Issue) for `baton tls
// generate` and for tests (see the tlstest package); production setups use
// their own PKI.
package tlsconf
