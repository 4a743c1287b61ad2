package storetest

import (
	"errors"
	"slices"
	"testing"

	"github.com/baton-sched/baton/internal/store"
)

func TestSecretsUpsertResealDelete(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		v1 := store.Secret{Name: "db", KeyID: "k1", Nonce: "n1", Ciphertext: "c1"}
		got := get(t, s, func(tx store.Tx) (store.Secret, error) { return tx.Secrets().Upsert(ctx, v1, "user:a") })
		if got.Name != "db" || got.CreatedBy != "user:a" || got.UpdatedBy != "user:a" || got.CreatedAt <= 0 {
			t.Fatalf("upsert: %+v", got)
		}
		v2 := store.Secret{Name: "db", KeyID: "k1", Nonce: "n2", Ciphertext: "c2"}
		got = get(t, s, func(tx store.Tx) (store.Secret, error) { return tx.Secrets().Upsert(ctx, v2, "user:b") })
		if got.Ciphertext != "c2" || got.CreatedBy != "user:a" || got.UpdatedBy != "user:b" {
			t.Fatalf("replace: %+v", got)
		}
		rotated := store.Secret{Name: "db", KeyID: "k2", Nonce: "n3", Ciphertext: "c3"}
		stale := get(t, s, func(tx store.Tx) (bool, error) { return tx.Secrets().Reseal(ctx, rotated, v1) })
		fresh := get(t, s, func(tx store.Tx) (bool, error) { return tx.Secrets().Reseal(ctx, rotated, v2) })
		if stale || !fresh {
			t.Errorf("reseal from a stale value %v, from the current one %v", stale, fresh)
		}
		do(t, s, func(tx store.Tx) error {
			_, err := tx.Secrets().Upsert(ctx, store.Secret{Name: "api", KeyID: "k2", Nonce: "n", Ciphertext: "c"}, "x")
			return err
		})
		list := read(t, s, func(tx store.Tx) ([]store.Secret, error) { return tx.Secrets().List(ctx) })
		if len(list) != 2 || list[0].Name != "api" || list[1].KeyID != "k2" || list[1].Ciphertext != "c3" {
			t.Errorf("list: %+v", list)
		}
		gone := get(t, s, func(tx store.Tx) (bool, error) { return tx.Secrets().Delete(ctx, "db") })
		again := get(t, s, func(tx store.Tx) (bool, error) { return tx.Secrets().Delete(ctx, "db") })
		if !gone || again {
			t.Errorf("delete: %v then %v", gone, again)
		}
		err := s.Read(ctx, func(tx store.Tx) error { _, err := tx.Secrets().Get(ctx, "db"); return err })
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("get a deleted secret: %v", err)
		}
	})
}

func TestLogRangesAndStats(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		var cs []store.NewLogChunk
		for seq := int64(1); seq <= 6; seq++ {
			cs = append(cs, store.NewLogChunk{AttemptID: 9, Seq: seq, Stream: "stdout", Data: "abc", Size: 3 * seq})
		}
		do(t, s, func(tx store.Tx) error { return tx.Logs().Insert(ctx, cs) })
		sizes := read(t, s, func(tx store.Tx) ([]store.LogSize, error) { return tx.Logs().Sizes(ctx, 9, 2, 3) })
		if !slices.Equal(sizes, []store.LogSize{{Seq: 3, Size: 9}, {Seq: 4, Size: 12}, {Seq: 5, Size: 15}}) {
			t.Errorf("sizes: %v", sizes)
		}
		r := read(t, s, func(tx store.Tx) ([]store.LogChunk, error) { return tx.Logs().Range(ctx, 9, 1, 3) })
		if len(r) != 2 || r[0].Seq != 2 || r[1].Seq != 3 || r[1].Size != 9 {
			t.Errorf("range: %+v", r)
		}
		do(t, s, func(tx store.Tx) error { return tx.Logs().Delete(ctx, 9, 2, 4) })
		stored := read(t, s, func(tx store.Tx) ([]int64, error) { return tx.Logs().Stored(ctx, 9, 1, 10) })
		if !slices.Equal(stored, []int64{1, 5, 6}) {
			t.Errorf("stored after delete: %v", stored)
		}
		st := read(t, s, func(tx store.Tx) (store.LogStats, error) { return tx.Logs().Stats(ctx, 9) })
		if st != (store.LogStats{AttemptID: 9}) {
			t.Errorf("stats of none: %+v", st)
		}
		want := store.LogStats{AttemptID: 9, HeadBytes: 1, HeadSeq: 2, TailBytes: 3, TailFrom: 4, LastSeq: 5, Dropped: 6}
		do(t, s, func(tx store.Tx) error { return tx.Logs().PutStats(ctx, want) })
		want.Dropped = 7
		do(t, s, func(tx store.Tx) error { return tx.Logs().PutStats(ctx, want) })
		if st := read(t, s, func(tx store.Tx) (store.LogStats, error) { return tx.Logs().Stats(ctx, 9) }); st != want {
			t.Errorf("stats: %+v, want %+v", st, want)
		}
	})
}
