package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/auth"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/secrets"
	"github.com/baton-sched/baton/internal/server"
	"github.com/baton-sched/baton/internal/store/storetest"
	"github.com/baton-sched/baton/internal/worker"
)

// lockedBuffer collects a process's log output.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// secureEnv is a server on SQLite and one real worker running tasks under
// the shim, with every log line of both kept.
type secureEnv struct {
	c     *client.Client
	token string
	logs  *lockedBuffer
	eng   *engine.Engine
}

func newSecureEnv(t *testing.T, ecfg engine.Config, wcfg func(*worker.Config)) *secureEnv {
	t.Helper()
	logs := &lockedBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ecfg.Logger = log
	st := storetest.OpenSQLite(t)
	eng := engine.New(st, ecfg)
	srv := server.New(eng, server.Config{Addr: "127.0.0.1:0", Logger: log})
	ctx := context.Background()
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	url := "http://" + srv.Addr()
	admin, err := server.IssueToken(ctx, st, "test", auth.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	join, err := server.IssueToken(ctx, st, "test-workers", auth.RoleWorker)
	if err != nil {
		t.Fatal(err)
	}
	cfg := worker.Config{Servers: []string{url}, Token: join, Name: "w1", Zone: "a", Capacity: 4,
		WorkDir: filepath.Join(t.TempDir(), "work"), Logger: log, LogFlushInterval: 20 * time.Millisecond}
	if wcfg != nil {
		wcfg(&cfg)
	}
	a, err := worker.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Stop)
	c, err := client.New([]string{url}, client.WithToken(admin))
	if err != nil {
		t.Fatal(err)
	}
	return &secureEnv{c: c, logs: logs, eng: eng, token: admin}
}

// runTask applies def, starts a run with params, waits for it to end
// and returns the run and the output of task.
func (x *secureEnv) runTask(t *testing.T, def string, params map[string]string, task string) (client.RunDetail, string) {
	t.Helper()
	ctx := context.Background()
	applied, err := x.c.Apply(ctx, []client.SourceFile{{Filename: "def.yaml", Content: def}})
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	run, err := x.c.StartRun(ctx, applied[0].Workflow, client.StartRunRequest{Params: params})
	if err != nil {
		t.Fatal(err)
	}
	var detail client.RunDetail
	eventually(t, "the run to end", func() bool {
		detail, err = x.c.Run(ctx, run.ID)
		return err == nil && detail.Terminal()
	})
	var out strings.Builder
	logs, err := x.c.Logs(ctx, run.ID, task, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range logs.Chunks {
		out.WriteString(ch.Data)
	}
	return detail, out.String()
}

// TestShellInjectionThroughParams: a parameter quoted as the docs once
// advised, holding a payload that closes the quotes, is printed as
// written by a real worker's shell; the injected command never runs.
func TestShellInjectionThroughParams(t *testing.T) {
	x := newSecureEnv(t, engine.Config{}, nil)
	payload := `x"; id -un; echo "INJECTED`
	def := "name: inject\nparams: {who: world}\ntasks:\n  - name: greet\n    run: echo \"hello ${{ params.who }}\"\n" +
		"  - name: plain\n    run: echo hello ${{ params.who }}\n  - name: single\n    run: echo 'hello ${{ params.who }}'\n"
	for _, task := range []string{"greet", "plain", "single"} {
		run, out := x.runTask(t, def, map[string]string{"who": payload}, task)
		if run.State != "succeeded" || out != "hello "+payload+"\n" {
			t.Errorf("%s: run %s, output %q, want the payload printed as written", task, run.State, out)
		}
	}
}

// TestSecretNeverLeaves: a task that echoes its secret shows *** in its
// stored log and outputs; the value is in no API answer, event or server
// or worker log line; a workflow putting a secret in run, or naming an
// unknown one, is refused at apply with its line.
func TestSecretNeverLeaves(t *testing.T) {
	const value = "pa55-w0rd-9f3c"
	ring, err := secrets.ParseKeys(secrets.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	x := newSecureEnv(t, engine.Config{Secrets: ring}, nil)
	ctx := context.Background()
	if _, err := x.c.SetSecret(ctx, "db_password", value); err != nil {
		t.Fatal(err)
	}
	def := "name: secretive\ntasks:\n  - name: t\n    run: echo \"password=$DB_PASSWORD\"; echo \"echoed=$DB_PASSWORD\" >> \"$BATON_OUTPUT\"\n" +
		"    env:\n      DB_PASSWORD: \"${{ secrets.db_password }}\"\n"
	run, out := x.runTask(t, def, nil, "t")
	if run.State != "succeeded" || out != "password=***\n" {
		t.Errorf("run %s, log %q, want the value masked", run.State, out)
	}
	if got := run.Tasks[0].Outputs["echoed"]; got != "***" {
		t.Errorf("output %q, want ***", got)
	}
	for _, path := range []string{"/api/v1/runs", fmt.Sprintf("/api/v1/runs/%d", run.ID),
		fmt.Sprintf("/api/v1/runs/%d/attempts", run.ID), "/api/v1/events?limit=1000",
		fmt.Sprintf("/api/v1/runs/%d/tasks/t/logs", run.ID), "/api/v1/secrets", "/api/v1/workflows",
		"/api/v1/workflows/secretive", "/api/v1/alerts"} {
		body := getRaw(t, x.c.URLs()[0]+path, x.token)
		if strings.Contains(body, value) {
			t.Errorf("GET %s shows the value: %s", path, body)
		}
	}
	if strings.Contains(x.logs.String(), value) {
		t.Errorf("the server or worker log shows the value:\n%s", x.logs)
	}
	for src, want := range map[string]string{
		"name: leaky\ntasks:\n  - name: t\n    run: |\n      echo start\n      mysql -p${{ secrets.db_password }}\n": "def.yaml:6",
		"name: typo\ntasks:\n  - name: t\n    run: env\n    env: {P: \"${{ secrets.db_pasword }}\"}\n":               `secret "db_pasword" does not exist`,
	} {
		_, err := x.c.Apply(ctx, []client.SourceFile{{Filename: "def.yaml", Content: src}})
		if client.StatusOf(err) != 422 || !strings.Contains(err.Error(), want) {
			t.Errorf("apply %q: %v, want 422 with %q", src, err, want)
		}
	}
	if wfs, err := x.c.Workflows(ctx); err != nil || len(wfs) != 1 {
		t.Errorf("workflows after refused applies: %+v %v", wfs, err)
	}
}

// getRaw returns the body of a GET.
func getRaw(t *testing.T, url, token string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %v", url, resp.Status, err)
	}
	return string(data)
}
