package main

import (
	"strings"
	"testing"
)

// TestCompletionOffersServerNames checks the shell completion offers the
// workflows, runs, tasks and zones the server knows.
func TestCompletionOffersServerNames(t *testing.T) {
	f := newCLIFixture(t)
	f.apply(map[string]string{"hello": helloDef, "breaks": failDef})
	f.startWorker("w1", "zone-a")
	f.mustRun("run", "hello", "--wait")
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"run", ""}, []string{"show\tShow a run and the state of each of its tasks", "breaks", "hello"}},
		{[]string{"workflow", "show", ""}, []string{"breaks", "hello"}},
		{[]string{"run", "show", ""}, []string{"1\thello succeeded"}},
		{[]string{"logs", "1", ""}, []string{"greet\tsucceeded", "done\tsucceeded"}},
		{[]string{"zone", "cordon", ""}, []string{"zone-a"}},
		{[]string{"logs", "1", "greet", ""}, nil}, // no third argument
	}
	for _, tt := range tests {
		r := f.mustRun(append([]string{"__complete"}, tt.args...)...)
		var got []string
		for line := range strings.Lines(r.stdout) {
			line = strings.TrimSuffix(line, "\n")
			if !strings.HasPrefix(line, ":") && !strings.HasPrefix(line, "Completion ended") {
				got = append(got, line)
			}
		}
		if strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("complete %q: %q, want %q", tt.args, got, tt.want)
		}
	}
}
