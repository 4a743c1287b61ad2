package storetest

import (
	stdctx "context"
	"errors"
	"testing"

	"github.com/baton-sched/baton/internal/store"
)

func TestTokensInsertLookUpRevoke(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		insert := func(nt store.NewToken) (store.Token, error) {
			var out store.Token
			err := s.InTx(ctx, func(tx store.Tx) error {
				var err error
				out, err = tx.Tokens().Insert(ctx, nt)
				return err
			})
			return out, err
		}
		ci, err := insert(store.NewToken{Name: "ci", Kind: store.TokenAPI, Hash: "h1", Role: "operator", Scope: "*",
			ExpiresAt: 123, CreatedBy: "token:root"})
		if err != nil || ci.ID == 0 || ci.CreatedAt <= 0 || ci.Role != "operator" || ci.ExpiresAt != 123 ||
			ci.RevokedAt != 0 || ci.LastUsedAt != 0 || ci.CreatedBy != "token:root" {
			t.Fatalf("insert: %+v %v", ci, err)
		}
		if _, err := insert(store.NewToken{Name: "ci", Kind: store.TokenAPI, Hash: "h2", Role: "viewer"}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("same name: %v, want ErrConflict", err)
		}
		if _, err := insert(store.NewToken{Name: "other", Kind: store.TokenAPI, Hash: "h1", Role: "viewer"}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("same hash: %v, want ErrConflict", err)
		}
		join, err := insert(store.NewToken{Name: "join-a", Kind: store.TokenJoin, Hash: "h3", Role: "worker",
			Scope: "*", Zones: "a,b", WorkerGroups: "gpu"})
		if err != nil || join.Zones != "a,b" || join.WorkerGroups != "gpu" {
			t.Fatalf("join token: %+v %v", join, err)
		}
		for i, h := range []string{"h4", "h5"} {
			if _, err := insert(store.NewToken{Name: "worker:w-1:" + h, Kind: store.TokenWorker, Hash: h, Role: "worker",
				Scope: "*", WorkerID: "w-1"}); err != nil {
				t.Fatalf("credential %d: %v", i, err)
			}
		}
		got := read(t, s, func(tx store.Tx) (store.Token, error) { return tx.Tokens().ByHash(ctx, "h1") })
		if got != ci {
			t.Errorf("by hash %+v, want %+v", got, ci)
		}
		if _, err := readErr(s, func(tx store.Tx) (store.Token, error) { return tx.Tokens().ByHash(ctx, "nope") }); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown hash: %v, want ErrNotFound", err)
		}
		list := read(t, s, func(tx store.Tx) ([]store.Token, error) { return tx.Tokens().List(ctx) })
		n := read(t, s, func(tx store.Tx) (int64, error) { return tx.Tokens().Count(ctx) })
		if len(list) != 2 || list[0].Name != "ci" || list[1].Name != "join-a" || n != 2 {
			t.Errorf("list (worker credentials left out): %+v, count %d", list, n)
		}
		first := get(t, s, func(tx store.Tx) (bool, error) { return tx.Tokens().Touch(ctx, ci.ID) })
		second := get(t, s, func(tx store.Tx) (bool, error) { return tx.Tokens().Touch(ctx, ci.ID) })
		if !first || second {
			t.Errorf("touch twice in a minute wrote %v then %v, want true then false", first, second)
		}
		if used := read(t, s, func(tx store.Tx) (store.Token, error) { return tx.Tokens().ByName(ctx, "ci") }); used.LastUsedAt <= 0 {
			t.Errorf("last used not recorded: %+v", used)
		}
		revoked := get(t, s, func(tx store.Tx) (bool, error) { return tx.Tokens().Revoke(ctx, "ci") })
		again := get(t, s, func(tx store.Tx) (bool, error) { return tx.Tokens().Revoke(ctx, "ci") })
		missing := get(t, s, func(tx store.Tx) (bool, error) { return tx.Tokens().Revoke(ctx, "nope") })
		if !revoked || again || missing {
			t.Errorf("revoke %v, again %v, unknown %v", revoked, again, missing)
		}
		if r := read(t, s, func(tx store.Tx) (store.Token, error) { return tx.Tokens().ByHash(ctx, "h1") }); r.RevokedAt <= 0 {
			t.Errorf("revoked token %+v has no revoked_at", r)
		}
		nw := get(t, s, func(tx store.Tx) (int64, error) { return tx.Tokens().RevokeWorker(ctx, "w-1") })
		if nw != 2 {
			t.Errorf("revoked %d credentials of w-1, want 2", nw)
		}
	})
}

func readErr[T any](s store.Store, fn func(store.Tx) (T, error)) (T, error) {
	var out T
	err := s.Read(stdctx.Background(), func(tx store.Tx) error {
		var err error
		out, err = fn(tx)
		return err
	})
	return out, err
}
