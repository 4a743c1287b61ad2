package server

import (
	"testing"

	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/storetest"
)

// The probe's refresh records the server when it has no row yet, and
// brings the row back when it was deleted (the database restored, or
// the server cut off for a day).
func TestRegistryTouchRecreates(t *testing.T) {
	st := storetest.OpenSQLite(t)
	ctx := t.Context()
	r := &registry{self: store.NewServer{ID: "s1", Address: "h:1", Zone: "z", Version: "v"}}
	touch := func(ready bool) {
		t.Helper()
		if err := st.InTx(ctx, func(tx store.Tx) error { return r.touch(ctx, tx, ready) }); err != nil {
			t.Fatal(err)
		}
	}
	list := func() []store.Server {
		t.Helper()
		var out []store.Server
		if err := st.Read(ctx, func(tx store.Tx) (err error) { out, _, err = tx.Servers().List(ctx); return err }); err != nil {
			t.Fatal(err)
		}
		return out
	}
	touch(true)
	if got := list(); len(got) != 1 || got[0].ID != "s1" || !got[0].Ready {
		t.Fatalf("after the first touch: %+v", got)
	}
	if err := st.InTx(ctx, func(tx store.Tx) error {
		_, err := tx.Servers().DeleteStale(ctx, -3_600_000)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for range registryTouchProbes - 1 {
		touch(false) // not due: no write
	}
	if got := list(); len(got) != 0 {
		t.Fatalf("touches between refreshes wrote: %+v", got)
	}
	touch(false)
	if got := list(); len(got) != 1 || got[0].Ready {
		t.Fatalf("the due touch did not bring the row back, not ready: %+v", got)
	}
}
