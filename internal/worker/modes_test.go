package worker

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestWorkDirModes: the attempts directory and each attempt's directory
// are this user's only (0700), whatever the umask, also when the attempts
// directory existed with a wider mode.
func TestWorkDirModes(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	work := t.TempDir()
	if err := os.MkdirAll(filepath.Join(work, "attempts"), 0o755); err != nil {
		t.Fatal(err)
	}
	x := newAgentTest(t, func(c *Config) { c.WorkDir = work })
	x.fake.enqueue(x.assignment(1, `stat -c 'mode=%a' "$BATON_WORKDIR" > "$BATON_OUTPUT"`))
	fin := x.fake.waitReport(t, 1, "finish")
	if fin.State != "succeeded" || fin.Outputs["mode"] != "700" {
		t.Errorf("attempt directory: %+v, want mode 700", fin.Report)
	}
	fi, err := os.Stat(filepath.Join(work, "attempts"))
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("attempts directory: %v %v, want mode 0700", fi.Mode(), err)
	}
}
