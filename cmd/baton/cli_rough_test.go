package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRoughEdges checks the CLI answers a new user's mistakes with an
// error that says what is wrong, and a non-zero exit.
func TestRoughEdges(t *testing.T) {
	f := newCLIFixture(t)
	dir := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	good := write("hello.yaml", "name: hello\ntasks:\n  - name: a\n    run: echo hi\n")
	tests := []struct {
		name string
		args []string
		want string // in the error
	}{
		{"unknown subcommand of a group", []string{"workflow", "frobnicate", "js"}, `unknown command "frobnicate" for "baton workflow"`},
		{"unknown schedule subcommand", []string{"schedule", "foo", "ticker"}, `unknown command "foo" for "baton schedule"`},
		{"resume says resume", []string{"schedule", "resume", "nosuch"}, "resume schedule nosuch/default"},
		{"state enum without a trailing comma", []string{"runs", "--state", "bogus"}, `failed, cancelled"`},
		{"number flag", []string{"events", "--run", "abc"}, `invalid argument "abc" for "--run" flag: want a number`},
		{"not UTF-8, refused before sending", []string{"apply", write("bad.yaml", "name: x\ntasks:\n  - name: a\n    run: echo \xff\n")},
			"bad.yaml:4: invalid UTF-8 (byte 0xff)"},
		{"tab indent", []string{"apply", write("tab.yaml", "name: x\ntasks:\n\t- name: a\n")}, "tab.yaml:3: invalid YAML: a tab indents this line"},
		{"too large, the file named", []string{"apply", write("big.yaml", "name: big\ntasks:\n  - name: a\n    run: echo "+strings.Repeat("x", 5<<20)+"\n")},
			"the largest file: " + filepath.Join(dir, "big.yaml") + " (5.0 MiB)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.run(tt.args...)
			if r.code() == 0 || r.err == nil || !strings.Contains(r.err.Error()+r.stderr, tt.want) {
				t.Errorf("baton %s: exit %d, error %v %s; want a non-zero exit and %q", strings.Join(tt.args, " "), r.code(), r.err, r.stderr, tt.want)
			}
		})
	}
	if r := f.run("workflows"); r.err != nil || strings.Contains(r.stdout, "x") && strings.Contains(r.stdout, "big") {
		t.Errorf("a refused file was stored: %v\n%s", r.err, r.stdout)
	}
	// apply takes files without -f too.
	if r := f.mustRun("apply", good); r.stdout != "hello: created version 1\n" {
		t.Errorf("apply FILE printed %q", r.stdout)
	}
	// A group named alone still prints its help, and exits 0.
	if r := f.mustRun("schedule"); !strings.Contains(r.stdout, "Available Commands") {
		t.Errorf("baton schedule printed %q, want its help", r.stdout)
	}
}
