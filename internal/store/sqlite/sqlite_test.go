package sqlite_test

import (
	"context"
	"errors"
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

// TestOpenLocksTheFile: while a store has the file open, another store
// (a second server, baton dev) or a migrate-store cannot take it.
func TestOpenLocksTheFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "baton.db")
	if _, err := sqlite.Lock(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lock a missing file: %v, want not exist", err)
	}
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if s2, err := sqlite.Open(ctx, path); !errors.Is(err, sqlite.ErrInUse) {
		if s2 != nil {
			s2.Close()
		}
		t.Errorf("second open: %v, want ErrInUse", err)
	}
	if _, err := sqlite.Lock(path); !errors.Is(err, sqlite.ErrInUse) {
		t.Errorf("lock while open: %v, want ErrInUse", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := sqlite.Lock(path)
	if err != nil {
		t.Fatalf("lock after close: %v", err)
	}
	if _, err := sqlite.Open(ctx, path); !errors.Is(err, sqlite.ErrInUse) {
		t.Errorf("open while locked: %v, want ErrInUse", err)
	}
	f.Close()
	s, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("open after unlock: %v", err)
	}
	s.Close()
}
