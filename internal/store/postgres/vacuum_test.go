package postgres_test

import (
	"context"
	"testing"

	"github.com/baton-sched/baton/internal/store/storetest"
)

// Vacuum runs without the session's statement timeout and leaves the
// connection with it restored.
func TestVacuumRestoresStatementTimeout(t *testing.T) {
	ctx := context.Background()
	s := storetest.OpenPostgres(t)
	if err := s.Vacuum(ctx); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		var v string
		if err := s.Pool().QueryRow(ctx, "SHOW statement_timeout").Scan(&v); err != nil {
			t.Fatal(err)
		}
		if v != "30s" {
			t.Errorf("statement_timeout %q, want 30s", v)
		}
	}
}
