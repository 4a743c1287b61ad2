package secrets

import (
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func ring(t *testing.T, keys ...string) *KeyRing {
	t.Helper()
	r, err := ParseKeys(strings.Join(keys, "\n"))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestRotation: a value sealed under the old key opens with a ring that
// has a new current key and the old one; once re-sealed it opens without
// the old key, and the old ring cannot open it.
func TestRotation(t *testing.T) {
	oldKey, newKey := NewKey(), NewKey()
	old := ring(t, oldKey)
	s, err := old.Seal("db", "hunter2")
	if err != nil || s.KeyID != old.Current() || strings.Contains(s.Ciphertext, "hunter2") {
		t.Fatalf("seal: %+v %v", s, err)
	}
	both := ring(t, newKey, oldKey)
	if v, err := both.Open("db", s); err != nil || v != "hunter2" {
		t.Fatalf("open with the old key as an older key: %q %v", v, err)
	}
	s2, err := both.Seal("db", "hunter2")
	if err != nil || s2.KeyID == s.KeyID || s2.KeyID != both.Current() {
		t.Fatalf("re-seal: %+v %v", s2, err)
	}
	onlyNew := ring(t, newKey)
	if v, err := onlyNew.Open("db", s2); err != nil || v != "hunter2" {
		t.Errorf("open the rotated value with the new key alone: %q %v", v, err)
	}
	if _, err := onlyNew.Open("db", s); !errors.Is(err, ErrNoKey) {
		t.Errorf("open an old value without the old key: %v, want ErrNoKey", err)
	}
	if _, err := old.Open("db", s2); !errors.Is(err, ErrNoKey) {
		t.Errorf("old ring opens the rotated value: %v", err)
	}
}

func TestOpenRefusesTamperingAndMovedValues(t *testing.T) {
	r := ring(t, NewKey())
	s, _ := r.Seal("a", "value")
	if _, err := r.Open("b", s); err == nil {
		t.Error("a value opened under another name")
	}
	ct, _ := base64.StdEncoding.DecodeString(s.Ciphertext)
	ct[0] ^= 1
	s.Ciphertext = base64.StdEncoding.EncodeToString(ct)
	if _, err := r.Open("a", s); err == nil {
		t.Error("a tampered value opened")
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	key := NewKey()
	path := filepath.Join(dir, "key")
	if err := os.WriteFile(path, []byte("# current first\n"+key+"\n"+NewKey()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := Load(path)
	raw, _ := base64.StdEncoding.DecodeString(key)
	if err != nil || r.Current() != KeyID(raw) || len(r.keys) != 2 {
		t.Fatalf("Load: %v %v", r, err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("a world-readable key file: %v", err)
	}
	t.Setenv("BATON_SECRET_KEY", key)
	if r, err := Load(""); err != nil || r.Current() != KeyID(raw) {
		t.Errorf("Load from the environment: %v %v", r, err)
	}
	t.Setenv("BATON_SECRET_KEY", "")
	if r, err := Load(""); err != nil || r != nil {
		t.Errorf("no key: %v %v", r, err)
	}
	for _, bad := range []string{"not base64!", base64.StdEncoding.EncodeToString([]byte("short"))} {
		if _, err := ParseKeys(bad); err == nil || strings.Contains(err.Error(), bad) {
			t.Errorf("ParseKeys(%q): %v, want an error that does not echo the key", bad, err)
		}
	}
}
