package chaos

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v4"

	"github.com/baton-sched/baton/internal/workflow"
)

// Problem is one thing wrong with a scenario file.
type Problem struct {
	// Line is the 1-based line of the offending field (0 when unknown).
	Line int
	// Path names the field: "faults[2].kind", "cluster.zones[0].name".
	Path    string
	Message string
}

// ScenarioError lists every problem found in a scenario file, by line.
type ScenarioError struct {
	File     string
	Problems []Problem
}

// Error renders one line per problem:
//
//	scenarios/x.yaml:14: faults[2].kind: unknown fault kind "kil" (want kill, ...)
func (e *ScenarioError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		var b strings.Builder
		b.WriteString(e.File)
		if p.Line > 0 {
			fmt.Fprintf(&b, ":%d", p.Line)
		}
		b.WriteString(": ")
		if p.Path != "" {
			b.WriteString(p.Path + ": ")
		}
		b.WriteString(p.Message)
		lines[i] = b.String()
	}
	return strings.Join(lines, "\n")
}

// decoder reads typed values out of YAML nodes, recording a problem with
// the field's path and line for each one it cannot read. A bad value
// reads as the zero value, so that one mistake does not hide the others.
type decoder struct {
	problems []Problem
}

func (d *decoder) addf(n *yaml.Node, path, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	p := Problem{Line: line, Path: path, Message: fmt.Sprintf(format, args...)}
	if !slices.Contains(d.problems, p) {
		d.problems = append(d.problems, p)
	}
}

// err returns the problems found as a *ScenarioError, or nil.
func (d *decoder) err(file string) error {
	if len(d.problems) == 0 {
		return nil
	}
	ps := slices.Clone(d.problems)
	slices.SortStableFunc(ps, func(a, b Problem) int { return cmp.Compare(a.Line, b.Line) })
	return &ScenarioError{File: file, Problems: ps}
}

// resolve follows an alias to the node it names.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// isNull reports an absent or null value (`key:` or `key: ~`).
func isNull(n *yaml.Node) bool {
	n = resolve(n)
	return n == nil || n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// field is one key of a mapping and its value.
type field struct {
	key, value *yaml.Node
}

// fields checks that n is a mapping whose keys are all known, and returns
// its values by key. YAML merge keys (<<: *anchor) are expanded; keys
// written in the mapping itself win.
func (d *decoder) fields(n *yaml.Node, path string, known ...string) map[string]field {
	n = resolve(n)
	out := map[string]field{}
	if n == nil {
		return out
	}
	if n.Kind != yaml.MappingNode {
		d.addf(n, path, "want a mapping of %s, got %s", strings.Join(known, ", "), describe(n))
		return out
	}
	var merged []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Tag == "!!merge" {
			merged = append(merged, v)
			continue
		}
		p := join(path, k.Value)
		switch {
		case !slices.Contains(known, k.Value):
			msg := fmt.Sprintf("unknown field %q", k.Value)
			if s := suggest(k.Value, known); s != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", s)
			} else {
				msg += fmt.Sprintf(" (known: %s)", strings.Join(known, ", "))
			}
			d.addf(k, p, "%s", msg)
		case out[k.Value].key != nil:
			d.addf(k, p, "given twice (first on line %d)", out[k.Value].key.Line)
		default:
			out[k.Value] = field{key: k, value: v}
		}
	}
	for _, m := range merged {
		m = resolve(m)
		sources := []*yaml.Node{m}
		if m.Kind == yaml.SequenceNode {
			sources = m.Content
		}
		for _, src := range sources {
			for k, f := range d.fields(src, path, known...) {
				if _, ok := out[k]; !ok {
					out[k] = f
				}
			}
		}
	}
	return out
}

// join appends a key to a path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// index appends a list index to a path.
func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// describe names the kind of a node for messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	switch n.Tag {
	case "!!null":
		return "nothing"
	case "!!str":
		return strconv.Quote(n.Value)
	}
	return n.Value
}

// scalar returns the text of a scalar node.
func (d *decoder) scalar(n *yaml.Node, path, want string) (string, bool) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		if n != nil {
			d.addf(n, path, "want %s, got %s", want, describe(n))
		}
		return "", false
	}
	return n.Value, true
}

// str reads a non-empty string.
func (d *decoder) str(n *yaml.Node, path string) string {
	s, ok := d.scalar(n, path, "a string")
	if ok && strings.TrimSpace(s) == "" {
		d.addf(n, path, "must not be empty")
	}
	return s
}

// integer reads an integer of at least least.
func (d *decoder) integer(n *yaml.Node, path string, least int) int {
	s, ok := d.scalar(n, path, "an integer")
	if !ok {
		return 0
	}
	v, err := strconv.Atoi(s)
	switch {
	case err != nil:
		d.addf(n, path, "want an integer, got %q", s)
	case v < least:
		d.addf(n, path, "must be at least %d, got %d", least, v)
	}
	return v
}

// number reads a number greater than zero (or at least zero, with zero).
func (d *decoder) number(n *yaml.Node, path string, zero bool) float64 {
	s, ok := d.scalar(n, path, "a number")
	if !ok {
		return 0
	}
	v, err := strconv.ParseFloat(s, 64)
	switch {
	case err != nil:
		d.addf(n, path, "want a number, got %q", s)
	case v < 0 || v == 0 && !zero:
		d.addf(n, path, "must be more than 0, got %v", s)
	}
	return v
}

// boolean reads true or false.
func (d *decoder) boolean(n *yaml.Node, path string) bool {
	s, ok := d.scalar(n, path, "true or false")
	if !ok {
		return false
	}
	v, err := strconv.ParseBool(s)
	if err != nil {
		d.addf(n, path, "want true or false, got %q", s)
	}
	return v
}

// duration reads a duration: Go syntax plus a d unit ("500ms", "2m",
// "1d"), as everywhere in Baton.
func (d *decoder) duration(n *yaml.Node, path string) time.Duration {
	s, ok := d.scalar(n, path, "a duration")
	if !ok {
		return 0
	}
	if r := resolve(n); r.Tag == "!!int" || r.Tag == "!!float" {
		d.addf(n, path, "bad duration %s: give a unit, e.g. %q", s, s+"s")
		return 0
	}
	v, err := workflow.ParseDuration(s)
	if err != nil {
		d.addf(n, path, "bad duration: %v", err)
	}
	return v.Std()
}

// list reads a sequence; a null is an empty list.
func (d *decoder) list(n *yaml.Node, path string) []*yaml.Node {
	n = resolve(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.addf(n, path, "want a list, got %s", describe(n))
		return nil
	}
	return n.Content
}

// stringList reads a list of strings, or one string as a list of one.
func (d *decoder) stringList(n *yaml.Node, path string) []string {
	if r := resolve(n); r != nil && r.Kind == yaml.ScalarNode && !isNull(r) {
		return []string{d.str(r, path)}
	}
	var out []string
	for i, item := range d.list(n, path) {
		out = append(out, d.str(item, index(path, i)))
	}
	return out
}

// stringMap reads a mapping of strings to scalars, kept as written.
func (d *decoder) stringMap(n *yaml.Node, path string) map[string]string {
	n = resolve(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.addf(n, path, "want a mapping, got %s", describe(n))
		return nil
	}
	out := map[string]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		s, _ := d.scalar(v, join(path, k.Value), "a scalar")
		out[k.Value] = s
	}
	return out
}

// suggest returns the known word closest to a misspelt one, if close.
func suggest(word string, known []string) string {
	best, bestDist := "", max(2, len(word)/3)+1
	for _, k := range known {
		if dist := editDistance(word, k); dist < bestDist {
			best, bestDist = k, dist
		}
	}
	return best
}

// editDistance is the Levenshtein distance between two words.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// merge lays overlay over base without changing either: mappings are
// merged key by key, lists item by item (extra items are appended), and
// anything else is replaced. Nodes keep their lines, so that problems in
// the merged document point at the line that set the value.
func merge(base, overlay *yaml.Node) *yaml.Node {
	base, overlay = resolve(base), resolve(overlay)
	switch {
	case base == nil:
		return overlay
	case overlay == nil:
		return base
	case base.Kind == yaml.MappingNode && overlay.Kind == yaml.MappingNode:
		out := *base
		out.Content = slices.Clone(base.Content)
		for i := 0; i+1 < len(overlay.Content); i += 2 {
			k, v := overlay.Content[i], overlay.Content[i+1]
			j := -1
			for at := 0; at+1 < len(out.Content); at += 2 {
				if out.Content[at].Value == k.Value {
					j = at
					break
				}
			}
			if j < 0 {
				out.Content = append(out.Content, k, v)
				continue
			}
			out.Content[j+1] = merge(out.Content[j+1], v)
		}
		return &out
	case base.Kind == yaml.SequenceNode && overlay.Kind == yaml.SequenceNode:
		out := *base
		out.Content = slices.Clone(base.Content)
		for i, v := range overlay.Content {
			if i < len(out.Content) {
				out.Content[i] = merge(out.Content[i], v)
			} else {
				out.Content = append(out.Content, v)
			}
		}
		return &out
	}
	return overlay
}
