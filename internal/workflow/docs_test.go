package workflow

import (
	"os"
	"regexp"
	"testing"
)

// TestDocsExamples parses every YAML example in docs/workflows.md that is a
// whole workflow (starts with "name:"), so the documentation stays true.
func TestDocsExamples(t *testing.T) {
	doc, err := os.ReadFile("../../docs/workflows.md")
	if err != nil {
		t.Skipf("docs not found: %v", err)
	}
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllSubmatch(doc, -1)
	n := 0
	for _, b := range blocks {
		if !regexp.MustCompile(`^name:`).Match(b[1]) {
			continue
		}
		n++
		if _, err := Parse("workflows.md", b[1]); err != nil {
			t.Errorf("example %d does not parse:\n%v\n%s", n, err, b[1])
		}
	}
	if n < 2 {
		t.Errorf("found %d complete examples, want at least 2", n)
	}
}
