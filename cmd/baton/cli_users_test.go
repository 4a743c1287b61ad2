package main

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// runIn runs `baton --server URL --token T args...` with stdin as
// standard input (a pipe, not a terminal).
func (f *cliFixture) runIn(stdin string, args ...string) cliResult {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	root := newRoot()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetIn(strings.NewReader(stdin))
	root.SetArgs(append([]string{"--server", f.url, "--token", f.token}, args...))
	err := root.ExecuteContext(ctx)
	return cliResult{stdout: out.String(), stderr: errOut.String(), err: err}
}

func TestUserCommands(t *testing.T) {
	f := newCLIFixture(t)
	const pw = "a password from a pipe"
	r := f.runIn(pw+"\n", "user", "create", "alice", "--role", "operator")
	if r.err != nil || !strings.Contains(r.stdout, "user alice created (role operator)") {
		t.Fatalf("user create: %v %q %q", r.err, r.stdout, r.stderr)
	}
	list := f.mustRun("users").stdout
	if !strings.Contains(list, "alice") || !strings.Contains(list, "operator") || !strings.Contains(list, "token:test") ||
		strings.Contains(list, pw) || strings.Contains(list, "argon2") {
		t.Errorf("users:\n%s", list)
	}
	// The password came whole from the pipe (spaces kept, newline dropped):
	// alice logs in with it.
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.PostForm(f.url+"/login", url.Values{"username": {"alice"}, "password": {pw}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) != 1 {
		t.Errorf("login with the piped password: %d %v", resp.StatusCode, resp.Cookies())
	}
	if r := f.runIn("short\n", "user", "create", "bob", "--role", "viewer"); r.err == nil ||
		!strings.Contains(r.err.Error(), "at least 12 characters") {
		t.Errorf("short password: %v", r.err)
	}
	if r := f.runIn(pw, "user", "create", "bob", "--role", "worker"); r.err == nil || !strings.Contains(r.err.Error(), "--role") {
		t.Errorf("role worker: %v", r.err)
	}
	if r := f.runIn("", "user", "create", "bob", "--role", "viewer"); r.err == nil || !strings.Contains(r.err.Error(), "no password") {
		t.Errorf("no password: %v", r.err)
	}
	if r := f.runIn(pw, "user", "create", "alice", "--role", "viewer"); r.err == nil || !strings.Contains(r.err.Error(), "exists") {
		t.Errorf("duplicate: %v", r.err)
	}
	if r := f.runIn("another long password\n", "user", "passwd", "alice"); r.err != nil {
		t.Errorf("passwd: %v", r.err)
	}
	if out := f.mustRun("user", "update", "alice", "--role", "editor", "--disable").stdout; !strings.Contains(out, "role editor, disabled") {
		t.Errorf("update: %q", out)
	}
	if !strings.Contains(f.mustRun("users").stdout, "disabled") {
		t.Error("users does not show alice disabled")
	}
	f.mustRun("user", "delete", "alice")
	if r := f.run("user", "delete", "alice"); r.err == nil {
		t.Error("deleting a deleted user succeeded")
	}
	events := f.mustRun("events").stdout
	for _, kind := range []string{"user.created", "user.password", "user.updated", "user.deleted"} {
		if !strings.Contains(events, kind) {
			t.Errorf("no %s event in:\n%s", kind, events)
		}
	}
	if strings.Contains(events, pw) {
		t.Error("an event shows the password")
	}
}
