package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

// sqliteHeader starts every SQLite database file.
var sqliteHeader = []byte("SQLite format 3\x00")

func newBackupCmd(g *globals) *cobra.Command {
	var to string
	cmd := &cobra.Command{
		Use:   "backup --to FILE",
		Short: "Save a consistent snapshot of the server's embedded (SQLite) store to FILE",
		Long: "Asks the server for a snapshot of its embedded store, taken as of one instant while it goes on\n" +
			"serving (SQLite VACUUM INTO), and writes it to FILE, readable by its owner only (it holds every\n" +
			"definition, run, log and the encrypted secrets). FILE must not exist. To restore, stop the\n" +
			"server and start it with FILE as its database (or copy FILE over the old one).\n" +
			"A server on PostgreSQL refuses: use pg_dump, or base backups with WAL archiving for\n" +
			"point-in-time recovery (docs/operations.md).",
		Example: "  baton backup --to /backups/baton-$(date +%F).db",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if to == "" {
				return errors.New("backup: name the file with --to FILE")
			}
			if _, err := os.Lstat(to); err == nil {
				return fmt.Errorf("backup: %s exists: name a new file", to)
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			partial := to + ".partial"
			f, err := os.OpenFile(partial, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				return fmt.Errorf("backup: %w", err)
			}
			n, err := writeBackup(cmd, c.Backup, f)
			if err != nil {
				os.Remove(partial)
				return err
			}
			if err := os.Rename(partial, to); err != nil {
				os.Remove(partial)
				return fmt.Errorf("backup: %w", err)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "backup written to %s (%.1f MiB)\n", to, float64(n)/(1<<20))
			return err
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "the file to write (must not exist)")
	return cmd
}

// writeBackup streams the snapshot into f, syncs and closes it, and checks
// that it is an SQLite database; it returns its size.
func writeBackup(cmd *cobra.Command, backup func(ctx context.Context, w io.Writer) error, f *os.File) (int64, error) {
	cw := &countingWriter{w: f}
	err := backup(cmd.Context(), cw)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	if !bytes.HasPrefix(cw.head, sqliteHeader) {
		return 0, fmt.Errorf("backup: the server sent %d bytes that are not an SQLite database", cw.n)
	}
	return cw.n, nil
}

// countingWriter counts what goes through and keeps its first bytes.
type countingWriter struct {
	w    io.Writer
	n    int64
	head []byte
}

func (c *countingWriter) Write(p []byte) (int, error) {
	if len(c.head) < len(sqliteHeader) {
		c.head = append(c.head, p[:min(len(p), len(sqliteHeader)-len(c.head))]...)
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
