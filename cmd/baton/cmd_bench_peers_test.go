package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

// TestBenchPeersNeedsTheRiverBinary: without the peer benchmark's binary
// the command says how to build it, before creating any database.
func TestBenchPeersNeedsTheRiverBinary(t *testing.T) {
	root := newRoot()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs([]string{"bench", "peers", "--river", filepath.Join(t.TempDir(), "river-bench"),
		"--postgres", "postgres://nobody@127.0.0.1:1/none"})
	err := root.ExecuteContext(t.Context())
	if err == nil || !strings.Contains(err.Error(), "--river") || !strings.Contains(err.Error(), "make bench-peers") {
		t.Fatalf("bench peers without river-bench: %v, want an error naming --river and make bench-peers", err)
	}
}
