// Package version tells which build of Baton is running: its version,
// commit, build date and Go version.
//
// `make build` sets them at link time:
//
//	go build -ldflags "-X github.com/baton-sched/baton/internal/version.version=v1.2.0 \
//	    -X github.com/baton-sched/baton/internal/version.commit=<sha> \
//	    -X github.com/baton-sched/baton/internal/version.date=<RFC 3339>"
//
// A plain `go build` or `go install` leaves them empty; Get then reads what
// the Go toolchain stamped into the binary (the module version, and the
// vcs.revision and vcs.time of the checkout).
package version

import (
	"cmp"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
)

// Set with -ldflags -X by `make build`; empty otherwise.
var (
	version string
	commit  string
	date    string
)

// Unknown stands for a field no source could tell.
const Unknown = "unknown"

// Info describes one build.
type Info struct {
	// Version is a semantic version ("v1.2.0", "v1.2.0-3-gabcdef0-dirty")
	// or "dev" for a build from a checkout without tags.
	Version string
	// Commit is the git commit the binary was built from ("unknown" when
	// built outside a checkout), with "-dirty" when the tree had changes.
	Commit string
	// Date is when the binary was built (RFC 3339, UTC), or the commit's
	// date for a plain `go build`.
	Date string
	// GoVersion is the Go toolchain that built the binary.
	GoVersion string
	// Platform is GOOS/GOARCH.
	Platform string
}

// Get returns this binary's build information.
func Get() Info {
	bi, _ := debug.ReadBuildInfo()
	return resolve(version, commit, date, bi)
}

// String is the one-line form logs and the OpenAPI document use.
func (i Info) String() string {
	return i.Version + " (" + i.Commit + ", " + i.GoVersion + ")"
}

// resolve prefers the link-time values and falls back on the build
// information the toolchain recorded.
func resolve(v, c, d string, bi *debug.BuildInfo) Info {
	info := Info{Version: v, Commit: c, Date: d, GoVersion: runtime.Version(),
		Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi != nil {
		if bi.GoVersion != "" {
			info.GoVersion = bi.GoVersion
		}
		settings := map[string]string{}
		for _, s := range bi.Settings {
			settings[s.Key] = s.Value
		}
		if info.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			info.Version = bi.Main.Version
		}
		if info.Commit == "" && settings["vcs.revision"] != "" {
			info.Commit = settings["vcs.revision"]
			if settings["vcs.modified"] == "true" {
				info.Commit += "-dirty"
			}
		}
		if info.Date == "" {
			info.Date = settings["vcs.time"]
		}
	}
	info.Version = cmp.Or(info.Version, "dev")
	info.Commit = cmp.Or(info.Commit, Unknown)
	info.Date = cmp.Or(info.Date, Unknown)
	return info
}

// Compatible reports whether a server of version a and a worker (or
// another server) of version b are within the supported skew: the same
// major version and at most one minor version apart. Versions that are not
// release versions ("dev", a bare commit) are taken as compatible with
// everything, so development builds never refuse each other.
func Compatible(a, b string) bool {
	amaj, amin, aok := majorMinor(a)
	bmaj, bmin, bok := majorMinor(b)
	if !aok || !bok {
		return true
	}
	return amaj == bmaj && max(amin, bmin)-min(amin, bmin) <= 1
}

// majorMinor parses "v1.2.3", "1.2.3-rc.1" or "v1.2.3-4-gabc" into 1, 2.
// Go's pseudo-versions of untagged commits ("v0.0.0-2026...-abcdef") are
// not releases.
func majorMinor(v string) (major, minor int, ok bool) {
	if strings.HasPrefix(v, "v0.0.0-") {
		return 0, 0, false
	}
	v = strings.TrimPrefix(v, "v")
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return 0, 0, false
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil || major < 0 || minor < 0 {
		return 0, 0, false
	}
	return major, minor, true
}
