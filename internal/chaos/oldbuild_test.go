package chaos_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/baton-sched/baton/internal/chaos"
)

// An older commit builds once into the cache and reports its version.
func TestBuildCommit(t *testing.T) {
	if os.Getenv("BATON_CHAOS_OLD_BUILD") == "" {
		t.Skip("builds an older Baton (minutes on a loaded machine); set BATON_CHAOS_OLD_BUILD=1 (make chaos runs the mixed-version scenario)")
	}
	cache := t.TempDir()
	bin, err := chaos.BuildCommit(t.Context(), ".", "04e491183059", cache)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil || !strings.Contains(string(out), chaos.OldVersion("04e491183059")) {
		t.Errorf("baton version of the old build: %s, %v", out, err)
	}
	again, err := chaos.BuildCommit(t.Context(), ".", "04e491183059", cache)
	if err != nil || again != bin {
		t.Errorf("second build: %s, %v; want the cached %s", again, err, bin)
	}
	if _, err := chaos.BuildCommit(t.Context(), ".", "0000000", cache); err == nil ||
		!strings.Contains(err.Error(), "not a commit") {
		t.Errorf("unknown commit: %v", err)
	}
}
