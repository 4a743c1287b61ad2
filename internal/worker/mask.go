package worker

import (
	"bytes"
	"cmp"
	"slices"
	"strings"
)

// maskText replaces a secret value in what an attempt shows.
const maskText = "***"

// masker replaces the values of an attempt's secrets (Assignment.Mask)
// with *** in its output, outputs and reasons. A multi-line value is also
// masked line by line (lines of 4 bytes or more), as tasks often print
// such values (keys, certificates) a line at a time.
type masker struct {
	values [][]byte // longest first
}

// newMasker returns the masker of values, nil when there is nothing to
// mask.
func newMasker(values []string) *masker {
	var vs []string
	for _, v := range values {
		if v == "" {
			continue
		}
		vs = append(vs, v)
		if strings.Contains(v, "\n") {
			for _, line := range strings.Split(v, "\n") {
				if line = strings.TrimSpace(line); len(line) >= 4 {
					vs = append(vs, line)
				}
			}
		}
	}
	if len(vs) == 0 {
		return nil
	}
	slices.SortFunc(vs, func(a, b string) int { return cmp.Or(cmp.Compare(len(b), len(a)), strings.Compare(a, b)) })
	vs = slices.Compact(vs)
	m := &masker{}
	for _, v := range vs {
		m.values = append(m.values, []byte(v))
	}
	return m
}

// bytes returns b with every value replaced.
func (m *masker) bytes(b []byte) []byte {
	for _, v := range m.values {
		if bytes.Contains(b, v) {
			b = bytes.ReplaceAll(b, v, []byte(maskText))
		}
	}
	return b
}

// string returns s with every value replaced; a nil masker returns s.
func (m *masker) string(s string) string {
	if m == nil {
		return s
	}
	return string(m.bytes([]byte(s)))
}

// holdback is the length of the longest end of b that begins a value:
// output the task is still writing may complete it, so it is held back.
func (m *masker) holdback(b []byte) int {
	best := 0
	for _, v := range m.values {
		for k := min(len(v)-1, len(b)); k > best; k-- {
			if bytes.HasSuffix(b, v[:k]) {
				best = k
				break
			}
		}
	}
	return best
}

// maskMap masks the values of m in place.
func (m *masker) maskMap(kv map[string]string) {
	if m == nil {
		return
	}
	for k, v := range kv {
		kv[k] = m.string(v)
	}
}
