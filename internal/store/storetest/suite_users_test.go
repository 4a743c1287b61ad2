package storetest

import (
	"testing"

	"github.com/baton-sched/baton/internal/store"
)

func TestUsersCreateChangeDelete(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		insert := func(nu store.NewUser) (store.User, error) {
			var out store.User
			err := txErr(t, s, func(tx store.Tx) (err error) {
				out, err = tx.Users().Insert(ctx, nu)
				return err
			})
			return out, err
		}
		alice, err := insert(store.NewUser{Name: "alice", Role: "operator", PasswordHash: "$h1", CreatedBy: "token:root"})
		if err != nil || alice.ID == 0 || alice.CreatedAt <= 0 || alice.UpdatedAt != alice.CreatedAt ||
			alice.Role != "operator" || alice.PasswordHash != "$h1" || alice.DisabledAt != 0 || alice.CreatedBy != "token:root" {
			t.Fatalf("insert: %+v %v", alice, err)
		}
		_, err = insert(store.NewUser{Name: "alice", Role: "admin", PasswordHash: "$h2"})
		wantErr(t, "same name", err, store.ErrConflict)
		if _, err := insert(store.NewUser{Name: "bob", Role: "viewer", PasswordHash: "$h3"}); err != nil {
			t.Fatal(err)
		}
		if got := read(t, s, func(tx store.Tx) (store.User, error) { return tx.Users().ByName(ctx, "alice") }); got != alice {
			t.Errorf("by name %+v, want %+v", got, alice)
		}
		_, err = readErr(s, func(tx store.Tx) (store.User, error) { return tx.Users().ByName(ctx, "carol") })
		wantErr(t, "unknown user", err, store.ErrNotFound)
		list := read(t, s, func(tx store.Tx) ([]store.User, error) { return tx.Users().List(ctx) })
		if len(list) != 2 || list[0].Name != "alice" || list[1].Name != "bob" {
			t.Errorf("list: %+v", list)
		}

		wantOK(t, "set password", get(t, s, func(tx store.Tx) (bool, error) { return tx.Users().SetPassword(ctx, "alice", "$h4") }), true)
		wantOK(t, "set role", get(t, s, func(tx store.Tx) (bool, error) { return tx.Users().SetRole(ctx, "alice", "editor") }), true)
		wantOK(t, "disable", get(t, s, func(tx store.Tx) (bool, error) { return tx.Users().Disable(ctx, "alice") }), true)
		wantOK(t, "disable again", get(t, s, func(tx store.Tx) (bool, error) { return tx.Users().Disable(ctx, "alice") }), false)
		got := read(t, s, func(tx store.Tx) (store.User, error) { return tx.Users().ByName(ctx, "alice") })
		if got.PasswordHash != "$h4" || got.Role != "editor" || got.DisabledAt <= 0 || got.UpdatedAt < alice.UpdatedAt {
			t.Errorf("after changes: %+v", got)
		}
		wantOK(t, "enable", get(t, s, func(tx store.Tx) (bool, error) { return tx.Users().Enable(ctx, "alice") }), true)
		wantOK(t, "enable again", get(t, s, func(tx store.Tx) (bool, error) { return tx.Users().Enable(ctx, "alice") }), false)
		for what, fn := range map[string]func(tx store.Tx) (bool, error){
			"password of nobody": func(tx store.Tx) (bool, error) { return tx.Users().SetPassword(ctx, "carol", "$x") },
			"role of nobody":     func(tx store.Tx) (bool, error) { return tx.Users().SetRole(ctx, "carol", "admin") },
			"delete nobody":      func(tx store.Tx) (bool, error) { return tx.Users().Delete(ctx, "carol") },
		} {
			wantOK(t, what, get(t, s, fn), false)
		}
		wantOK(t, "delete", get(t, s, func(tx store.Tx) (bool, error) { return tx.Users().Delete(ctx, "alice") }), true)
		_, err = readErr(s, func(tx store.Tx) (store.User, error) { return tx.Users().ByName(ctx, "alice") })
		wantErr(t, "deleted user", err, store.ErrNotFound)
		// The name is free again.
		if _, err := insert(store.NewUser{Name: "alice", Role: "viewer", PasswordHash: "$h5"}); err != nil {
			t.Errorf("re-create after delete: %v", err)
		}
	})
}

func TestSessionsAreRevokedBySubjectAndHash(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		for _, nt := range []store.NewToken{
			{Name: "session:user:alice:1", Kind: store.TokenSession, Hash: "s1", Role: "viewer", Scope: "*", Subject: "user:alice"},
			{Name: "session:user:alice:2", Kind: store.TokenSession, Hash: "s2", Role: "viewer", Scope: "*", Subject: "user:alice"},
			{Name: "session:user:bob:3", Kind: store.TokenSession, Hash: "s3", Role: "admin", Scope: "*", Subject: "user:bob"},
			{Name: "api", Kind: store.TokenAPI, Hash: "a1", Role: "admin", Scope: "*"},
		} {
			do(t, s, func(tx store.Tx) error { _, err := tx.Tokens().Insert(ctx, nt); return err })
		}
		if tok := read(t, s, func(tx store.Tx) (store.Token, error) { return tx.Tokens().ByHash(ctx, "s1") }); tok.Subject != "user:alice" || tok.Kind != store.TokenSession {
			t.Errorf("session read back: %+v", tok)
		}
		list := read(t, s, func(tx store.Tx) ([]store.Token, error) { return tx.Tokens().List(ctx) })
		n := read(t, s, func(tx store.Tx) (int64, error) { return tx.Tokens().Count(ctx) })
		if len(list) != 1 || list[0].Name != "api" || n != 1 {
			t.Errorf("sessions are listed or counted as tokens: %+v, %d", list, n)
		}
		if n := get(t, s, func(tx store.Tx) (int64, error) { return tx.Tokens().RevokeSessions(ctx, "user:alice") }); n != 2 {
			t.Errorf("revoked %d sessions of alice, want 2", n)
		}
		wantOK(t, "logout of bob", get(t, s, func(tx store.Tx) (bool, error) { return tx.Tokens().RevokeSession(ctx, "s3") }), true)
		wantOK(t, "logout again", get(t, s, func(tx store.Tx) (bool, error) { return tx.Tokens().RevokeSession(ctx, "s3") }), false)
		wantOK(t, "logout with an API token", get(t, s, func(tx store.Tx) (bool, error) { return tx.Tokens().RevokeSession(ctx, "a1") }), false)
		if tok := read(t, s, func(tx store.Tx) (store.Token, error) { return tx.Tokens().ByHash(ctx, "a1") }); tok.RevokedAt != 0 {
			t.Errorf("an API token was revoked as a session: %+v", tok)
		}
	})
}

func TestEndedSessionsAreDeleted(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		now := read(t, s, func(tx store.Tx) (int64, error) { return tx.Schedules().Now(ctx) })
		for _, nt := range []store.NewToken{
			{Name: "session:old", Kind: store.TokenSession, Hash: "o1", Role: "viewer", Subject: "user:a", ExpiresAt: now - 2*3600000},
			{Name: "session:recent", Kind: store.TokenSession, Hash: "r1", Role: "viewer", Subject: "user:a", ExpiresAt: now - 60000},
			{Name: "session:live", Kind: store.TokenSession, Hash: "l1", Role: "viewer", Subject: "user:b", ExpiresAt: now + 3600000},
			{Name: "expired-api", Kind: store.TokenAPI, Hash: "e1", Role: "viewer", ExpiresAt: now - 2*3600000},
		} {
			do(t, s, func(tx store.Tx) error { _, err := tx.Tokens().Insert(ctx, nt); return err })
		}
		if n := get(t, s, func(tx store.Tx) (int64, error) { return tx.Tokens().DeleteEndedSessions(ctx) }); n != 1 {
			t.Errorf("deleted %d sessions, want 1 (expired over an hour ago)", n)
		}
		for _, h := range []string{"r1", "l1", "e1"} {
			if _, err := readErr(s, func(tx store.Tx) (store.Token, error) { return tx.Tokens().ByHash(ctx, h) }); err != nil {
				t.Errorf("token %s: %v", h, err)
			}
		}
		_, err := readErr(s, func(tx store.Tx) (store.Token, error) { return tx.Tokens().ByHash(ctx, "o1") })
		wantErr(t, "old session", err, store.ErrNotFound)
	})
}
