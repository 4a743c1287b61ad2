package workflow

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Problem is one thing wrong with a workflow definition.
type Problem struct {
	// Path names the offending field, e.g. "tasks[2].needs[0]",
	// "defaults.retry.delay" or "params.day". It is empty for problems with
	// the document as a whole.
	Path string
	// Line is the 1-based line of the field in the source text, or 0 when
	// unknown.
	Line int
	// Message says what is wrong, for a human.
	Message string
}

// String renders the problem as "line: path: message", leaving out the parts
// that are unknown.
func (p Problem) String() string {
	return p.render("")
}

func (p Problem) render(filename string) string {
	var b strings.Builder
	switch {
	case filename != "" && p.Line > 0:
		fmt.Fprintf(&b, "%s:%d: ", filename, p.Line)
	case filename != "":
		b.WriteString(filename + ": ")
	case p.Line > 0:
		fmt.Fprintf(&b, "%d: ", p.Line)
	}
	if p.Path != "" {
		b.WriteString(p.Path + ": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// ValidationError reports every problem found in a workflow definition (by
// Parse) or in the parameters of a run (by ResolveParams).
type ValidationError struct {
	// Filename is the name given to Parse, used only to render messages.
	Filename string
	// Problems are ordered by line.
	Problems []Problem
}

// Error renders one line per problem, e.g.
//
//	etl.yaml:12: tasks[2].needs[0]: unknown task "extrct"
func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.render(e.Filename)
	}
	return strings.Join(lines, "\n")
}

// problems accumulates problems while a definition is checked.
type problems struct {
	list  []Problem
	lines lineIndex
	// quiet holds pointers already reported by the YAML reader; schema
	// complaints about them would only repeat the same fault.
	quiet map[string]bool
}

// add records a problem at p, looking its line up in the source.
func (ps *problems) add(p path, format string, args ...any) {
	ps.addLine(p, ps.lines.line(p), format, args...)
}

// addLine records a problem at p with an explicit line.
func (ps *problems) addLine(p path, line int, format string, args ...any) {
	ps.list = append(ps.list, Problem{Path: p.String(), Line: line, Message: fmt.Sprintf(format, args...)})
}

// err returns the collected problems as a *ValidationError, or nil when
// there are none. Problems are sorted by line and duplicates dropped.
func (ps *problems) err(filename string) error {
	if len(ps.list) == 0 {
		return nil
	}
	list := slices.Clone(ps.list)
	slices.SortStableFunc(list, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Path, b.Path), cmp.Compare(a.Message, b.Message))
	})
	list = slices.Compact(list)
	return &ValidationError{Filename: filename, Problems: list}
}

// path locates a value inside a definition. Elements are map keys or list
// indexes.
type path []elem

type elem struct {
	key   string
	index int // valid when isIdx
	isIdx bool
}

// key returns p extended by a map key. It never aliases p.
func (p path) key(k string) path {
	return append(slices.Clip(p), elem{key: k})
}

// index returns p extended by a list index. It never aliases p.
func (p path) index(i int) path {
	return append(slices.Clip(p), elem{index: i, isIdx: true})
}

// String renders p as users read it: tasks[2].needs[0], params.day, and
// params["odd key"] for keys that are not plain words.
func (p path) String() string {
	var b strings.Builder
	for _, e := range p {
		switch {
		case e.isIdx:
			fmt.Fprintf(&b, "[%d]", e.index)
		case plainKey(e.key):
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(e.key)
		default:
			b.WriteString("[" + strconv.Quote(e.key) + "]")
		}
	}
	return b.String()
}

// pointer renders p as a JSON pointer (RFC 6901), the key of lineIndex.
func (p path) pointer() string {
	var b strings.Builder
	for _, e := range p {
		b.WriteByte('/')
		if e.isIdx {
			b.WriteString(strconv.Itoa(e.index))
		} else {
			b.WriteString(pointerEscaper.Replace(e.key))
		}
	}
	return b.String()
}

var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

func plainKey(k string) bool {
	if k == "" {
		return false
	}
	return strings.IndexFunc(k, notWordRune) < 0
}

// lineIndex maps the JSON pointer of every value in the source to the line
// where it appears (for a map entry: the line of its key).
type lineIndex map[string]int

// line returns the line of p, or of its nearest ancestor that has one.
func (li lineIndex) line(p path) int {
	for n := len(p); n >= 0; n-- {
		if l, ok := li[p[:n].pointer()]; ok {
			return l
		}
	}
	return 0
}

// notWordRune reports a rune outside [A-Za-z0-9_-].
func notWordRune(r rune) bool {
	return (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') && r != '_' && r != '-'
}
