package workflow

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v4"
)

// Parse reads a workflow definition written in YAML or JSON and validates it
// whole: structure against the JSON Schema (see Schema), then names,
// dependencies, durations, retry policies, templates and schedules.
//
// filename is used only in messages. If anything is wrong, Parse returns a
// nil Definition and a *ValidationError listing every problem, ordered by
// line, each with its field path. Any other error is an internal fault.
//
// The returned Definition holds what the user wrote, normalised: every
// retry policy is a *Retry (the "none" shorthand expanded), every
// parameter default, label value and schedule parameter a string, and a
// `schedule:` shorthand is Schedules[0] (named "default" unless it has a
// name). Fields a task leaves unset stay unset; Graph applies Defaults.
func Parse(filename string, src []byte) (*Definition, error) {
	return ParseWith(filename, src, Options{})
}

// Options adds checks to Parse that need more than the definition.
type Options struct {
	// SecretExists, when set, says whether a secret exists; a reference
	// to one that does not is a problem of the definition.
	SecretExists func(name string) bool
}

// ParseWith is Parse with the checks of o.
func ParseWith(filename string, src []byte, o Options) (*Definition, error) {
	ps := &problems{quiet: map[string]bool{}}
	doc := readDocument(src, ps)
	if doc == nil {
		return nil, ps.err(filename)
	}
	tree := buildTree(doc, ps)
	if tree == nil {
		return nil, ps.err(filename)
	}
	if err := checkSchema(tree, ps); err != nil {
		return nil, err
	}
	v := &validator{src: tree, ps: ps, secretExists: o.SecretExists}
	def := v.decode()
	v.check(def)
	if err := ps.err(filename); err != nil {
		return nil, err
	}
	return def, nil
}

// readDocument parses src into a node tree, or records why it cannot.
func readDocument(src []byte, ps *problems) *yaml.Node {
	if !checkText(src, ps) {
		return nil
	}
	doc := parseDocument(src, ps)
	if doc != nil && !checkNoNUL(doc, ps) {
		return nil
	}
	return doc
}

// CheckText is the first check of Parse, for clients that must send a
// file as JSON text, where invalid UTF-8 would silently become U+FFFD:
// it refuses bytes that are not UTF-8 and NUL bytes, with the line.
func CheckText(filename string, src []byte) error {
	ps := &problems{quiet: map[string]bool{}}
	checkText(src, ps)
	return ps.err(filename)
}

// checkText refuses bytes that are not UTF-8 text, which a command would
// otherwise run with U+FFFD in their place, and NUL bytes, which no
// command line can carry.
func checkText(src []byte, ps *problems) bool {
	line := 1
	for i := 0; i < len(src); {
		r, size := utf8.DecodeRune(src[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			ps.addLine(nil, line, "invalid UTF-8 (byte 0x%02x): definitions must be UTF-8 text", src[i])
			return false
		case r == 0:
			ps.addLine(nil, line, "NUL byte: definitions must be text")
			return false
		case r == '\n':
			line++
		}
		i += size
	}
	return true
}

// checkNoNUL refuses a NUL written as an escape ("\0", "\u0000") in any
// value: no command, header or parameter can carry one.
func checkNoNUL(n *yaml.Node, ps *problems) bool {
	if strings.ContainsRune(n.Value, 0) {
		ps.addLine(nil, n.Line, "a NUL character (\\0) is not allowed in a value")
		return false
	}
	for _, c := range n.Content {
		if !checkNoNUL(c, ps) {
			return false
		}
	}
	return true
}

func parseDocument(src []byte, ps *problems) *yaml.Node {
	if looksLikeJSON(src) {
		doc, err := jsonToNode(src)
		if err != nil {
			line := 0
			var jerr *jsonError
			if errors.As(err, &jerr) {
				line = jerr.line
			}
			ps.addLine(nil, line, "invalid JSON: %v", err)
			return nil
		}
		return doc
	}
	loader, err := yaml.NewLoader(bytes.NewReader(src))
	if err != nil {
		addYAMLError(ps, src, err)
		return nil
	}
	var doc yaml.Node
	if err := loader.Load(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			ps.addLine(nil, 0, "empty document: a workflow needs at least a name and tasks")
		} else {
			addYAMLError(ps, src, err)
		}
		return nil
	}
	var extra yaml.Node
	switch err := loader.Load(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		addYAMLError(ps, src, err)
		return nil
	default:
		ps.addLine(nil, extra.Line, "only one YAML document is allowed (found a second one after ---)")
		return nil
	}
	return &doc
}

// tabAt says whether line n (from 1) of src starts with a tab after any
// spaces.
func tabAt(src []byte, n int) bool {
	lines := bytes.Split(src, []byte("\n"))
	return n >= 1 && n <= len(lines) && bytes.HasPrefix(bytes.TrimLeft(lines[n-1], " "), []byte("\t"))
}

func addYAMLError(ps *problems, src []byte, err error) {
	var le *yaml.LoadError
	if errors.As(err, &le) {
		msg := le.Message
		if le.ContextMsg != "" && le.ContextMark.Line > 0 && le.ContextMark.Line != le.Mark.Line {
			msg = fmt.Sprintf("%s (%s started at line %d)", msg, le.ContextMsg, le.ContextMark.Line)
		} else if le.ContextMsg != "" {
			msg = fmt.Sprintf("%s (%s)", msg, le.ContextMsg)
		}
		if strings.Contains(le.Message, "cannot start any token") && tabAt(src, le.Mark.Line) {
			msg = "a tab indents this line: YAML indents with spaces only"
		}
		ps.addLine(nil, le.Mark.Line, "invalid YAML: %s", msg)
		return
	}
	ps.addLine(nil, 0, "invalid YAML: %v", err)
}
