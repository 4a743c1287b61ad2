package sqlite

import (
	"context"
	"fmt"
	"os"
)

// Backup writes a consistent snapshot of the database to path with
// VACUUM INTO: one read transaction, so writes go on meanwhile (WAL) and
// the copy is compacted. path must not exist; the file is made readable
// by its owner only.
func (s *Store) Backup(ctx context.Context, path string) error {
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("back up to %s: the file exists", path)
	}
	if _, err := s.read.ExecContext(ctx, "VACUUM INTO ?", path); err != nil {
		return fmt.Errorf("back up to %s: %w", path, mapErr(err))
	}
	if err := os.Chmod(path, 0o600); err != nil {
		return fmt.Errorf("back up to %s: %w", path, err)
	}
	return nil
}
