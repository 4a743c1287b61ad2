package sqlite

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// ErrInUse is returned when another process holds the database file: a
// baton server or baton dev serving it, or a migrate-store reading it.
var ErrInUse = errors.New("the database is in use by another process (a baton server or baton dev): stop it first")

// Lock takes the exclusive lock every process that opens the database
// file as Baton's store holds while it has it open: flock(2) on the file
// itself, which SQLite's own (fcntl) locks do not interfere with, and
// which the kernel releases when the process dies, however it dies. It
// fails at once with ErrInUse if another process holds it, and with an
// error wrapping os.ErrNotExist if the file does not exist. Close the file
// to release the lock.
func Lock(path string) (*os.File, error) {
	f, err := os.Open(path) // flock needs no write access
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close() // nothing was locked
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%s: %w", path, ErrInUse)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return f, nil
}
