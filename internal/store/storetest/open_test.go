package storetest

import (
	"context"
	"testing"

	"github.com/baton-sched/baton/internal/store"
)

func TestOpenMigratesBothDialects(t *testing.T) {
	ForEach(t, func(t *testing.T, s store.Store) {
		err := s.Read(context.Background(), func(tx store.Tx) error {
			_, err := tx.Workflows().List(context.Background(), "", 10)
			return err
		})
		if err != nil {
			t.Fatalf("list workflows on a fresh %s store: %v", s.Dialect(), err)
		}
	})
}
