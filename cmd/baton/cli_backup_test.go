package main

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/server"
	"github.com/baton-sched/baton/internal/store/sqlite"
)

// TestBackupOfALiveStoreRestores backs up a store while runs are being
// started and tasks run, then starts a server on the backup and reads the
// rows back: every run there is whole (all its tasks), as one instant saw it.
func TestBackupOfALiveStoreRestores(t *testing.T) {
	f := newCLIFixture(t)
	f.apply(map[string]string{"hello": helloDef})
	f.startWorker("w1", "a")
	for range 5 {
		f.mustRun("run", "hello")
	}
	eventually(t, "5 runs succeeded", func() bool {
		return strings.Count(f.mustRun("runs", "--state", "succeeded").stdout, "hello") == 5
	})
	// Keep writing while the backup is taken.
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			_, _ = f.c.StartRun(ctx, "hello", client.StartRunRequest{})
		}
	}()
	file := filepath.Join(t.TempDir(), "baton-backup.db")
	r := f.run("backup", "--to", file)
	cancel()
	wg.Wait()
	if r.err != nil || !strings.HasPrefix(r.stdout, "backup written to "+file) {
		t.Fatalf("backup: %v\n%s%s", r.err, r.stdout, r.stderr)
	}
	if info, err := os.Stat(file); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("backup file: %v, mode %v; want 0600", err, info.Mode().Perm())
	}
	if _, err := os.Stat(file + ".partial"); !os.IsNotExist(err) {
		t.Errorf("the partial file was left behind: %v", err)
	}
	if r := f.run("backup", "--to", file); r.err == nil || !strings.Contains(r.err.Error(), "exists") {
		t.Errorf("backup over an existing file: %v, want refused", r.err)
	}

	// Restore: a server on the backup file.
	st, err := sqlite.Open(context.Background(), file)
	if err != nil {
		t.Fatalf("open the backup: %v", err)
	}
	eng := engine.New(st, engine.Config{LeaseTTL: time.Minute})
	srv := server.New(eng, server.Config{})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { ts.Close(); srv.Stop(); st.Close() })
	restored := &cliFixture{t: t, url: ts.URL, token: f.token} // the tokens are in the backup too
	if r := restored.mustRun("workflow", "show", "hello"); r.stdout != helloDef {
		t.Errorf("restored definition:\n%s", r.stdout)
	}
	r = restored.mustRun("runs", "--state", "succeeded")
	if n := strings.Count(r.stdout, "hello"); n < 5 {
		t.Errorf("restored store has %d succeeded runs, want at least 5:\n%s", n, r.stdout)
	}
	c, err := client.New([]string{ts.URL}, client.WithToken(f.token))
	if err != nil {
		t.Fatal(err)
	}
	page, err := c.Runs(context.Background(), client.RunFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, run := range page.Items {
		d, err := c.Run(context.Background(), run.ID)
		if err != nil || len(d.Tasks) != 2 {
			t.Errorf("restored run %d: %v, %d tasks; want both tasks of a whole run", run.ID, err, len(d.Tasks))
		}
	}
	// It serves: a new run starts on the restored store.
	if r := restored.mustRun("run", "hello"); !strings.Contains(r.stdout, "of hello started") {
		t.Errorf("run on the restored store printed %q", r.stdout)
	}
}
