package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/sqlite"
)

// TestFilesOwnerOnly: the database file and its -wal and -shm files are
// readable by their owner only, whatever the umask, also when the file
// existed with a wider mode.
func TestFilesOwnerOnly(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	for _, existing := range []bool{false, true} {
		path := filepath.Join(t.TempDir(), "baton.db")
		if existing {
			if err := os.WriteFile(path, nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		s, err := sqlite.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		err = s.InTx(context.Background(), func(tx store.Tx) error {
			_, err := tx.Workflows().Upsert(context.Background(), "w")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatalf("existing=%v: %v", existing, err)
			}
			if m := fi.Mode().Perm(); m != 0o600 {
				t.Errorf("existing=%v: %s has mode %v, want 0600", existing, filepath.Base(p), m)
			}
		}
		s.Close()
	}
}
