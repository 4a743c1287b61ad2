package server_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store/storetest"
)

func TestBackupRefusedOnPostgres(t *testing.T) {
	f := newFixture(t, storetest.OpenPostgres(t), engine.Config{})
	var buf bytes.Buffer
	err := f.c.Backup(f.ctx, &buf)
	var apiErr *client.Error
	if !errorsAs(err, &apiErr) || apiErr.Status != http.StatusConflict || !strings.Contains(apiErr.Detail, "pg_dump") {
		t.Errorf("backup on PostgreSQL: %v, want 409 pointing at pg_dump", err)
	}
	if buf.Len() != 0 {
		t.Errorf("backup on PostgreSQL wrote %d bytes", buf.Len())
	}
}

func TestBackupStreamsSQLite(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite(t), engine.Config{})
	if _, err := f.c.Apply(f.ctx, []client.SourceFile{{Filename: "hello.yaml", Content: hello}}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.c.Backup(f.ctx, &buf); err != nil {
		t.Fatalf("backup: %v", err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("SQLite format 3\x00")) || !bytes.Contains(buf.Bytes(), []byte("echo hello")) {
		t.Errorf("backup: %d bytes, not an SQLite database holding the definition", buf.Len())
	}
}
