package workflow

import (
	"os"
	"path/filepath"
	"testing"
)

// The shipped examples are what a new user runs first: they must parse.
func TestExamplesParse(t *testing.T) {
	files, err := filepath.Glob("../../examples/*.yaml")
	if err != nil || len(files) < 3 {
		t.Fatalf("examples: %v (found %d)", err, len(files))
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Parse(filepath.Base(f), src); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}
