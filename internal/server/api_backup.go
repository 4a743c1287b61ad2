package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/baton-sched/baton/internal/store"
)

type backupInput struct {
}

// registerBackup registers the online backup of the embedded store.
func (s *Server) registerBackup(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "backup", Method: http.MethodPost, Path: "/api/v1/backup",
		Summary: "Stream a consistent snapshot of the embedded (SQLite) store",
		Description: "Writes a snapshot of the database as of one instant (VACUUM INTO a temporary file; the " +
			"server goes on serving meanwhile) and streams it as application/vnd.sqlite3. Start a server on the " +
			"file to restore it. 409 on PostgreSQL: back it up with pg_dump, or base backups and WAL archiving " +
			"for point-in-time recovery (docs/operations.md).",
		Tags: []string{"operations"},
		Responses: map[string]*huma.Response{"200": {Description: "The SQLite database file",
			Content: map[string]*huma.MediaType{"application/vnd.sqlite3": {}}}},
	}, func(ctx context.Context, in *backupInput) (*huma.StreamResponse, error) {
		b, ok := s.engine.Store().(store.Backuper)
		if !ok {
			return nil, huma.Error409Conflict(fmt.Sprintf("the %s store is not backed up through baton: use pg_dump "+
				"(or base backups with WAL archiving for point-in-time recovery); see docs/operations.md",
				s.engine.Store().Dialect()))
		}
		start := time.Now()
		dir, err := os.MkdirTemp("", "baton-backup-")
		if err != nil {
			return nil, s.apiError(ctx, fmt.Errorf("backup: %w", err))
		}
		path := filepath.Join(dir, "baton.db")
		f, size, err := snapshot(ctx, b, path)
		if err != nil {
			s.removeBackup(ctx, dir)
			return nil, s.apiError(ctx, err)
		}
		return &huma.StreamResponse{Body: func(hc huma.Context) {
			defer s.removeBackup(ctx, dir)
			defer f.Close()
			hc.SetHeader("Content-Type", "application/vnd.sqlite3")
			hc.SetHeader("Content-Length", strconv.FormatInt(size, 10))
			hc.SetHeader("Content-Disposition", `attachment; filename="baton.db"`)
			hc.SetStatus(http.StatusOK)
			n, err := io.Copy(hc.BodyWriter(), f)
			if err != nil {
				s.log.WarnContext(ctx, "backup not sent whole", "actor", actorOf(ctx), "bytes", n, "size", size, "err", err)
				return
			}
			s.log.InfoContext(ctx, "backup sent", "actor", actorOf(ctx), "bytes", n, "took", time.Since(start).Round(time.Millisecond))
		}}, nil
	})
}

// snapshot writes the store's snapshot to path and opens it.
func snapshot(ctx context.Context, b store.Backuper, path string) (*os.File, int64, error) {
	if err := b.Backup(ctx, path); err != nil {
		return nil, 0, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("backup: %w", err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("backup: %w", err)
	}
	return f, info.Size(), nil
}

// removeBackup deletes a snapshot's temporary directory.
func (s *Server) removeBackup(ctx context.Context, dir string) {
	if err := os.RemoveAll(dir); err != nil {
		s.log.WarnContext(ctx, "backup: temporary snapshot not removed", "dir", dir, "err", err)
	}
}
