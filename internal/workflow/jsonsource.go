package workflow

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"go.yaml.in/yaml/v4"
)

// looksLikeJSON reports whether src is a JSON document. JSON is read with
// encoding/json rather than the YAML parser because YAML 1.2 is not quite a
// superset of JSON (surrogate pair escapes, for one).
func looksLikeJSON(src []byte) bool {
	t := bytes.TrimLeft(src, " \t\r\n")
	return len(t) > 0 && (t[0] == '{' || t[0] == '[') && json.Valid(src)
}

// jsonToNode reads a JSON document into a yaml.Node tree with lines and
// columns, so both formats share one path to validation.
func jsonToNode(src []byte) (*yaml.Node, error) {
	r := &jsonReader{src: src, dec: json.NewDecoder(bytes.NewReader(src))}
	r.dec.UseNumber()
	for i, c := range src {
		if c == '\n' {
			r.lineStarts = append(r.lineStarts, i+1)
		}
	}
	n, err := r.value(0)
	if err != nil {
		return nil, err
	}
	return &yaml.Node{Kind: yaml.DocumentNode, Line: n.Line, Column: n.Column, Content: []*yaml.Node{n}}, nil
}

type jsonReader struct {
	src        []byte
	dec        *json.Decoder
	lineStarts []int // offsets where lines 2, 3, ... begin
}

// next returns the next token and where it starts. The decoder reports only
// where the previous token ended, so skip the separators in between.
func (r *jsonReader) next() (json.Token, int, int, error) {
	off := int(r.dec.InputOffset())
	for off < len(r.src) && strings.IndexByte(" \t\r\n,:", r.src[off]) >= 0 {
		off++
	}
	tok, err := r.dec.Token()
	if err != nil {
		return nil, 0, 0, err
	}
	line := sort.SearchInts(r.lineStarts, off+1) + 1
	col := off + 1
	if line > 1 {
		col = off - r.lineStarts[line-2] + 1
	}
	return tok, line, col, nil
}

func (r *jsonReader) value(depth int) (*yaml.Node, error) {
	tok, line, col, err := r.next()
	if err != nil {
		return nil, err
	}
	n := &yaml.Node{Line: line, Column: col, Kind: yaml.ScalarNode}
	switch tok := tok.(type) {
	case json.Delim:
		if depth > maxDepth {
			return nil, &jsonError{line: line, msg: fmt.Sprintf("nested too deeply (more than %d levels)", maxDepth)}
		}
		switch tok {
		case '{':
			n.Kind, n.Tag = yaml.MappingNode, "!!map"
			for r.dec.More() {
				k, err := r.value(depth + 1)
				if err != nil {
					return nil, err
				}
				v, err := r.value(depth + 1)
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, k, v)
			}
		case '[':
			n.Kind, n.Tag = yaml.SequenceNode, "!!seq"
			for r.dec.More() {
				v, err := r.value(depth + 1)
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, v)
			}
		default:
			return nil, &jsonError{line: line, msg: fmt.Sprintf("unexpected %q", tok)}
		}
		if _, _, _, err := r.next(); err != nil { // the closing delimiter
			return nil, err
		}
	case string:
		n.Tag, n.Value = "!!str", tok
	case json.Number:
		n.Tag, n.Value = "!!int", tok.String()
		if strings.ContainsAny(n.Value, ".eE") {
			n.Tag = "!!float"
		}
	case bool:
		n.Tag, n.Value = "!!bool", fmt.Sprint(tok)
	case nil:
		n.Tag, n.Value = "!!null", "null"
	default:
		return nil, &jsonError{line: line, msg: fmt.Sprintf("unexpected token %v", tok)}
	}
	return n, nil
}

// jsonError is a problem found while reading JSON, with its line.
type jsonError struct {
	line int
	msg  string
}

func (e *jsonError) Error() string { return e.msg }
