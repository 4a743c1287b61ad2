package storetest

import (
	"testing"

	"github.com/baton-sched/baton/internal/store"
)

func TestServers(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		list := func() ([]store.Server, int64) {
			t.Helper()
			var out []store.Server
			var now int64
			do(t, s, func(tx store.Tx) (err error) {
				out, now, err = tx.Servers().List(ctx)
				return err
			})
			return out, now
		}
		if got, now := list(); len(got) != 0 || now <= 0 {
			t.Fatalf("a fresh store lists %+v, now %d; want none and the database's time", got, now)
		}
		a := get(t, s, func(tx store.Tx) (store.Server, error) {
			return tx.Servers().Upsert(ctx, store.NewServer{ID: "s-a", Address: "10.0.0.1:8420", Zone: "z2", Version: "v1"})
		})
		if a.ID != "s-a" || a.Zone != "z2" || a.Version != "v1" || !a.Ready || a.StartedAt <= 0 || a.LastSeenAt < a.StartedAt {
			t.Errorf("Upsert returned %+v", a)
		}
		get(t, s, func(tx store.Tx) (store.Server, error) {
			return tx.Servers().Upsert(ctx, store.NewServer{ID: "s-b", Address: "10.0.0.2:8420", Zone: "z1", Version: "v1"})
		})
		// A restart under the same ID keeps the first start, takes the new
		// version.
		again := get(t, s, func(tx store.Tx) (store.Server, error) {
			return tx.Servers().Upsert(ctx, store.NewServer{ID: "s-a", Address: "10.0.0.1:8420", Zone: "z2", Version: "v2"})
		})
		if again.Version != "v2" || again.StartedAt != a.StartedAt {
			t.Errorf("second Upsert returned %+v, want v2 and the first start %d", again, a.StartedAt)
		}
		ok := get(t, s, func(tx store.Tx) (bool, error) { return tx.Servers().Touch(ctx, "s-b", false) })
		wantOK(t, "Touch(s-b)", ok, true)
		ok = get(t, s, func(tx store.Tx) (bool, error) { return tx.Servers().Touch(ctx, "nobody", true) })
		wantOK(t, "Touch(nobody)", ok, false)
		got, now := list()
		if len(got) != 2 || got[0].ID != "s-b" || got[1].ID != "s-a" {
			t.Fatalf("List = %+v, want s-b (zone z1) then s-a (z2)", got)
		}
		if got[0].Ready || !got[1].Ready || now < got[0].LastSeenAt {
			t.Errorf("List = %+v at %d: want s-b not ready, s-a ready, seen before now", got, now)
		}
		n := get(t, s, func(tx store.Tx) (int64, error) { return tx.Servers().DeleteStale(ctx, 3_600_000) })
		if n != 0 {
			t.Errorf("DeleteStale(1h) deleted %d fresh servers", n)
		}
		n = get(t, s, func(tx store.Tx) (int64, error) { return tx.Servers().DeleteStale(ctx, -3_600_000) })
		if n != 2 {
			t.Errorf("DeleteStale(-1h) deleted %d servers, want both", n)
		}
		if got, _ := list(); len(got) != 0 {
			t.Errorf("after DeleteStale: %+v", got)
		}
	})
}
