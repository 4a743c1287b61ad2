package auth

import (
	"strings"
	"testing"
)

func TestRolesGrantTheirPermissions(t *testing.T) {
	want := map[Role][]Permission{
		RoleViewer:   {Read},
		RoleOperator: {Read, Operate},
		RoleEditor:   {Read, Operate, Edit},
		RoleAdmin:    {Read, Operate, Edit, Admin},
		RoleWorker:   {Worker},
	}
	all := []Permission{Read, Operate, Edit, Admin, Worker}
	for role, perms := range want {
		for _, p := range all {
			has := false
			for _, q := range perms {
				has = has || q == p
			}
			if role.Allows(p) != has {
				t.Errorf("%s allows %s = %v, want %v", role, p, role.Allows(p), has)
			}
		}
		if !role.Allows(Authenticated) || !role.Allows(Anonymous) {
			t.Errorf("%s must allow authenticated and anonymous operations", role)
		}
	}
	if Role("root").Allows(Authenticated) || Role("").Allows(Read) {
		t.Error("an unknown role allows something")
	}
	if _, err := ParseRole("root"); err == nil {
		t.Error("ParseRole(root) succeeded")
	}
}

func TestSecrets(t *testing.T) {
	s1, h1 := NewSecret()
	s2, h2 := NewSecret()
	if s1 == s2 || h1 == h2 {
		t.Fatal("two secrets are equal")
	}
	if !strings.HasPrefix(s1, SecretPrefix) || len(s1) != 49 || !WellFormed(s1) || WellFormed(s1+" ") ||
		WellFormed("baton_short") || !WellFormed("q7Zr0cJvXb+8mT1f4Kd2PzLwS9yEaH5nUoV3iGx6BQc=") {
		t.Errorf("secret %q: prefix or well-formedness wrong", s1)
	}
	if !Matches(s1, h1) || Matches(s2, h1) || strings.Contains(h1, s1) {
		t.Error("hash comparison wrong")
	}
	if p := (Principal{Kind: KindToken, Name: "ci-deploy"}); p.Actor() != "token:ci-deploy" {
		t.Errorf("actor %q", p.Actor())
	}
	for _, bad := range []string{"", "a b", "x/y", strings.Repeat("a", 65)} {
		if CheckName(bad) == nil {
			t.Errorf("name %q accepted", bad)
		}
	}
}
