package main

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/engine"
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
	c    *client.Client
	logs *lockedBuffer
	eng  *engine.Engine
}

func newSecureEnv(t *testing.T, ecfg engine.Config, wcfg func(*worker.Config)) *secureEnv {
	t.Helper()
	logs := &lockedBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ecfg.Logger = log
	eng := engine.New(storetest.OpenSQLite(t), ecfg)
	srv := server.New(eng, server.Config{Addr: "127.0.0.1:0", Logger: log})
	ctx := context.Background()
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	url := "http://" + srv.Addr()
	cfg := worker.Config{Servers: []string{url}, Name: "w1", Zone: "a", Capacity: 4,
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
	c, err := client.New([]string{url}, client.WithActor("user:test"))
	if err != nil {
		t.Fatal(err)
	}
	return &secureEnv{c: c, logs: logs, eng: eng}
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
