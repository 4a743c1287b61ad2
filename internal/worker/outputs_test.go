package worker

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseOutputs(t *testing.T) {
	tests := []struct {
		name         string
		in           string
		want         map[string]string
		wantProblems []string
	}{
		{name: "empty", in: ""},
		{name: "pairs", in: "a=1\nb = two words \nc=x=y\n", want: map[string]string{"a": "1", "b": " two words ", "c": "x=y"}},
		{name: "comments and blanks", in: "# note\n\n   \n  # indented\na=1", want: map[string]string{"a": "1"}},
		{name: "crlf", in: "a=1\r\nb=2\r\n", want: map[string]string{"a": "1", "b": "2"}},
		{name: "last wins", in: "a=1\na=2\n", want: map[string]string{"a": "2"}},
		{name: "empty value", in: "a=\n", want: map[string]string{"a": ""}},
		{
			name: "bad lines", in: "a=1\nno equals sign\n=value\n",
			want: map[string]string{"a": "1"},
			wantProblems: []string{
				`BATON_OUTPUT line 2 is not key=value: "no equals sign"`,
				`BATON_OUTPUT line 3 is not key=value: "=value"`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, problems := parseOutputs([]byte(tt.in))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("outputs (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantProblems, problems); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadOutputs(t *testing.T) {
	dir := t.TempDir()
	got, problems, err := readOutputs(filepath.Join(dir, "missing"), 100)
	if got != nil || problems != nil || err != nil {
		t.Errorf("missing file: %v %v %v, want nothing", got, problems, err)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, []byte("a=1\n"+strings.Repeat("x", 97)), 0o644); err != nil {
		t.Fatal(err)
	}
	got, _, err = readOutputs(big, 100)
	if !errors.Is(err, errOutputsTooLarge) || got != nil || !strings.Contains(err.Error(), "limit of 100 bytes") {
		t.Errorf("big file: %v %v, want errOutputsTooLarge", got, err)
	}
	if got, _, err = readOutputs(big, 101); err != nil || got["a"] != "1" {
		t.Errorf("file at the limit: %v %v", got, err)
	}
}

func TestClip(t *testing.T) {
	if got := clip("héllo", 2); got != "h…" {
		t.Errorf("clip = %q, want %q", got, "h…")
	}
	if got := clip("short", 10); got != "short" {
		t.Errorf("clip = %q", got)
	}
}
