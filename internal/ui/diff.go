package ui

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
)

// A line diff (Myers' O(ND) algorithm) of two workflow definitions,
// written as a unified diff: hunks of changed lines with diffContext
// lines around them.

const (
	diffContext = 3
	// maxEdits bounds the work: texts further apart than this many
	// inserted and deleted lines are shown as wholly replaced.
	maxEdits = 2000
)

// diffLine is a line of a unified diff: Op is ' ' (same), '-' (only in
// the old text), '+' (only in the new) or '@' (a hunk header in Text).
type diffLine struct {
	Op   byte
	Text string
}

// Kind names the line's op for its CSS class.
func (l diffLine) Kind() string {
	switch l.Op {
	case '-':
		return "del"
	case '+':
		return "ins"
	case '@':
		return "hunk"
	}
	return "same"
}

// definitionText is what a version diff compares: the text that was
// applied, else the definition as indented JSON.
func definitionText(source string, def map[string]any) string {
	if source != "" {
		return source
	}
	b, _ := json.MarshalIndent(def, "", "  ")
	return string(b)
}

// splitLines splits text into lines without their line ends.
func splitLines(s string) []string {
	s = strings.TrimSuffix(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// unifiedDiff returns the unified diff of old and new text; nil when
// they are the same.
func unifiedDiff(oldText, newText string) []diffLine {
	ops := lineDiff(splitLines(oldText), splitLines(newText))
	return hunks(ops)
}

// edit is one line of the edit script.
type edit struct {
	op         byte // ' ', '-', '+'
	text       string
	oldN, newN int // 1-based line numbers in the old and new text (0: absent)
}

// lineDiff returns the edit script turning a into b.
func lineDiff(a, b []string) []edit {
	// Common prefix and suffix cost nothing to find.
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	var out []edit
	for i := range pre {
		out = append(out, edit{' ', a[i], i + 1, i + 1})
	}
	mid := myers(a[pre:len(a)-suf], b[pre:len(b)-suf])
	for _, e := range mid {
		if e.oldN > 0 {
			e.oldN += pre
		}
		if e.newN > 0 {
			e.newN += pre
		}
		out = append(out, e)
	}
	for i := range suf {
		ai, bi := len(a)-suf+i, len(b)-suf+i
		out = append(out, edit{' ', a[ai], ai + 1, bi + 1})
	}
	return out
}

// myers returns a shortest edit script from a to b, or, past maxEdits,
// every line of a deleted and every line of b inserted.
func myers(a, b []string) []edit {
	n, m := len(a), len(b)
	replace := func() []edit {
		out := make([]edit, 0, n+m)
		for i, l := range a {
			out = append(out, edit{'-', l, i + 1, 0})
		}
		for i, l := range b {
			out = append(out, edit{'+', l, 0, i + 1})
		}
		return out
	}
	if n == 0 || m == 0 {
		return replace()
	}
	limit := min(n+m, maxEdits)
	off := limit + 1
	v := make([]int, 2*limit+3) // v[off+k]: the furthest x on diagonal k
	// trace[d] holds v[k] for k in [-d-1, d+1] as it was before step d.
	var trace [][]int
	for d := 0; d <= limit; d++ {
		trace = append(trace, slices.Clone(v[off-d-1:off+d+2]))
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1] // down: an insertion
			} else {
				x = v[off+k-1] + 1 // right: a deletion
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x++
				y++
			}
			v[off+k] = x
			if x >= n && y >= m {
				return backtrack(a, b, trace)
			}
		}
	}
	return replace()
}

// backtrack walks the trace from the end to the start and returns the
// edit script in order.
func backtrack(a, b []string, trace [][]int) []edit {
	var rev []edit
	x, y := len(a), len(b)
	for d := len(trace) - 1; d >= 0; d-- {
		v := trace[d]
		at := func(k int) int { return v[k+d+1] }
		k := x - y
		prevK := k - 1
		if k == -d || (k != d && at(k-1) < at(k+1)) {
			prevK = k + 1
		}
		prevX := at(prevK)
		prevY := prevX - prevK
		for x > prevX && y > prevY {
			rev = append(rev, edit{' ', a[x-1], x, y})
			x--
			y--
		}
		if d > 0 {
			if x == prevX {
				rev = append(rev, edit{'+', b[y-1], 0, y})
			} else {
				rev = append(rev, edit{'-', a[x-1], x, 0})
			}
		}
		x, y = prevX, prevY
	}
	slices.Reverse(rev)
	return rev
}

// hunks groups an edit script into unified-diff hunks with diffContext
// lines of context; nil when nothing changed.
func hunks(es []edit) []diffLine {
	var out []diffLine
	for i := 0; i < len(es); {
		if es[i].op == ' ' {
			i++
			continue
		}
		// A hunk: from diffContext lines before this change to
		// diffContext lines after the last change closer than
		// 2*diffContext lines to the one before.
		start := max(0, i-diffContext)
		end := i
		for j := i; j < len(es); j++ {
			if es[j].op != ' ' {
				end = j
			} else if j-end > 2*diffContext {
				break
			}
		}
		stop := min(len(es), end+diffContext+1)
		out = append(out, diffLine{'@', hunkHeader(es[start:stop])})
		for _, e := range es[start:stop] {
			out = append(out, diffLine{e.op, e.text})
		}
		i = stop
	}
	return out
}

// hunkHeader writes "@@ -l,s +l,s @@" for a hunk's lines.
func hunkHeader(es []edit) string {
	var oldStart, newStart, oldLen, newLen int
	for _, e := range es {
		if e.oldN > 0 {
			if oldStart == 0 {
				oldStart = e.oldN
			}
			oldLen++
		}
		if e.newN > 0 {
			if newStart == 0 {
				newStart = e.newN
			}
			newLen++
		}
	}
	return "@@ -" + span(oldStart, oldLen) + " +" + span(newStart, newLen) + " @@"
}

func span(start, n int) string {
	return strconv.Itoa(start) + "," + strconv.Itoa(n)
}
