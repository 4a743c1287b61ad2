package main

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"github.com/baton-sched/baton/internal/version"
)

func TestVersionCommand(t *testing.T) {
	f := newCLIFixture(t)
	v := version.Get()
	want := "baton " + v.Version + "\n  commit: " + v.Commit + "\n  built:  " + v.Date + "\n  go:     " +
		runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + "\n"

	r := f.mustRun("version")
	if r.stdout != want {
		t.Errorf("baton version printed\n%s\nwant\n%s", r.stdout, want)
	}
	if r := f.mustRun("--version"); r.stdout != want {
		t.Errorf("baton --version printed\n%s\nwant\n%s", r.stdout, want)
	}

	r = f.mustRun("version", "-o", "json")
	var rep versionReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("version -o json: %v\n%s", err, r.stdout)
	}
	if rep.Client != localBuild() || rep.Client.GoVersion != runtime.Version() || rep.Server != nil {
		t.Errorf("version -o json = %+v", rep)
	}

	// --remote asks the server: GET /api/v1/version.
	r = f.mustRun("version", "--remote", "-o", "json")
	rep = versionReport{}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("version --remote -o json: %v\n%s", err, r.stdout)
	}
	if rep.Server == nil || *rep.Server != localBuild() {
		t.Errorf("version --remote: server = %+v, want %+v", rep.Server, localBuild())
	}
	r = f.mustRun("version", "--remote")
	if !strings.HasPrefix(r.stdout, want) || !strings.Contains(r.stdout, "\nserver "+v.Version+"\n") {
		t.Errorf("version --remote printed\n%s", r.stdout)
	}

	if r := f.run("version", "extra"); r.code() == 0 {
		t.Errorf("version with an argument: exit 0")
	}
}
