package main

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"
)

// What the CLI prints comes in part from others: task output, reasons,
// names, problem details. A control sequence in it (ESC]0;title, ESC[2J,
// an 8-bit CSI) would drive the user's terminal, so every command writes
// through safeWriter, which shows such characters escaped instead:
// C0 controls other than newline and tab, DEL and invalid bytes as \xNN,
// C1 controls and the bidirectional overrides as \uNNNN. `baton logs
// --raw` writes a task's output as it was stored.

// safeWriter escapes control characters on their way to w.
type safeWriter struct{ w io.Writer }

// Write writes p with its control characters escaped; it reports len(p).
func (s safeWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(s.w, safeText(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// safeText returns s with control characters escaped (see safeWriter).
func safeText(s string) string {
	if !needsEscape(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < 0x20 && r != '\n' && r != '\t', r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// needsEscape: s has a byte that is a control or not ASCII (then the
// runes are looked at).
func needsEscape(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\n' && c != '\t') || c >= 0x7f {
			return true
		}
	}
	return false
}

// unsafeRune: C1 controls, and the characters that reorder text.
func unsafeRune(r rune) bool {
	return (r >= 0x80 && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) ||
		r == 0x200e || r == 0x200f || r == 0x061c
}

// guardOutput makes the command tree write through safeWriter, keeping
// the raw standard output for `baton logs --raw`.
func (g *globals) guardOutput(cmd *cobra.Command) {
	root := cmd.Root()
	if _, done := root.OutOrStdout().(safeWriter); done {
		return
	}
	g.rawOut = root.OutOrStdout()
	root.SetOut(safeWriter{g.rawOut})
	root.SetErr(safeWriter{root.ErrOrStderr()})
}
