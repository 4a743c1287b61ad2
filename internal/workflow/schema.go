package workflow

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

//go:embed schema.json
var schemaJSON []byte

// schemaID is the $id of schema.json. The schema is added to the compiler as
// a resource under this name, so compiling never fetches anything.
const schemaID = "https://github.com/baton-sched/baton/internal/workflow/schema.json"

// Schema returns the JSON Schema (draft 2020-12) that Parse checks the
// structure of a definition against, for editors and API documentation.
// Parse checks more than the schema can say (dependencies, durations,
// templates).
func Schema() []byte {
	cs, err := loadSchema()
	if err != nil {
		return bytes.Clone(schemaJSON)
	}
	return bytes.Clone(cs.text)
}

type compiledSchema struct {
	schema *jsonschema.Schema
	raw    any // schema.json as a value, to suggest field names
	// text is schema.json with the keys of kinds that bring their own.
	text []byte
}

var loadSchema = sync.OnceValues(func() (*compiledSchema, error) {
	raw, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
	if err != nil {
		return nil, fmt.Errorf("workflow schema: %w", err)
	}
	text := schemaJSON
	if extended, err := kindSchemas(raw); err != nil {
		return nil, fmt.Errorf("workflow schema: %w", err)
	} else if extended {
		if text, err = json.MarshalIndent(raw, "", "  "); err != nil {
			return nil, fmt.Errorf("workflow schema: %w", err)
		}
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(schemaID, raw); err != nil {
		return nil, fmt.Errorf("workflow schema: %w", err)
	}
	sch, err := c.Compile(schemaID)
	if err != nil {
		return nil, fmt.Errorf("workflow schema: %w", err)
	}
	return &compiledSchema{schema: sch, raw: raw, text: text}, nil
})

// checkSchema validates the structure of src and records every violation as
// a problem a human can read. It fails only if the embedded schema is broken.
func checkSchema(src *source, ps *problems) error {
	cs, err := loadSchema()
	if err != nil {
		return err
	}
	err = cs.schema.Validate(src.root)
	if err == nil {
		return nil
	}
	var verr *jsonschema.ValidationError
	if !errors.As(err, &verr) {
		return fmt.Errorf("workflow schema: %w", err)
	}
	m := schemaMapper{cs: cs, root: src.root}
	for _, sp := range m.walk(verr) {
		if ps.quiet[sp.at.pointer()] {
			continue
		}
		ps.addLine(sp.at, ps.lines.line(sp.lineAt), "%s", sp.msg)
	}
	return nil
}

// schemaProblem is one schema violation in Baton's words.
type schemaProblem struct {
	at     path // the field reported
	lineAt path // the field whose line is reported (an unknown key, say)
	msg    string
	// want lists the types wanted when the value at "at" has the wrong
	// type, to merge the branches of anyOf into one message.
	want []string
}

type schemaMapper struct {
	cs   *compiledSchema
	root any
}

// walk flattens a validation error tree into problems.
func (m schemaMapper) walk(e *jsonschema.ValidationError) []schemaProblem {
	at, val := m.locate(e.InstanceLocation)
	one := func(msg string) []schemaProblem {
		return []schemaProblem{{at: at, lineAt: at, msg: msg}}
	}
	switch k := e.ErrorKind.(type) {
	case *kind.Schema, *kind.Group, *kind.AllOf, *kind.Reference:
		var out []schemaProblem
		for _, c := range e.Causes {
			out = append(out, m.walk(c)...)
		}
		return out
	case *kind.AnyOf:
		return m.alternatives(e, at, val)
	case *kind.OneOf:
		if len(k.Subschemas) == 0 {
			return m.alternatives(e, at, val)
		}
		return one("matches more than one form")
	case *kind.Type:
		msg := typeMessage(k.Want, val)
		switch schemaDef(e.SchemaURL) {
		case "duration":
			msg = fmt.Sprintf("must be a duration with a unit, such as \"90s\" or \"1h30m\", got %s", describe(val))
		case "zones":
			if _, isList := val.([]any); isList {
				msg += " (write {allow: [...]} or {deny: [...]})"
			}
		case "schedule":
			if _, isString := val.(string); isString {
				msg += ` (write {cron: "..."}, e.g. {cron: "@daily"})`
			}
		case "timestamp":
			msg = fmt.Sprintf("must be a time in RFC 3339, such as \"2026-01-01T02:00:00Z\", got %s", describe(val))
		}
		return []schemaProblem{{at: at, lineAt: at, msg: msg, want: k.Want}}
	case *kind.Required:
		var out []schemaProblem
		for _, f := range k.Missing {
			out = append(out, schemaProblem{at: at, lineAt: at, msg: fmt.Sprintf("missing required field %q", f)})
		}
		return out
	case *kind.AdditionalProperties:
		var out []schemaProblem
		for _, f := range k.Properties {
			msg := fmt.Sprintf("unknown field %q", f)
			if s := suggest(f, m.knownFields(e.SchemaURL)); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			out = append(out, schemaProblem{at: at, lineAt: at.key(f), msg: msg})
		}
		return out
	case *kind.UniqueItems:
		// Reported at the repeat, as a need listed twice is.
		list, _ := val.([]any)
		i := k.Duplicates[1]
		if i < 0 || i >= len(list) {
			return one("must not repeat an item")
		}
		p := at.index(i)
		return []schemaProblem{{at: p, lineAt: p, msg: fmt.Sprintf("%s is listed twice", display(list[i]))}}
	case *kind.PropertyNames:
		// The library reports these at a location it later overwrites, so
		// the decoder checks those keys itself (validName, envName,
		// checkLabelName).
		return nil
	default:
		if msg, ok := placementMessage(schemaDef(e.SchemaURL), at, val); ok {
			return one(msg)
		}
		return one(leafMessage(e, val))
	}
}

// alternatives explains an anyOf failure. If the value has the type of some
// alternative, the problems inside that alternative are the useful ones;
// otherwise one message lists every type that would do.
func (m schemaMapper) alternatives(e *jsonschema.ValidationError, at path, val any) []schemaProblem {
	var want []string
	for _, branch := range e.Causes {
		ps := m.walk(branch)
		mismatch := false
		for _, p := range ps {
			if p.want != nil && slices.Equal(p.at, at) {
				mismatch = true
				want = append(want, p.want...)
			}
		}
		if !mismatch {
			return ps
		}
	}
	return []schemaProblem{{at: at, lineAt: at, msg: typeMessage(want, val), want: want}}
}

// locate turns an instance location into a path, telling list indexes from
// keys by looking at the value.
func (m schemaMapper) locate(loc []string) (path, any) {
	var p path
	v := m.root
	for _, tok := range loc {
		switch c := v.(type) {
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return p.key(tok), nil
			}
			p, v = p.index(i), c[i]
		case map[string]any:
			p, v = p.key(tok), c[tok]
		default:
			p, v = p.key(tok), nil
		}
	}
	return p, v
}

// knownFields lists the properties the schema at schemaURL allows, to
// suggest a fix for a misspelt field.
func (m schemaMapper) knownFields(schemaURL string) []string {
	_, frag, _ := strings.Cut(schemaURL, "#")
	v := m.cs.raw
	for tok := range strings.SplitSeq(strings.TrimPrefix(frag, "/"), "/") {
		if tok == "" {
			continue
		}
		switch c := v.(type) {
		case map[string]any:
			v = c[strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)]
		case []any: // inside anyOf, say
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return nil
			}
			v = c[i]
		default:
			return nil
		}
	}
	obj, _ := v.(map[string]any)
	props, _ := obj["properties"].(map[string]any)
	var names []string
	for name := range props {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// schemaDef names the $defs entry an error's keyword belongs to, e.g. "name".
func schemaDef(schemaURL string) string {
	_, frag, _ := strings.Cut(schemaURL, "#")
	rest, ok := strings.CutPrefix(frag, "/$defs/")
	if !ok {
		return ""
	}
	def, _, _ := strings.Cut(rest, "/")
	return def
}

// leafMessage words a single keyword failure. val is the offending value.
func leafMessage(e *jsonschema.ValidationError, val any) string {
	def := schemaDef(e.SchemaURL)
	switch k := e.ErrorKind.(type) {
	case *kind.Type:
		return typeMessage(k.Want, val)
	case *kind.Pattern:
		switch def {
		case "name":
			return nameMessage(k.Got)
		case "env_name":
			return fmt.Sprintf("invalid environment variable name %q: use letters, digits and \"_\", not starting with a digit", k.Got)
		}
		return fmt.Sprintf("%q does not match the pattern %s", k.Got, k.Want)
	case *kind.MaxLength:
		if def == "name" {
			return fmt.Sprintf("invalid name %s: longer than %d characters", shorten(val), k.Want)
		}
		return fmt.Sprintf("must be at most %d characters long", k.Want)
	case *kind.MinLength:
		if k.Want == 1 {
			return "must not be empty"
		}
		return fmt.Sprintf("must be at least %d characters long", k.Want)
	case *kind.MinItems:
		if strings.HasSuffix(e.SchemaURL, "#/properties/tasks") {
			return "at least one task is required"
		}
		if k.Want == 1 {
			return "must not be empty"
		}
		return fmt.Sprintf("must have at least %d items", k.Want)
	case *kind.MaxItems:
		if strings.HasSuffix(e.SchemaURL, "#/properties/schedules") {
			return fmt.Sprintf("at most %d schedules are allowed, got %d", k.Want, k.Got)
		}
		return fmt.Sprintf("must have at most %d items, got %d", k.Want, k.Got)
	case *kind.MinProperties:
		if def == "zones" {
			return "must have allow, deny or both"
		}
		return fmt.Sprintf("must have at least %d fields", k.Want)
	case *kind.Minimum:
		return "must be at least " + k.Want.RatString()
	case *kind.Maximum:
		return "must be at most " + k.Want.RatString()
	case *kind.ExclusiveMinimum:
		return "must be greater than " + k.Want.RatString()
	case *kind.ExclusiveMaximum:
		return "must be less than " + k.Want.RatString()
	case *kind.Enum:
		return enumMessage(val, k.Want)
	case *kind.Const:
		return fmt.Sprintf("invalid value %s: must be %s", display(val), display(k.Want))
	default:
		return fmt.Sprintf("not allowed here (schema keyword %q)", strings.Join(e.ErrorKind.KeywordPath(), "/"))
	}
}

// enumMessage says that val is none of the values in want.
func enumMessage(val any, want []any) string {
	msg := fmt.Sprintf("invalid value %s: must be %s", display(val), oneOf(want))
	if got, ok := val.(string); ok && len(want) > 1 {
		var words []string
		for _, w := range want {
			if w, ok := w.(string); ok {
				words = append(words, w)
			}
		}
		if s := suggest(got, words); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
	}
	return msg
}

// stringEnumMessage is enumMessage for a string that must be one of want.
// The decoder words its checks of enums with it, as the schema does, so
// that a value both reject is reported once.
func stringEnumMessage(val string, want []string) string {
	w := make([]any, len(want))
	for i, s := range want {
		w[i] = s
	}
	return enumMessage(val, w)
}

// nameMessage explains what names may look like.
func nameMessage(got string) string {
	if got == "" {
		return "name must not be empty"
	}
	if utf8.RuneCountInString(got) > maxNameLen {
		return fmt.Sprintf("invalid name %s: longer than %d characters", shorten(got), maxNameLen)
	}
	return fmt.Sprintf("invalid name %s: use lowercase letters, digits, \"_\" and \"-\", starting with a letter or digit", shorten(got))
}

// typeMessage says which types would do and what was found.
func typeMessage(want []string, got any) string {
	seen := map[string]bool{}
	var names []string
	for _, w := range want {
		if w == "null" && len(want) > 1 { // "no value" is never the helpful hint
			continue
		}
		if w == "integer" && slices.Contains(want, "number") {
			continue
		}
		if !seen[w] {
			seen[w] = true
			names = append(names, typeName(w))
		}
	}
	msg := "must be " + joinOr(names) + ", got " + describe(got)
	if s, ok := got.(string); ok && slices.Contains(want, "array") && len(want) == 1 {
		msg += fmt.Sprintf(" (write [%s] for a list of one)", s)
	}
	return msg
}

func typeName(t string) string {
	switch t {
	case "array":
		return "a list"
	case "object":
		return "an object"
	case "integer":
		return "an integer"
	case "null":
		return "null"
	default:
		return "a " + t
	}
}

// describe shows a value found in the document: scalars as written, lists
// and objects by kind.
func describe(v any) string {
	switch v.(type) {
	case nil:
		return "nothing (null)"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	default:
		return display(v)
	}
}

func display(v any) string {
	switch v := v.(type) {
	case string:
		return shorten(v)
	case nil:
		return "null"
	default:
		return fmt.Sprint(v)
	}
}

// shorten quotes s, cutting it if it is long.
func shorten(v any) string {
	s := fmt.Sprint(v)
	if r := []rune(s); len(r) > 40 {
		s = string(r[:40]) + "..."
	}
	return strconv.Quote(s)
}

func oneOf(want []any) string {
	if len(want) == 1 {
		return display(want[0])
	}
	parts := make([]string, len(want))
	for i, w := range want {
		parts[i] = display(w)
	}
	return "one of " + strings.Join(parts, ", ")
}

func joinOr(items []string) string {
	switch len(items) {
	case 0:
		return "something else"
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}

// suggest returns the candidate closest to name, if it is close enough to
// be a likely misspelling.
func suggest(name string, candidates []string) string {
	norm := func(s string) string {
		return strings.NewReplacer("_", "", "-", "").Replace(strings.ToLower(s))
	}
	best, bestDist := "", -1
	for _, c := range candidates {
		d := editDistance(norm(name), norm(c))
		limit := max(1, min(len(name), len(c))*2/3)
		if d <= limit && d < len(c) && (bestDist < 0 || d < bestDist) {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
