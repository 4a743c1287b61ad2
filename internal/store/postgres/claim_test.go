package postgres_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/storetest"
)

// A claim turns two planner settings off for its one statement and then
// gives back the values they had in its transaction, whatever they were.
func TestCandidatesGiveThePlannerSettingsBack(t *testing.T) {
	ctx := context.Background()
	s := storetest.OpenPostgres(t)
	show := func(tx pgx.Tx, name string) string {
		var v string
		if err := tx.QueryRow(ctx, "SELECT current_setting($1)", name).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	err := s.InPgTx(ctx, func(pgTx pgx.Tx, tx store.Tx) error {
		// A value the session does not have by default, set for this transaction.
		if _, err := pgTx.Exec(ctx, "SELECT set_config('enable_seqscan', 'off', true)"); err != nil {
			return err
		}
		if _, err := tx.Tasks().Candidates(ctx, store.CandidateFilter{Group: "default", Zone: "z1",
			WorkerLabels: "{}", Limit: 10}); err != nil {
			return err
		}
		if got := show(pgTx, "enable_seqscan"); got != "off" {
			t.Errorf("enable_seqscan %q after the claim, want off as before it", got)
		}
		if got := show(pgTx, "enable_bitmapscan"); got != "on" {
			t.Errorf("enable_bitmapscan %q after the claim, want on as before it", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
