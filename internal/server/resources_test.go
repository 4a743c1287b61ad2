package server_test

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/client/vocab"
	"github.com/baton-sched/baton/internal/auth"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/resource"
	"github.com/baton-sched/baton/internal/server"
	"github.com/baton-sched/baton/internal/store/storetest"
	"github.com/baton-sched/baton/internal/worker"
)

// resourceServer starts a real server on SQLite with resource limits lim.
func resourceServer(t *testing.T, lim resource.Limits) (*server.Server, *client.Client, string) {
	t.Helper()
	st := storetest.OpenSQLite(t)
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", logs)
		}
	})
	srv := server.New(engine.New(st, engine.Config{Resources: lim, Logger: log}), server.Config{Addr: "127.0.0.1:0",
		HeartbeatInterval: 100 * time.Millisecond, Logger: log})
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	admin, join := issueTestTokens(t, st)
	c, err := client.New([]string{srv.URL()}, client.WithToken(admin))
	if err != nil {
		t.Fatal(err)
	}
	viewer, err := server.IssueToken(context.Background(), st, "viewer", auth.RoleViewer)
	if err != nil {
		t.Fatal(err)
	}
	urlTokens.Store(srv.URL()+"#viewer", [2]string{viewer, join})
	urlTokens.Store(srv.URL(), [2]string{admin, join})
	t.Cleanup(func() { urlTokens.Delete(srv.URL()); urlTokens.Delete(srv.URL() + "#viewer") })
	return srv, c, join
}

// scriptsDir is a directory of two scripts, the second reading a data
// file beside it, archived as `baton resource put` sends it.
func scriptsDir(t *testing.T, greeting string) []byte {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "lib"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"first.sh":         "#!/bin/sh\necho first ran\n",
		"second.sh":        "#!/bin/sh\necho \"greeting=$(cat \"$(dirname \"$0\")/lib/greeting.txt\")\" >> \"$BATON_OUTPUT\"\n",
		"lib/greeting.txt": greeting,
	}
	for name, body := range files {
		mode := os.FileMode(0o644)
		if strings.HasSuffix(name, ".sh") {
			mode = 0o755
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), mode); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := resource.WriteDir(&buf, dir); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestResourceRunsOnWorker: a task using a directory of two scripts runs
// them on a real worker; 48 tasks on that worker, 16 at a time, fetch the
// archive once.
func TestResourceRunsOnWorker(t *testing.T) {
	srv, c, join := resourceServer(t, resource.Limits{})
	ctx := t.Context()
	v1, err := c.PutResource(ctx, "tools", client.ContentTar, scriptsDir(t, "hello"), false)
	if err != nil {
		t.Fatal(err)
	}
	if v1.Version != 1 || v1.Kind != vocab.ResourceDir || v1.Files != 3 {
		t.Fatalf("put: %+v", v1)
	}
	const tasks = 48 // three times the worker's capacity: the first 16 start together
	var def strings.Builder
	def.WriteString("name: scripted\ntasks:\n")
	for i := range tasks {
		fmt.Fprintf(&def, "  - name: t%d\n    run: ./tools/first.sh && ./tools/second.sh && test \"$(stat -c %%a tools/first.sh)\" = 555\n    resources: [tools]\n", i)
	}
	if _, err := c.Apply(ctx, []client.SourceFile{{Filename: "scripted.yaml", Content: def.String()}}); err != nil {
		t.Fatal(err)
	}
	run, err := c.StartRun(ctx, "scripted", client.StartRunRequest{})
	if err != nil {
		t.Fatal(err)
	}
	// A later put does not change the running run's version.
	if v2, err := c.PutResource(ctx, "tools", client.ContentTar, scriptsDir(t, "changed"), false); err != nil || v2.Version != 2 {
		t.Fatalf("second put: %+v %v", v2, err)
	}
	a, err := worker.New(worker.Config{
		Servers: []string{srv.URL()}, Token: join, Name: "w", Zone: "a", Capacity: 16, WorkDir: t.TempDir(),
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, RequestTimeout: 5 * time.Second,
		ClaimWait: time.Second, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Stop)
	var detail client.RunDetail
	// Each run gets its own deadline: on a loaded machine (SQLite, the
	// whole suite beside it) the tasks alone may take most of one.
	deadline := time.Now().Add(3 * time.Minute)
	for {
		if detail, err = c.Run(ctx, run.ID); err != nil {
			t.Fatal(err)
		}
		if detail.State == vocab.RunSucceeded || detail.State == vocab.RunFailed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("run still %s", detail.State)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, task := range detail.Tasks {
		if task.State != vocab.TaskSucceeded || task.Outputs["greeting"] != "hello" {
			t.Fatalf("task %s: %s (%s), outputs %v: want succeeded with greeting=hello (version 1)",
				task.Name, task.State, task.Reason, task.Outputs)
		}
	}
	if n := srv.ResourceFetches(); n != 1 {
		t.Errorf("%d tasks on one worker fetched the archive %d times, want once", tasks, n)
	}
	t.Logf("%d tasks on one worker: the archive was fetched %d time(s)", tasks, srv.ResourceFetches())

	// A rerun keeps the run's pin; a new run takes the latest.
	next, err := c.StartRun(ctx, "scripted", client.StartRunRequest{})
	if err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(3 * time.Minute)
	for {
		if detail, err = c.Run(ctx, next.ID); err != nil {
			t.Fatal(err)
		}
		if detail.State == vocab.RunSucceeded || detail.State == vocab.RunFailed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("second run still %s", detail.State)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := detail.Tasks[0].Outputs["greeting"]; got != "changed" {
		t.Errorf("a run started after the second put read %q, want changed", got)
	}
}

// TestResourceAPIRefuses makes the requests an attacker or a mistake
// would: each is refused and nothing is stored.
func TestResourceAPIRefuses(t *testing.T) {
	srv, c, _ := resourceServer(t, resource.Limits{MaxBytes: 1 << 10, MaxFiles: 5})
	ctx := t.Context()
	viewerToken, _ := tokensOf(srv.URL() + "#viewer")
	send := func(token, name, contentType string, body []byte) (int, string) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, srv.URL()+"/api/v1/resources/"+name, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", contentType)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		return resp.StatusCode, b.String()
	}
	admin, _ := tokensOf(srv.URL())
	evil := func(h tar.Header, body string) []byte {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		h.Size = int64(len(body))
		if h.Typeflag != tar.TypeReg {
			h.Size = 0
		}
		_ = tw.WriteHeader(&h)
		_, _ = tw.Write([]byte(body))
		_ = tw.Close()
		return buf.Bytes()
	}
	tests := []struct {
		name, token, resource, contentType string
		body                               []byte
		status                             int
		says                               string
	}{
		{"no token", "", "x", client.ContentFile, []byte("a"), http.StatusUnauthorized, ""},
		{"viewer", viewerToken, "x", client.ContentFile, []byte("a"), http.StatusForbidden, "permission"},
		{"oversize file", admin, "x", client.ContentFile, bytes.Repeat([]byte("a"), 2<<10), http.StatusRequestEntityTooLarge, "max_resource_bytes"},
		{"traversal", admin, "x", client.ContentTar, evil(tar.Header{Typeflag: tar.TypeReg, Name: "../../etc/cron.d/x", Mode: 0o644}, "x"), http.StatusUnprocessableEntity, "goes up"},
		{"absolute", admin, "x", client.ContentTar, evil(tar.Header{Typeflag: tar.TypeReg, Name: "/etc/passwd", Mode: 0o644}, "x"), http.StatusUnprocessableEntity, "absolute"},
		{"symlink out", admin, "x", client.ContentTar, evil(tar.Header{Typeflag: tar.TypeSymlink, Name: "pw", Linkname: "/etc/passwd"}, ""), http.StatusUnprocessableEntity, "link"},
		{"device", admin, "x", client.ContentTar, evil(tar.Header{Typeflag: tar.TypeChar, Name: "null", Devmajor: 1, Devminor: 3}, ""), http.StatusUnprocessableEntity, "not a regular file"},
		{"bad name", admin, "Bad.Name", client.ContentFile, []byte("a"), http.StatusUnprocessableEntity, "invalid name"},
		{"pinned name", admin, "x@2", client.ContentFile, []byte("a"), http.StatusUnprocessableEntity, "NAME@VERSION"},
	}
	for _, tt := range tests {
		status, body := send(tt.token, tt.resource, tt.contentType, tt.body)
		if status != tt.status || !strings.Contains(body, tt.says) {
			t.Errorf("%s: %d %s, want %d saying %q", tt.name, status, body, tt.status, tt.says)
		}
	}
	if list, err := c.Resources(ctx); err != nil || len(list) != 0 {
		t.Errorf("after refused puts: %v %v, want nothing stored", list, err)
	}
	// A viewer reads; a worker credential cannot fetch what none of its
	// attempts uses (here: no worker at all).
	if _, err := c.PutResource(ctx, "x", client.ContentFile, []byte("#!/bin/sh\n"), true); err != nil {
		t.Fatal(err)
	}
	viewer, err := client.New([]string{srv.URL()}, client.WithToken(viewerToken))
	if err != nil {
		t.Fatal(err)
	}
	list, err := viewer.Resources(ctx)
	if err != nil || len(list) != 1 || list[0].Latest.Kind != vocab.ResourceFile || list[0].Versions != 1 {
		t.Fatalf("viewer's list: %+v %v", list, err)
	}
	var archive bytes.Buffer
	if err := viewer.ResourceArchive(ctx, "x", 0, &archive); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "x")
	if err := resource.Unpack(&archive, dst); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(filepath.Join(dst, resource.FileEntry)); err != nil || st.Mode() != 0o555 {
		t.Errorf("downloaded file: %v %v, want mode 0555", st, err)
	}
	if _, err := viewer.ResourceVersion(ctx, "x", 9); !client.IsNotFound(err) {
		t.Errorf("unknown version: %v, want 404", err)
	}
	status, _ := send(admin, "", client.ContentFile, nil)
	if status < 400 {
		t.Errorf("put without a name: %d", status)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL()+"/api/v1/workers/nobody/resources/"+list[0].Latest.Sha256, nil)
	req.Header.Set("Authorization", "Bearer "+admin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("an admin token on the worker fetch: %d, want 403", resp.StatusCode)
	}
}
