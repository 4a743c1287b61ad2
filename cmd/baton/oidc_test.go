package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/baton-sched/baton/internal/auth/oidc"
	"github.com/baton-sched/baton/internal/config"
)

// TestOIDCLoginFromConfig: no section, no login; the client secret is read
// from its file; a missing file is an error naming the key.
func TestOIDCLoginFromConfig(t *testing.T) {
	if l, err := oidcLogin(config.Config{}); l != nil || err != nil {
		t.Fatalf("no oidc section: %v, %v", l, err)
	}
	secret := filepath.Join(t.TempDir(), "oidc-secret")
	if err := os.WriteFile(secret, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := config.Config{OIDC: oidc.Config{Issuer: "https://id.example.com", ClientID: "baton",
		ClientSecretFile: secret, RedirectURL: "https://baton.example.com/login/oidc/callback", DefaultRole: "viewer"}}
	if l, err := oidcLogin(cfg); l == nil || err != nil {
		t.Fatalf("oidc section: %v, %v", l, err)
	}
	cfg.OIDC.ClientSecretFile = secret + ".missing"
	if _, err := oidcLogin(cfg); err == nil || !strings.Contains(err.Error(), "oidc.client_secret_file") {
		t.Fatalf("missing secret file: %v", err)
	}
}
