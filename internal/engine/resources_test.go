package engine_test

import (
	"archive/tar"
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/resource"
	"github.com/baton-sched/baton/internal/store"
)

func toolsTar(t *testing.T, script string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range []struct{ name, body string }{{"a.sh", script}, {"b.sh", "echo b\n"}} {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: f.name, Mode: 0o755, Size: int64(len(f.body))}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(f.body))
	}
	tw.Close()
	return buf.Bytes()
}

// TestResourcesPinnedAtStart: a run keeps the versions that were latest
// when it started, through a later put and a rerun as a new run; a new run
// takes the latest; a resource that does not exist fails the start.
func TestResourcesPinnedAtStart(t *testing.T) {
	t.Parallel()
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		put := func(name string, dir bool, body []byte) store.Resource {
			t.Helper()
			r, err := x.e.PutResource(x.ctx, engine.ResourceUpload{Name: name, Dir: dir, Body: body, Actor: "user:ed"})
			if err != nil {
				t.Fatalf("put %s: %v", name, err)
			}
			return r
		}
		tools1 := put("tools", true, toolsTar(t, "echo one\n"))
		config1 := put("config", false, []byte("k=v\n"))
		x.apply("name: scripted\ntasks:\n  - name: a\n    run: ./tools/a.sh\n    resources: [tools, config@1]\n")
		first := x.start("scripted", nil)
		tools2 := put("tools", true, toolsTar(t, "echo two\n"))
		if tools2.Version != 2 || tools2.Sha256 == tools1.Sha256 {
			t.Fatalf("second put: %+v", tools2)
		}
		same := put("config", false, []byte("k=v\n"))
		if same.Version != 2 || same.Sha256 != config1.Sha256 {
			t.Errorf("same content put again: %+v, want version 2 with the same sha256", same)
		}
		w := x.worker("a", 4)
		a := x.claimOne(w)
		want := []engine.AssignedResource{
			{Name: "tools", Version: 1, Sha256: tools1.Sha256, Size: tools1.Size, Kind: "dir"},
			{Name: "config", Version: 1, Sha256: config1.Sha256, Size: config1.Size, Kind: "file"},
		}
		if len(a.Resources) != 2 || a.Resources[0] != want[0] || a.Resources[1] != want[1] {
			t.Fatalf("assignment resources %+v, want %+v", a.Resources, want)
		}
		x.finish(w, a, store.AttemptFailed, nil)
		wantState(t, "first run", x.run(first.ID).State, store.RunFailed)

		rerun, err := x.e.RecoverRun(x.ctx, first.ID, engine.Recovery{Failed: true, Latest: true, Actor: "user:op"})
		if err != nil {
			t.Fatal(err)
		}
		if a := x.claimOne(w); a.RunID != rerun.Run.ID || a.Resources[0].Version != 1 {
			t.Errorf("rerun as a new run: run %d resources %+v, want tools version 1 (the pin kept)", a.RunID, a.Resources)
		} else {
			x.finish(w, a, store.AttemptSucceeded, nil)
		}

		second := x.start("scripted", nil)
		if a := x.claimOne(w); a.RunID != second.ID || a.Resources[0] != (engine.AssignedResource{Name: "tools",
			Version: 2, Sha256: tools2.Sha256, Size: tools2.Size, Kind: "dir"}) || a.Resources[1].Version != 1 {
			t.Errorf("a new run: %+v, want tools version 2 and config version 1 (named)", a.Resources)
		}

		x.apply("name: missing\ntasks:\n  - name: a\n    run: a\n  - name: b\n    run: b\n    resources: [tools, nope, config@9]\n")
		_, err = x.e.StartRun(x.ctx, engine.StartRequest{Workflow: "missing", Actor: "user:test"})
		var inv *engine.InvalidError
		if !errors.As(err, &inv) || !strings.Contains(err.Error(), `task "b": resource nope does not exist`) ||
			!strings.Contains(err.Error(), "config@9") {
			t.Errorf("start with unknown resources: %v, want an invalid error naming the task and each resource", err)
		}
		var runs []store.Run
		err = x.s.Read(x.ctx, func(tx store.Tx) (err error) {
			runs, err = tx.Runs().List(x.ctx, store.RunFilter{Workflow: "missing", Limit: 10})
			return err
		})
		if err != nil || len(runs) != 0 {
			t.Errorf("runs of the refused start: %v %v, want none", runs, err)
		}

		_, err = x.e.PutResource(x.ctx, engine.ResourceUpload{Name: "big", Body: make([]byte, 2<<20),
			Actor: "user:ed"})
		if err != nil {
			t.Fatalf("a file within the default limit: %v", err)
		}
	})
}

func TestResourceLimitsNamed(t *testing.T) {
	t.Parallel()
	eachStore(t, engine.Config{Resources: resource.Limits{MaxBytes: 1024, MaxFiles: 1}}, func(t *testing.T, x *env) {
		_, err := x.e.PutResource(x.ctx, engine.ResourceUpload{Name: "big", Body: make([]byte, 2048)})
		var le *engine.LimitError
		if !errors.As(err, &le) || le.Limit != "max_resource_bytes" || !strings.Contains(err.Error(), "big") {
			t.Errorf("oversize: %v, want a limit error naming max_resource_bytes and the resource", err)
		}
		_, err = x.e.PutResource(x.ctx, engine.ResourceUpload{Name: "many", Dir: true, Body: toolsTar(t, "x")})
		if !errors.As(err, &le) || le.Limit != "max_resource_files" {
			t.Errorf("too many files: %v, want max_resource_files", err)
		}
		if list, err := x.e.Resources(x.ctx); err != nil || len(list) != 0 {
			t.Errorf("after refused puts: %v %v", list, err)
		}
	})
}
