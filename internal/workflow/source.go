package workflow

import (
	"encoding/json"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v4"
)

// Limits that keep hostile input (alias bombs, absurd nesting) cheap.
const (
	maxValues = 1 << 19 // values after alias expansion (about 50,000 tasks)
	maxDepth  = 64
)

// source is a parsed document in the shape JSON Schema validates: maps are
// map[string]any, lists []any, numbers json.Number, plus where each value
// came from.
type source struct {
	root  any
	lines lineIndex
	// blocks maps the pointer of each literal block scalar ("|") to the line
	// of its first content line, so template errors inside a long script can
	// name the exact line.
	blocks map[string]int
}

// treeBuilder converts a yaml.Node tree into a source, resolving aliases and
// merge keys and reporting what JSON cannot express.
type treeBuilder struct {
	src       *source
	ps        *problems
	count     int
	expanding map[*yaml.Node]bool
	tooLarge  bool
}

// buildTree converts a document; it returns nil, having said why, if the
// document is too large to check.
func buildTree(doc *yaml.Node, ps *problems) *source {
	src := &source{lines: lineIndex{}, blocks: map[string]int{}}
	ps.lines = src.lines
	b := &treeBuilder{src: src, ps: ps, expanding: map[*yaml.Node]bool{}}
	n := doc
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	src.lines[""] = n.Line
	src.root = b.value(n, nil, 0)
	if b.tooLarge {
		return nil // nothing more worth saying about a fraction of it
	}
	return src
}

// bad reports a problem the schema would only repeat, and keeps the schema
// quiet about that value.
func (b *treeBuilder) bad(p path, line int, format string, args ...any) {
	b.ps.addLine(p, line, format, args...)
	b.ps.quiet[p.pointer()] = true
}

func (b *treeBuilder) value(n *yaml.Node, p path, depth int) any {
	if b.tooLarge {
		return nil
	}
	b.count++
	if b.count > maxValues {
		b.tooLarge = true
		b.bad(nil, n.Line, "document too large (more than %d values after expanding aliases)", maxValues)
		return nil
	}
	if depth > maxDepth {
		b.bad(p, n.Line, "nested too deeply (more than %d levels)", maxDepth)
		return nil
	}
	switch n.Kind {
	case yaml.AliasNode:
		target := n.Alias
		if target == nil || b.expanding[target] {
			b.bad(p, n.Line, "alias *%s refers to itself", n.Value)
			return nil
		}
		b.expanding[target] = true
		defer delete(b.expanding, target)
		return b.value(target, p, depth+1)
	case yaml.MappingNode:
		return b.mapping(n, p, depth)
	case yaml.SequenceNode:
		list := make([]any, 0, len(n.Content))
		for i, item := range n.Content {
			ip := p.index(i)
			b.src.lines[ip.pointer()] = item.Line
			list = append(list, b.value(item, ip, depth+1))
		}
		return list
	case yaml.ScalarNode:
		return b.scalar(n, p)
	default:
		b.bad(p, n.Line, "unsupported YAML node")
		return nil
	}
}

// mapping converts a mapping. Explicit keys win over merged ones ("<<"),
// earlier merge sources over later ones, as in YAML 1.1 merge keys. Merged
// entries are added first so that explicit ones overwrite their lines too.
func (b *treeBuilder) mapping(n *yaml.Node, p path, depth int) map[string]any {
	m := make(map[string]any, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			b.merge(m, n.Content[i+1], p, depth)
		}
	}
	explicit := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			continue
		}
		if k.Kind == yaml.AliasNode && k.Alias != nil {
			k = k.Alias
		}
		if k.Kind != yaml.ScalarNode {
			b.ps.addLine(p, k.Line, "keys must be plain strings")
			continue
		}
		name := k.Value
		if explicit[name] {
			b.ps.addLine(p, k.Line, "duplicate field %q", name)
			continue
		}
		explicit[name] = true
		kp := p.key(name)
		b.src.lines[kp.pointer()] = k.Line
		if v.Kind == yaml.ScalarNode && v.Style&yaml.LiteralStyle != 0 {
			b.src.blocks[kp.pointer()] = v.Line + 1
		} else {
			delete(b.src.blocks, kp.pointer())
		}
		m[name] = b.value(v, kp, depth+1)
	}
	return m
}

// merge adds the entries of a merge key's value to m, without overriding.
func (b *treeBuilder) merge(m map[string]any, src *yaml.Node, p path, depth int) {
	if src.Kind == yaml.AliasNode && src.Alias != nil {
		if b.expanding[src.Alias] {
			b.bad(p, src.Line, "alias *%s refers to itself", src.Value)
			return
		}
		b.expanding[src.Alias] = true
		defer delete(b.expanding, src.Alias)
		src = src.Alias
	}
	switch src.Kind {
	case yaml.MappingNode:
		merged := b.mapping(src, p, depth+1)
		for k, v := range merged {
			if _, ok := m[k]; !ok {
				m[k] = v
			}
		}
	case yaml.SequenceNode:
		for _, item := range src.Content {
			b.merge(m, item, p, depth+1)
		}
	default:
		b.bad(p, src.Line, "merge key \"<<\" needs a mapping or a list of mappings")
	}
}

// jsonNumber matches numbers written exactly as JSON would; they are kept as
// written so "1.10" stays "1.10".
var jsonNumber = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

func (b *treeBuilder) scalar(n *yaml.Node, p path) any {
	switch n.Tag {
	case "!!null":
		return nil
	case "!!bool":
		return strings.EqualFold(n.Value, "true")
	case "!!int":
		if jsonNumber.MatchString(n.Value) {
			return json.Number(n.Value)
		}
		if i, ok := new(big.Int).SetString(n.Value, 0); ok {
			return json.Number(i.String())
		}
		// YAML 1.1 octal such as 0777.
		if i, ok := new(big.Int).SetString(strings.TrimPrefix(n.Value, "0"), 8); ok {
			return json.Number(i.String())
		}
		return n.Value
	case "!!float":
		if jsonNumber.MatchString(n.Value) {
			return json.Number(n.Value)
		}
		f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
		if err != nil {
			switch strings.ToLower(strings.TrimLeft(n.Value, "+-")) {
			case ".inf", ".nan":
				f = math.Inf(1)
			default:
				return n.Value
			}
		}
		if math.IsInf(f, 0) || math.IsNaN(f) {
			b.bad(p, n.Line, "must be a finite number")
			return n.Value
		}
		return json.Number(strconv.FormatFloat(f, 'g', -1, 64))
	default:
		// Strings, and tags JSON has no type for (timestamps, binary,
		// custom tags), keep their text.
		return n.Value
	}
}
