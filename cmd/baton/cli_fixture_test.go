package main

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/auth"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/server"
	"github.com/baton-sched/baton/internal/store/storetest"
)

func init() { pollInterval = 10 * time.Millisecond }

// cliFixture is a real API server on a fresh SQLite database, for running
// the real command tree against.
type cliFixture struct {
	t     *testing.T
	url   string
	c     *client.Client
	token string // the admin token the CLI sends
	join  string // the join token of fake workers
	eng   *engine.Engine
}

func newCLIFixture(t *testing.T) *cliFixture {
	t.Helper()
	// The fake workers do not heartbeat: a long lease keeps them alive.
	st := storetest.OpenSQLite(t)
	eng := engine.New(st, engine.Config{LeaseTTL: time.Minute})
	srv := server.New(eng, server.Config{})
	ts := httptest.NewServer(srv.Handler())
	sweeper := server.NewSweeper(eng, server.SweeperConfig{Interval: 10 * time.Millisecond}) // wakes retries
	sweeper.Start(context.Background())
	t.Cleanup(func() { sweeper.Stop(); ts.Close(); srv.Stop() })
	admin, err := server.IssueToken(context.Background(), st, "test", auth.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	join, err := server.IssueToken(context.Background(), st, "test-workers", auth.RoleWorker)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New([]string{ts.URL}, client.WithToken(admin), client.WithJoinToken(join))
	if err != nil {
		t.Fatal(err)
	}
	return &cliFixture{t: t, url: ts.URL, c: c, token: admin, join: join, eng: eng}
}

// cliResult is what one command invocation printed and returned.
type cliResult struct {
	stdout, stderr string
	err            error
}

// code is the exit code main would return.
func (r cliResult) code() int {
	if r.err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(r.err, &ee) {
		return ee.code
	}
	return 1
}

// run runs `baton --server URL args...` and captures its output.
func (f *cliFixture) run(args ...string) cliResult {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return f.runContext(ctx, args...)
}

func (f *cliFixture) runContext(ctx context.Context, args ...string) cliResult {
	root := newRoot()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetIn(strings.NewReader(""))
	root.SetArgs(append([]string{"--server", f.url, "--token", f.token}, args...))
	err := root.ExecuteContext(ctx)
	return cliResult{stdout: out.String(), stderr: errOut.String(), err: err}
}

// mustRun runs a command that must succeed.
func (f *cliFixture) mustRun(args ...string) cliResult {
	f.t.Helper()
	r := f.run(args...)
	if r.err != nil {
		f.t.Fatalf("baton %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.err, r.stdout, r.stderr)
	}
	return r
}

// apply stores definitions through the client, named name.yaml.
func (f *cliFixture) apply(defs map[string]string) {
	f.t.Helper()
	var files []client.SourceFile
	for name, text := range defs {
		files = append(files, client.SourceFile{Filename: name + ".yaml", Content: text})
	}
	if _, err := f.c.Apply(context.Background(), files); err != nil {
		f.t.Fatalf("apply: %v", err)
	}
}

// startWorker runs a fake worker until the test ends: it claims attempts,
// writes "out of TASK" as output, and succeeds unless the command contains
// "fail", or "flaky" and it is the first attempt. It returns the worker's ID.
func (f *cliFixture) startWorker(name, zone string) string {
	f.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	reg, err := f.c.Register(ctx, client.RegisterRequest{Name: name, Zone: zone, Capacity: 100})
	if err != nil {
		cancel()
		f.t.Fatalf("register: %v", err)
	}
	id := reg.Worker.ID
	done := make(chan struct{})
	f.t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			as, err := f.c.Claim(ctx, id, client.ClaimRequest{Max: 100, FreeCU: 100, Wait: time.Second})
			if err == nil {
				err = f.execute(ctx, id, as)
			}
			if err != nil && ctx.Err() == nil {
				f.t.Errorf("fake worker: %v", err)
				return
			}
		}
	}()
	return id
}

// execute "runs" claimed attempts: start, output, finish.
func (f *cliFixture) execute(ctx context.Context, workerID string, as []client.Assignment) error {
	for _, a := range as {
		if err := f.c.ReportOne(ctx, workerID, client.Report{AttemptID: a.AttemptID, Kind: "start"}); err != nil {
			return err
		}
		chunks := []client.NewLogChunk{
			{AttemptID: a.AttemptID, Seq: 1, Stream: "stdout", Data: "out of " + a.Task + "\n"},
			{AttemptID: a.AttemptID, Seq: 2, Stream: "stderr", Data: "attempt " + strconv.FormatInt(a.Number, 10) + "\n"},
		}
		if _, err := f.c.SendLogs(ctx, workerID, chunks); err != nil {
			return err
		}
		fin := client.Report{AttemptID: a.AttemptID, Kind: "finish", State: "succeeded"}
		if strings.Contains(a.Command, "fail") || strings.Contains(a.Command, "flaky") && a.Number == 1 {
			fin.State, fin.ExitCode, fin.Reason = "failed", 1, "exit status 1"
		}
		if err := f.c.ReportOne(ctx, workerID, fin); err != nil {
			return err
		}
	}
	return nil
}

// writeFiles writes files (name -> content) into a new directory.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		_ = client.Wait(context.Background(), 5*time.Millisecond)
	}
}
