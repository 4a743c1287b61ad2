package ui

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func render(ls []diffLine) string {
	var b strings.Builder
	for _, l := range ls {
		if l.Op == '@' {
			b.WriteString(l.Text + "\n")
			continue
		}
		b.WriteString(string(l.Op) + l.Text + "\n")
	}
	return b.String()
}

func TestUnifiedDiff(t *testing.T) {
	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"same", "a\nb\n", "a\nb\n", ""},
		{"one changed", "a\nb\nc\n", "a\nB\nc\n", "@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"},
		{"added at the end", "a\n", "a\nb\n", "@@ -1,1 +1,2 @@\n a\n+b\n"},
		{"from nothing", "", "x\n", "@@ -0,0 +1,1 @@\n+x\n"},
		{"two hunks", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n", "1\nX\n3\n4\n5\n6\n7\n8\n9\n10\nY\n12\n",
			"@@ -1,5 +1,5 @@\n 1\n-2\n+X\n 3\n 4\n 5\n@@ -8,5 +8,5 @@\n 8\n 9\n 10\n-11\n+Y\n 12\n"},
		{"moved line", "a\nb\nc\nd\n", "b\nc\na\nd\n", "@@ -1,4 +1,4 @@\n-a\n b\n c\n+a\n d\n"},
	} {
		if got := render(unifiedDiff(tc.old, tc.new)); got != tc.want {
			t.Errorf("%s:\n%s\nwant\n%s", tc.name, got, tc.want)
		}
	}
}

// Applying the edit script to the old lines gives the new ones, and its
// kept lines are as many as a longest common subsequence's.
func TestLineDiffProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	gen := func() []string {
		out := make([]string, r.IntN(30))
		for i := range out {
			out[i] = string(rune('a' + r.IntN(4)))
		}
		return out
	}
	for range 500 {
		a, b := gen(), gen()
		es := lineDiff(a, b)
		var gotA, gotB []string
		kept := 0
		for _, e := range es {
			if e.op != '+' {
				gotA = append(gotA, e.text)
			}
			if e.op != '-' {
				gotB = append(gotB, e.text)
			}
			if e.op == ' ' {
				kept++
			}
		}
		if strings.Join(gotA, ",") != strings.Join(a, ",") || strings.Join(gotB, ",") != strings.Join(b, ",") {
			t.Fatalf("script %v does not turn %v into %v", es, a, b)
		}
		if want := lcs(a, b); kept != want {
			t.Fatalf("diff of %v and %v keeps %d lines, the LCS has %d", a, b, kept, want)
		}
	}
}

func lcs(a, b []string) int {
	dp := make([][]int, len(a)+1)
	for i := range dp {
		dp[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				dp[i][j] = dp[i+1][j+1] + 1
			} else {
				dp[i][j] = max(dp[i+1][j], dp[i][j+1])
			}
		}
	}
	return dp[0][0]
}

// Texts further apart than maxEdits are shown as wholly replaced, so a
// huge diff costs bounded work.
func TestDiffPastMaxEdits(t *testing.T) {
	var a, b []string
	for i := range maxEdits {
		a = append(a, "a"+strconv.Itoa(i))
		b = append(b, "b"+strconv.Itoa(i))
	}
	es := lineDiff(a, b)
	if len(es) != 2*maxEdits || es[0].op != '-' || es[maxEdits].op != '+' {
		t.Fatalf("%d edits, first %c, middle %c; want every line deleted then inserted", len(es), es[0].op, es[maxEdits].op)
	}
	// Under the bound, a change in a long text stays one small hunk.
	long := slices.Clone(a)
	long[1000] = "changed"
	if got := unifiedDiff(strings.Join(a, "\n"), strings.Join(long, "\n")); len(got) != 1+2*diffContext+2 {
		t.Errorf("one changed line of %d: %d diff lines, want one hunk of %d", len(a), len(got), 1+2*diffContext+2)
	}
}
