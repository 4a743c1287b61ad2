package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/baton-sched/baton/internal/tlsconf"
)

// generatedValidity is how long `baton tls generate` certificates last.
const generatedValidity = 365 * 24 * time.Hour

func newTLSCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tls",
		Short: "TLS helpers (generate certificates to try a cluster)",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newTLSGenerateCmd())
	return cmd
}

func newTLSGenerateCmd() *cobra.Command {
	var dir string
	var hosts []string
	var force bool
	cmd := &cobra.Command{
		Use:   "generate",
		Short: "Write a CA, a server certificate and a worker client certificate (to try TLS; use your own PKI in production)",
		Long: "Writes into --dir, as PEM: ca.pem (the CA: tls_ca of clients and workers, tls_client_ca of servers),\n" +
			"server.pem and server-key.pem (tls_cert, tls_key of servers; valid for --hosts and the loopback\n" +
			"addresses), worker.pem and worker-key.pem (tls_client_cert, tls_client_key of workers).\n" +
			"Keys are ECDSA P-256, certificates last a year; the CA's key is not kept, so nothing more can be\n" +
			"signed with it: generate a new set to add hosts. Production setups use their own PKI.",
		Example: "  baton tls generate --dir ./pki --hosts s1.example.com,s2.example.com,10.0.0.5",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			files, err := generateTLS(dir, hosts, force)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "wrote %d files into %s\n\n", len(files), dir)
			fmt.Fprintf(out, "servers:  tls_cert: %s\n          tls_key: %s\n          tls_client_ca: %s   # optional: mTLS for workers\n",
				files["server.pem"], files["server-key.pem"], files["ca.pem"])
			fmt.Fprintf(out, "workers:  tls_ca: %s\n          tls_client_cert: %s\n          tls_client_key: %s\n",
				files["ca.pem"], files["worker.pem"], files["worker-key.pem"])
			fmt.Fprintf(out, "CLI:      tls_ca: %s   (or --tls-ca, BATON_TLS_CA)\n", files["ca.pem"])
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "directory to write the files into (created 0700 if absent)")
	cmd.Flags().StringSliceVar(&hosts, "hosts", nil, "host names and IP addresses the servers are reached at, comma-separated")
	cmd.Flags().BoolVar(&force, "force", false, "replace existing files")
	_ = cmd.MarkFlagRequired("dir")
	return cmd
}

// generateTLS writes a CA, a server and a worker certificate into dir and
// returns the paths by file name.
func generateTLS(dir string, hosts []string, force bool) (map[string]string, error) {
	names := []string{"ca.pem", "server.pem", "server-key.pem", "worker.pem", "worker-key.pem"}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("--dir: %w", err)
	}
	paths := map[string]string{}
	for _, n := range names {
		p, err := filepath.Abs(filepath.Join(dir, n))
		if err != nil {
			return nil, err
		}
		paths[n] = p
		if _, err := os.Stat(p); err == nil && !force {
			return nil, fmt.Errorf("%s exists: pass --force to replace the set", p)
		} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	ca, err := tlsconf.NewCA("Baton CA (baton tls generate)", generatedValidity)
	if err != nil {
		return nil, err
	}
	serverHosts := slices.Concat([]string{"127.0.0.1", "::1", "localhost"}, hosts)
	serverCert, serverKey, err := ca.Issue(tlsconf.Leaf{CommonName: "baton server", Hosts: serverHosts, Server: true,
		ValidFor: generatedValidity})
	if err != nil {
		return nil, err
	}
	workerCert, workerKey, err := ca.Issue(tlsconf.Leaf{CommonName: "baton worker", Client: true,
		ValidFor: generatedValidity})
	if err != nil {
		return nil, err
	}
	for _, f := range []struct {
		name    string
		data    []byte
		private bool
	}{
		{"ca.pem", ca.CertPEM(), false},
		{"server-key.pem", serverKey, true}, {"server.pem", serverCert, false},
		{"worker-key.pem", workerKey, true}, {"worker.pem", workerCert, false},
	} {
		if err := tlsconf.WriteFile(paths[f.name], f.data, f.private); err != nil {
			return nil, fmt.Errorf("write %s: %w", paths[f.name], err)
		}
	}
	return paths, nil
}
