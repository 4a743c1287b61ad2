package taskkind

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Decoder is what a kind's Decode reports through; the workflow package
// implements it for one task, so that every problem names its field and
// line (tasks[2].sql.timeout: ...).
type Decoder interface {
	// Problem records a problem at p, a path inside the task.
	Problem(p Path, format string, args ...any)
	// Duration parses a duration field at p, reporting a bad one.
	Duration(s string, p Path) Duration
	// SecretExists reports whether the secret exists; true when the
	// definition is read without checking secrets.
	SecretExists(name string) bool
}

// Path locates a value inside a task: string keys and int indexes.
type Path []any

// P builds a path from keys (strings) and indexes (ints).
func P(elems ...any) Path { return Path(elems) }

// Key returns p extended by a map key. It never aliases p.
func (p Path) Key(k string) Path { return append(p[:len(p):len(p)], k) }

// Index returns p extended by a list index. It never aliases p.
func (p Path) Index(i int) Path { return append(p[:len(p):len(p)], i) }

// String renders p as a dotted path, for render errors: http.headers.X,
// sql.statements[0].params[1].
func (p Path) String() string {
	var b strings.Builder
	for _, e := range p {
		switch e := e.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", e)
		default:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			fmt.Fprint(&b, e)
		}
	}
	return b.String()
}

// Scalar renders a string, number or boolean of a decoded document as
// text.
func Scalar(val any) (string, bool) {
	switch val := val.(type) {
	case string:
		return val, true
	case json.Number:
		return val.String(), true
	case bool:
		return strconv.FormatBool(val), true
	}
	return "", false
}

// Number reads a number of a decoded document.
func Number(val any) (float64, bool) {
	n, ok := val.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	return f, err == nil && !math.IsInf(f, 0)
}

// Integer reads a whole number that fits in 32 bits; "3.0" counts, as
// JSON Schema says.
func Integer(val any) (int, bool) {
	f, ok := Number(val)
	if !ok || f != math.Trunc(f) || f < math.MinInt32 || f > math.MaxInt32 {
		return 0, false
	}
	return int(f), true
}

// Shorten quotes v, cutting it if it is long.
func Shorten(v any) string {
	s := fmt.Sprint(v)
	if r := []rune(s); len(r) > 40 {
		s = string(r[:40]) + "..."
	}
	return strconv.Quote(s)
}

// ValidSecretName says whether s can name a secret: letters, digits, _
// and -, starting with a letter or _, at most 100 bytes.
func ValidSecretName(s string) bool {
	if s == "" || len(s) > 100 || (s[0] >= '0' && s[0] <= '9') || s[0] == '-' {
		return false
	}
	return strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == ""
}

// MaxNameLen is the longest name of a workflow, task, parameter or slot,
// in characters.
const MaxNameLen = 100

var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// ValidName says whether s is a valid name of a workflow, task, parameter
// or slot.
func ValidName(s string) bool {
	return namePattern.MatchString(s) && utf8.RuneCountInString(s) <= MaxNameLen
}

// NameMessage explains what names may look like.
func NameMessage(got string) string {
	if got == "" {
		return "name must not be empty"
	}
	if utf8.RuneCountInString(got) > MaxNameLen {
		return fmt.Sprintf("invalid name %s: longer than %d characters", Shorten(got), MaxNameLen)
	}
	return fmt.Sprintf("invalid name %s: use lowercase letters, digits, \"_\" and \"-\", starting with a letter or digit", Shorten(got))
}
