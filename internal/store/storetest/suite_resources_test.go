package storetest

import (
	"bytes"
	"errors"
	"testing"

	"github.com/baton-sched/baton/internal/store"
)

func TestResourcesVersionsDedupPins(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		content := []byte("tar bytes \x00\x01\xff")
		stored := get(t, s, func(tx store.Tx) (bool, error) { return tx.Resources().PutBlob(ctx, "aa11", content) })
		again := get(t, s, func(tx store.Tx) (bool, error) { return tx.Resources().PutBlob(ctx, "aa11", content) })
		if !stored || again {
			t.Errorf("put blob: stored %v, then again %v (want true, false: deduplicated)", stored, again)
		}
		blob := read(t, s, func(tx store.Tx) ([]byte, error) { return tx.Resources().Blob(ctx, "aa11") })
		if !bytes.Equal(blob, content) {
			t.Errorf("blob %q, want %q", blob, content)
		}
		put := func(name, sha string) store.Resource {
			return get(t, s, func(tx store.Tx) (store.Resource, error) {
				return tx.Resources().Insert(ctx, store.NewResource{Name: name, Sha256: sha, Kind: "dir", Size: 17,
					Files: 2, CreatedBy: "user:ed"})
			})
		}
		v1 := put("tools", "aa11")
		v2 := put("tools", "aa11") // same content, new version, one blob
		other := put("config", "aa11")
		if v1.Version != 1 || v2.Version != 2 || other.Version != 1 || v1.CreatedAt <= 0 || v1.CreatedBy != "user:ed" {
			t.Fatalf("versions %+v %+v %+v", v1, v2, other)
		}
		latest := read(t, s, func(tx store.Tx) (store.Resource, error) { return tx.Resources().Latest(ctx, "tools") })
		if latest != v2 {
			t.Errorf("latest %+v, want %+v", latest, v2)
		}
		err := s.Read(ctx, func(tx store.Tx) error { _, err := tx.Resources().Latest(ctx, "nope"); return err })
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("latest of an unknown resource: %v", err)
		}
		err = s.Read(ctx, func(tx store.Tx) error { _, err := tx.Resources().Get(ctx, "tools", 3); return err })
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown version: %v", err)
		}
		err = s.Read(ctx, func(tx store.Tx) error { _, err := tx.Resources().Blob(ctx, "bb22"); return err })
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown blob: %v", err)
		}
		err = s.InTx(ctx, func(tx store.Tx) error {
			_, err := tx.Resources().Insert(ctx, store.NewResource{Name: "x", Sha256: "cc33", Kind: "file"})
			return err
		})
		if err == nil {
			t.Error("a version whose blob is not stored was inserted")
		}
		vs := read(t, s, func(tx store.Tx) ([]store.Resource, error) { return tx.Resources().Versions(ctx, "tools") })
		if len(vs) != 2 || vs[0].Version != 2 {
			t.Errorf("versions %+v, want 2 then 1", vs)
		}
		all := read(t, s, func(tx store.Tx) ([]store.Resource, error) { return tx.Resources().List(ctx) })
		if len(all) != 3 || all[0].Name != "config" || all[1].Version != 2 {
			t.Errorf("list %+v", all)
		}
		do(t, s, func(tx store.Tx) error {
			return tx.Resources().Pin(ctx, 42, []store.ResourcePin{{Name: "tools", Version: 1}, {Name: "config", Version: 1}})
		})
		put("tools", "aa11") // a later put does not move the pin
		pinned := read(t, s, func(tx store.Tx) ([]store.Resource, error) { return tx.Resources().Pinned(ctx, 42) })
		if len(pinned) != 2 || pinned[0].Name != "config" || pinned[1] != v1 {
			t.Errorf("pinned %+v, want config@1 and tools@1", pinned)
		}
	})
}
