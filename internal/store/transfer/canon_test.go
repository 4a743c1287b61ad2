package transfer

import "testing"

func TestConvert(t *testing.T) {
	for _, c := range []struct {
		v    any
		typ  string
		want any
		bad  bool
	}{
		{int64(1), "boolean", true, false},
		{int64(0), "boolean", false, false},
		{int64(2), "boolean", nil, true},
		{"true", "boolean", nil, true},
		{float64(3), "bigint", int64(3), false},
		{2.5, "bigint", nil, true},
		{"7", "bigint", nil, true},
		{int64(3), "double precision", float64(3), false},
		{[]byte("héllo"), "text", "héllo", false},
		{[]byte{0xff}, "text", nil, true},
		{int64(1), "text", nil, true},
		{"raw", "bytea", []byte("raw"), false},
		{nil, "bigint", nil, false},
		{"x", "jsonb", nil, true},
	} {
		got, err := convert(c.v, c.typ)
		if (err != nil) != c.bad {
			t.Errorf("convert(%#v, %s): %v", c.v, c.typ, err)
			continue
		}
		if b, ok := got.([]byte); ok {
			got = string(b)
			c.want = string(c.want.([]byte))
		}
		if !c.bad && got != c.want {
			t.Errorf("convert(%#v, %s) = %#v, want %#v", c.v, c.typ, got, c.want)
		}
	}
}

// Equal data hashes equal whichever driver returned it; a changed value
// does not.
func TestChecksumCanonical(t *testing.T) {
	hash := func(rows ...[]any) string {
		c := newChecksum()
		for _, r := range rows {
			if err := c.add(r); err != nil {
				t.Fatal(err)
			}
		}
		return c.sum().hex
	}
	sqliteRow := []any{int64(1), int64(0), "text", []byte{1, 2}, float64(2), 0.5, nil}
	pgRow := []any{true, false, []byte("text"), "\x01\x02", int64(2), 0.5, nil}
	if hash(sqliteRow) != hash(pgRow) {
		t.Errorf("equal rows hash differently")
	}
	for i, changed := range [][]any{
		{false, false, "text", []byte{1, 2}, int64(2), 0.5, nil},
		{true, false, "text ", []byte{1, 2}, int64(2), 0.5, nil},
		{true, false, "text", []byte{1, 2}, int64(2), 0.25, nil},
		{true, false, "text", []byte{1, 2}, int64(2), 0.5, ""},
		{true, false, "tex", "t\x01\x02", int64(2), 0.5, nil},
	} {
		if hash(sqliteRow) == hash(changed) {
			t.Errorf("change %d: same checksum", i)
		}
	}
	if hash([]any{"a"}, []any{"b"}) == hash([]any{"b"}, []any{"a"}) {
		t.Errorf("row order does not count")
	}
}
