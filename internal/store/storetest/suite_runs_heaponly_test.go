package storetest

import (
	"testing"

	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/postgres"
)

// A run's finishing update (its state and finish time) writes no index
// entry: no index of runs names either column, so PostgreSQL keeps the
// update heap-only (migration 00023). Before, runs_retention named the
// finish time and runs_succeeded the state, and every finish wrote an
// entry in each index of runs.
func TestRunsFinishHeapOnly(t *testing.T) {
	t.Parallel()
	s := OpenPostgres(t)
	wf := onVersion(newWorkflow(t, s, "hot"))
	const n = 20
	deltas := make([]store.RunDelta, n)
	for i := range deltas {
		deltas[i] = store.RunDelta{ID: newRun(t, s, wf).ID, Done: 1}
	}
	upd0, hot0 := runUpdates(t, s)
	ended := get(t, s, func(tx store.Tx) ([]store.RunProgress, error) {
		return tx.Runs().AddProgressMany(t.Context(), deltas)
	})
	for _, p := range ended {
		if p.State != store.RunSucceeded {
			t.Fatalf("run %d %s after its last task, want succeeded", p.ID, p.State)
		}
	}
	waitStats(t, "the finishing updates", func() bool {
		upd, _ := runUpdates(t, s)
		return upd >= upd0+n
	})
	if upd, hot := runUpdates(t, s); hot-hot0 != upd-upd0 {
		t.Errorf("%d of %d finishing updates of runs heap-only, want all", hot-hot0, upd-upd0)
	}
}

// runUpdates reads PostgreSQL's count of updates of runs and of those
// that were heap-only.
func runUpdates(t *testing.T, s *postgres.Store) (upd, hot int64) {
	t.Helper()
	return statPair(t, s, `SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'runs'`)
}
