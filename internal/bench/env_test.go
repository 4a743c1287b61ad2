package bench

import (
	"testing"

	"github.com/baton-sched/baton/internal/store/sqlite"
)

// TestSQLiteSynchronousSetting checks that the bench's embedded store runs
// with the mode asked for (FULL unless told otherwise), so a figure labelled
// with a mode was measured with it.
func TestSQLiteSynchronousSetting(t *testing.T) {
	for mode, want := range map[string]int{"": 2, "FULL": 2, "NORMAL": 1} {
		db, err := newDatabase(t.Context(), "sqlite", "", t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		st, err := openStore(t.Context(), db, Config{SQLiteSynchronous: mode})
		if err != nil {
			t.Fatalf("mode %q: %v", mode, err)
		}
		var got int
		if err := st.(*sqlite.Store).DB().QueryRowContext(t.Context(), "PRAGMA synchronous").Scan(&got); err != nil {
			t.Fatal(err)
		}
		_ = st.Close()
		if got != want {
			t.Errorf("mode %q: PRAGMA synchronous = %d, want %d", mode, got, want)
		}
	}
}
