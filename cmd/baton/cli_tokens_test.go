package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTokenCommands(t *testing.T) {
	f := newCLIFixture(t)
	r := f.mustRun("token", "create", "ci-deploy", "--role", "operator", "--expires", "90d")
	secret := strings.TrimSpace(r.stdout)
	if !strings.HasPrefix(secret, "baton_") || strings.Contains(secret, "\n") || !strings.Contains(r.stderr, "role operator") {
		t.Fatalf("token create printed %q and %q; want the secret alone on standard output", r.stdout, r.stderr)
	}
	list := f.mustRun("tokens").stdout
	if !strings.Contains(list, "ci-deploy") || strings.Contains(list, secret) || !strings.Contains(list, "operator") {
		t.Errorf("tokens:\n%s", list)
	}
	// The new token acts as itself.
	who := f.mustRun("whoami", "--token", secret).stdout
	if !strings.Contains(who, "token:ci-deploy (role operator: read, operate)") {
		t.Errorf("whoami: %q", who)
	}
	if r := f.run("apply", "x.yaml", "--token", secret); r.err == nil {
		t.Error("an operator token applied a definition")
	}
	f.mustRun("token", "revoke", "ci-deploy")
	if r := f.run("whoami", "--token", secret); r.err == nil || !strings.Contains(r.err.Error(), "revoked") {
		t.Errorf("whoami with a revoked token: %v %s", r.err, r.stdout)
	}
	if r := f.run("token", "create", "x", "--role", "viewer", "--expires", "soon"); r.err == nil {
		t.Error("--expires soon accepted")
	}
}

func TestLoginWritesCredentialsTheCLIUses(t *testing.T) {
	f := newCLIFixture(t)
	path := filepath.Join(t.TempDir(), "credentials.yaml")
	t.Setenv("BATON_CREDENTIALS", path)
	t.Setenv("BATON_TOKEN", "")
	t.Setenv("BATON_SERVER", "")
	root := newRoot()
	root.SetArgs([]string{"login", f.url, "--token", f.token, "--name", "test"})
	var out strings.Builder
	root.SetOut(&out)
	if err := root.Execute(); err != nil {
		t.Fatalf("login: %v", err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file: %v %v", st, err)
	}
	data, _ := os.ReadFile(path)
	if !strings.Contains(string(data), f.token) || !strings.Contains(string(data), f.url) {
		t.Errorf("credentials file:\n%s", data)
	}
	// Without --server or --token, the CLI uses the current context.
	root = newRoot()
	root.SetArgs([]string{"whoami"})
	out.Reset()
	root.SetOut(&out)
	if err := root.Execute(); err != nil || !strings.Contains(out.String(), "token:test") {
		t.Errorf("whoami from the credentials file: %q %v", out.String(), err)
	}
	root = newRoot()
	root.SetArgs([]string{"login", f.url, "--token", "baton_" + strings.Repeat("x", 43)})
	root.SetOut(&out)
	if err := root.Execute(); err == nil {
		t.Error("login with a wrong token succeeded")
	}
}

// The tokens baton dev writes are found for loopback servers only.
func TestDevTokensAreFoundForLoopbackOnly(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("BATON_DEV_DIR", dir)
	if err := os.WriteFile(filepath.Join(dir, devJoinTokenFile), []byte("baton_join\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, devAdminTokenFile), []byte("baton_admin\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		urls []string
		file string
		want string
	}{
		{[]string{"http://127.0.0.1:8420"}, devAdminTokenFile, "baton_admin"},
		{[]string{"http://localhost:8420,http://[::1]:8421"}, devJoinTokenFile, "baton_join"},
		{[]string{"https://s1.example:8420"}, devAdminTokenFile, ""},
		{[]string{"http://127.0.0.1:8420", "http://10.0.0.1:8420"}, devAdminTokenFile, ""},
	} {
		if got := devFileToken(tc.urls, tc.file); got != tc.want {
			t.Errorf("devFileToken(%v, %s) = %q, want %q", tc.urls, tc.file, got, tc.want)
		}
	}
}
