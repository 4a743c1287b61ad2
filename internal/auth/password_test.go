package auth

import (
	"errors"
	"strings"
	"testing"
)

func TestPasswordHashRoundTrip(t *testing.T) {
	const pw = "correct horse battery staple"
	h, err := HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Contains(h, pw) {
		t.Fatalf("hash %q: want a PHC argon2id string with the documented parameters", h)
	}
	if ok, err := VerifyPassword(pw, h); !ok || err != nil {
		t.Errorf("right password: %v %v", ok, err)
	}
	for _, wrong := range []string{"correct horse battery stapl", "Correct horse battery staple", "", pw + " "} {
		if ok, err := VerifyPassword(wrong, h); ok || err != nil {
			t.Errorf("wrong password %q: %v %v", wrong, ok, err)
		}
	}
	// A new salt every time: the same password never hashes the same.
	if h2, _ := HashPassword(pw); h2 == h {
		t.Error("two hashes of one password are equal: no salt")
	}
}

func TestPasswordHashKeepsItsOwnParameters(t *testing.T) {
	old := PasswordParams
	PasswordParams = Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	h, err := HashPassword("an older cheaper hash")
	PasswordParams = old
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(h, "$m=64,t=1,p=1$") {
		t.Fatalf("hash %q does not carry its parameters", h)
	}
	if ok, err := VerifyPassword("an older cheaper hash", h); !ok || err != nil {
		t.Errorf("a hash made with other parameters no longer verifies: %v %v", ok, err)
	}
}

func TestPasswordLengthIsBounded(t *testing.T) {
	for pw, want := range map[string]string{
		"short":                   "at least 12 characters, got 5",
		"ééééééééééé":             "at least 12 characters, got 11", // characters, not bytes
		strings.Repeat("x", 1025): "at most 1024 bytes, got 1025",
	} {
		if _, err := HashPassword(pw); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("HashPassword(%.20q): %v, want %q", pw, err, want)
		}
	}
	if err := CheckPassword(strings.Repeat("x", 1024)); err != nil {
		t.Errorf("1024 bytes: %v", err)
	}
}

func TestVerifyRefusesMalformedHashes(t *testing.T) {
	for _, h := range []string{"", "plain", "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5", // 4 GiB: refused, not computed
		"$argon2id$v=18$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5"} {
		if ok, err := VerifyPassword("whatever password", h); ok || !errors.Is(err, ErrPasswordHash) {
			t.Errorf("VerifyPassword(%q): %v %v, want ErrPasswordHash", h, ok, err)
		}
	}
}

func TestCheckUserName(t *testing.T) {
	for _, ok := range []string{"alice", "a.b-c_d@example.org"} {
		if err := CheckUserName(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "al ice", "user:alice", strings.Repeat("a", 65), "<b>"} {
		if err := CheckUserName(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
