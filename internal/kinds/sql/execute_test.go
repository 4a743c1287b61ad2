package sql

import (
	"strings"
	"testing"

	"github.com/baton-sched/baton/internal/worker/sqlexec"
)

// Rows that would make a large output are dropped from the end.
func TestSQLOutputsBounded(t *testing.T) {
	res := sqlexec.Result{Columns: []string{"v"}}
	for range 100 {
		res.Rows = append(res.Rows, []string{strings.Repeat("x", 2000)})
	}
	out := outputs(res)
	if len(out["rows"]) > maxRowsJSON || out["truncated"] != "true" || out["row_count"] == "100" {
		t.Errorf("rows output of %d bytes, row_count %s, truncated %s", len(out["rows"]), out["row_count"], out["truncated"])
	}
}
