package version

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestResolvePrefersLinkTimeValues(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v9.9.9"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "feed"}, {Key: "vcs.time", Value: "2020-01-01T00:00:00Z"}}}
	got := resolve("v1.2.0", "abc123", "2026-01-02T03:04:05Z", bi)
	want := Info{Version: "v1.2.0", Commit: "abc123", Date: "2026-01-02T03:04:05Z", GoVersion: "go1.26.8",
		Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if got != want {
		t.Errorf("resolve = %+v, want %+v", got, want)
	}
}

func TestResolveFallsBackOnBuildInfo(t *testing.T) {
	for _, tc := range []struct {
		name string
		bi   *debug.BuildInfo
		want Info
	}{
		{"go install module@version", &debug.BuildInfo{GoVersion: "go1.26.1", Main: debug.Module{Version: "v1.3.0"}},
			Info{Version: "v1.3.0", Commit: Unknown, Date: Unknown, GoVersion: "go1.26.1"}},
		{"go build in a modified checkout", &debug.BuildInfo{GoVersion: "go1.26.1", Main: debug.Module{Version: "(devel)"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123abcd"},
				{Key: "vcs.time", Value: "2026-05-01T10:00:00Z"}, {Key: "vcs.modified", Value: "true"}}},
			Info{Version: "dev", Commit: "0123abcd-dirty", Date: "2026-05-01T10:00:00Z", GoVersion: "go1.26.1"}},
		{"no build info", nil, Info{Version: "dev", Commit: Unknown, Date: Unknown, GoVersion: runtime.Version()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.want.Platform = runtime.GOOS + "/" + runtime.GOARCH
			if got := resolve("", "", "", tc.bi); got != tc.want {
				t.Errorf("resolve = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestCompatible(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"v1.4.0", "v1.4.2", true},
		{"v1.4.0", "v1.3.9", true},
		{"v1.3.0", "v1.4.0-rc.1", true},
		{"v1.4.0", "v1.2.5", false},
		{"v1.0.0", "v2.0.0", false},
		{"1.5.0", "v1.6.1-3-gabcdef0-dirty", true},
		{"dev", "v1.0.0", true},
		{"v1.0.0", "1af5d65", true},
		{"v0.0.0-20260501100000-0123456789ab", "v3.1.0", true},
	} {
		if got := Compatible(tc.a, tc.b); got != tc.want {
			t.Errorf("Compatible(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

// TestMakeBuildStampsVersion links a small program with the -ldflags of
// `make build` (printed by `make ldflags`) and checks that Get reports them.
func TestMakeBuildStampsVersion(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	mk := exec.Command("make", "--no-print-directory", "-s", "-C", "../..", "ldflags",
		"VERSION=v1.2.3-4-gabcdef0", "COMMIT=abcdef0123", "SOURCE_DATE_EPOCH=1767225600")
	flags, err := mk.Output()
	if err != nil {
		t.Fatalf("make ldflags: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "printversion")
	build := exec.Command("go", "build", "-ldflags", strings.TrimSpace(string(flags)), "-o", bin, "./testdata/printversion")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	want := "v1.2.3-4-gabcdef0|abcdef0123|2026-01-01T00:00:00Z|" + runtime.Version()
	if got := strings.TrimSpace(string(out)); got != want {
		t.Errorf("printversion = %q, want %q", got, want)
	}
}
