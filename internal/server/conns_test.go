package server_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/server"
	"github.com/baton-sched/baton/internal/store/sqlite"
)

// connServerEnv makes the test binary a server with few file descriptors
// (see connServer), for TestIdleConnectionsCannotExhaustDescriptors.
const (
	connServerEnv = "BATON_TEST_CONN_SERVER"
	connServerFDs = 200
)

// connServer runs a server on SQLite with RLIMIT_NOFILE lowered to
// connServerFDs, prints its address and serves until stdin closes.
func connServer() int {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	lim.Cur = connServerFDs
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(os.Getenv(connServerEnv), "baton.db"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer st.Close()
	srv := server.New(engine.New(st, engine.Config{}), server.Config{Addr: "127.0.0.1:0"})
	if err := srv.Start(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer srv.Stop()
	fmt.Printf("ADDR %s\n", srv.Addr())
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 0
}

// TestIdleConnectionsCannotExhaustDescriptors opens twice as many idle
// keep-alive connections (and connections that never send a request) as
// a server has file descriptors: the server closes the longest idle ones
// as new ones arrive, so /healthz still answers.
func TestIdleConnectionsCannotExhaustDescriptors(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), connServerEnv+"="+t.TempDir())
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close()
		_ = cmd.Wait()
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "ADDR ")
	if err != nil || !ok {
		t.Fatalf("server said %q (%v)", line, err)
	}

	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	answered := 0
	for i := range 2 * connServerFDs {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		conns = append(conns, c)
		if i%10 == 9 {
			continue // never sends a request
		}
		if err := healthz(c); err != nil {
			t.Logf("connection %d: %v", i, err)
			break
		}
		answered++ // and stays open, idle
	}
	t.Logf("%d idle connections answered once", answered)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := healthz(c); err != nil {
		t.Fatalf("/healthz after %d idle connections: %v", len(conns), err)
	}
}

// healthz asks GET /healthz on c, keeping the connection open.
func healthz(c net.Conn) error {
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	defer c.SetDeadline(time.Time{})
	if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"); err != nil {
		return err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %s", resp.Status)
	}
	return nil
}
