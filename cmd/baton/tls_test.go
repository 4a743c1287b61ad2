package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/baton-sched/baton/internal/auth"
	"github.com/baton-sched/baton/internal/config"
	"github.com/baton-sched/baton/internal/tlsconf/tlstest"
)

// runBaton runs the command tree in this process with args, capturing its
// output.
func runBaton(ctx context.Context, stdout, stderr *syncBuffer, args ...string) error {
	root := newRoot()
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetIn(strings.NewReader(""))
	root.SetArgs(args)
	return root.ExecuteContext(ctx)
}

func runBatonOnce(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out, errOut syncBuffer
	err := runBaton(ctx, &out, &errOut, args...)
	return out.String(), errOut.String(), err
}

// startBatonServer runs `baton server args...` until the test ends and
// returns the port it listens on and its log.
func startBatonServer(t *testing.T, args ...string) (string, *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	logs := &syncBuffer{}
	done := make(chan error, 1)
	db := "sqlite:" + filepath.Join(t.TempDir(), "baton.db")
	// The server bootstraps its admin token from a file; the CLI of the
	// test sends it (BATON_TOKEN).
	admin, _ := auth.NewSecret()
	tokenFile := filepath.Join(t.TempDir(), "admin.token")
	if err := os.WriteFile(tokenFile, []byte(admin+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("BATON_TOKEN", admin)
	go func() {
		done <- runBaton(ctx, &out, logs, append([]string{"server", "--database", db, "--bootstrap-token-file", tokenFile},
			args...)...)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server: %v", err)
		}
	})
	re := regexp.MustCompile(`msg="server listening" addr=(\S+)`)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(logs.String()); m != nil {
			_, port, err := net.SplitHostPort(m[1])
			if err != nil {
				t.Fatal(err)
			}
			return port, logs
		}
		select {
		case err := <-done:
			done <- err
			t.Fatalf("server exited: %v\n%s", err, logs)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("server did not start:\n%s", logs)
	return "", nil
}

func TestServerRefusesPublicAddressWithoutTLS(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "[::]:0", ":0"} {
		db := filepath.Join(t.TempDir(), "baton.db")
		_, _, err := runBatonOnce(t, "server", "--addr", addr, "--database", "sqlite:"+db)
		if err == nil {
			t.Fatalf("server on %s without TLS started", addr)
		}
		for _, want := range []string{"refusing to listen on " + addr + " without TLS", "--tls-cert", "--tls-key",
			"baton tls generate", "--insecure"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error does not say %q:\n%v", addr, want, err)
			}
		}
		if _, err := os.Stat(db); err == nil {
			t.Errorf("%s: the database was opened before the refusal", addr)
		}
	}
}

func TestServerInsecureStartsAndWarns(t *testing.T) {
	_, logs := startBatonServer(t, "--addr", "0.0.0.0:0", "--insecure")
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "WITHOUT TLS") {
		t.Errorf("no warning at an insecure start:\n%s", logs)
	}
}

// TestCLIOverTLS generates a set with `baton tls generate`, runs a server
// with it on all interfaces (allowed: it has TLS), and talks to it with the
// CLI: with --tls-ca it works; without it, with another CA or over plain
// HTTP the error says what to fix.
func TestCLIOverTLS(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	out, _, err := runBatonOnce(t, "tls", "generate", "--dir", dir, "--hosts", "baton.example,10.9.8.7")
	if err != nil {
		t.Fatal(err)
	}
	for name, mode := range map[string]os.FileMode{"ca.pem": 0o644, "server.pem": 0o644, "server-key.pem": 0o600,
		"worker.pem": 0o644, "worker-key.pem": 0o600} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.Mode().Perm() != mode {
			t.Errorf("%s: %v %v, want mode %v", name, fi, err, mode)
		}
		if !strings.Contains(out, filepath.Join(dir, name)) {
			t.Errorf("the output does not name %s:\n%s", name, out)
		}
	}
	if _, _, err := runBatonOnce(t, "tls", "generate", "--dir", dir); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("generate over an existing set: %v, want a refusal naming --force", err)
	}
	ca := filepath.Join(dir, "ca.pem")

	port, logs := startBatonServer(t, "--addr", "0.0.0.0:0",
		"--tls-cert", filepath.Join(dir, "server.pem"), "--tls-key", filepath.Join(dir, "server-key.pem"))
	if strings.Contains(logs.String(), "WITHOUT TLS") {
		t.Errorf("a TLS server warned about plain HTTP:\n%s", logs)
	}
	url := "https://127.0.0.1:" + port

	if _, stderr, err := runBatonOnce(t, "--server", url, "--tls-ca", ca, "workers"); err != nil {
		t.Errorf("workers over TLS with --tls-ca: %v\n%s", err, stderr)
	}
	t.Setenv("BATON_TLS_CA", ca)
	if _, stderr, err := runBatonOnce(t, "--server", "https://localhost:"+port, "workers"); err != nil {
		t.Errorf("workers over TLS with BATON_TLS_CA: %v\n%s", err, stderr)
	}
	t.Setenv("BATON_TLS_CA", "")

	other := filepath.Join(t.TempDir(), "other")
	if _, _, err := runBatonOnce(t, "tls", "generate", "--dir", other); err != nil {
		t.Fatal(err)
	}
	otherCA := filepath.Join(other, "ca.pem")
	for _, c := range []struct {
		name string
		args []string
		want []string
	}{
		{"another CA", []string{"--server", url, "--tls-ca", otherCA, "workers"},
			[]string{url, "not trusted", "tls_ca", "the CA file is " + otherCA}},
		{"no CA", []string{"--server", url, "workers"}, []string{url, "not trusted", "no tls_ca was given"}},
		{"plain HTTP", []string{"--server", "http://127.0.0.1:" + port, "workers"}, []string{"speaks HTTPS: use " + url}},
	} {
		_, _, err := runBatonOnce(t, c.args...)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error does not say %q:\n%v", c.name, w, err)
			}
		}
		if c.name == "plain HTTP" && strings.Contains(err.Error(), "tls_ca was given") {
			t.Errorf("%s: a CA hint for a scheme mismatch:\n%v", c.name, err)
		}
		if strings.Contains(err.Error(), "is a Baton server running there") {
			t.Errorf("%s: a TLS problem explained as an absent server:\n%v", c.name, err)
		}
	}
}

func TestDevListensOnLoopbackOnly(t *testing.T) {
	cfg, err := config.Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Addr = "0.0.0.0:0"
	var out bytes.Buffer
	err = runDev(context.Background(), &out, cfg, devOptions{dataDir: t.TempDir(), workers: 1})
	if err == nil || !strings.Contains(err.Error(), "loopback only") {
		t.Errorf("dev on 0.0.0.0: %v, want a refusal", err)
	}
}

// TestWorkerCommandOverMutualTLS runs `baton server` with tls_client_ca and
// `baton worker` with a client certificate, both with the flags tlstest
// gives the multi-process harnesses: the worker registers.
func TestWorkerCommandOverMutualTLS(t *testing.T) {
	set := tlstest.New(t)
	port, _ := startBatonServer(t, append([]string{"--addr", "127.0.0.1:0"}, set.ServerFlags(true)...)...)
	url := "https://127.0.0.1:" + port
	stdout, stderr, err := runBatonOnce(t, "--server", url, "--tls-ca", set.CA, "token", "create", "workers", "--role", "worker")
	if err != nil {
		t.Fatalf("create a join token: %v\n%s", err, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	join := lines[len(lines)-1]
	ctx, cancel := context.WithCancel(context.Background())
	var out, logs syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- runBaton(ctx, &out, &logs, append([]string{"worker", "--server", url, "--name", "tls-worker",
			"--workdir", t.TempDir(), "--token", join}, set.ClientFlags(true)...)...)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("worker: %v", err)
		}
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		stdout, stderr, err := runBatonOnce(t, "--server", url, "--tls-ca", set.CA, "-o", "json", "workers")
		if err != nil {
			t.Fatalf("workers: %v\n%s", err, stderr)
		}
		if strings.Contains(stdout, `"tls-worker"`) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the worker did not register:\n%s", &logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
