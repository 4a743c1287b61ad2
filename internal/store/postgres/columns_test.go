package postgres

import (
	"slices"
	"testing"

	"github.com/jackc/pgx/v5/pgtype"
)

// withColumns is a type map as columns leaves a connection's.
func withColumns() *pgtype.Map {
	m := pgtype.NewMap()
	m.TryWrapEncodePlanFuncs = append([]pgtype.TryWrapEncodePlanFunc{tryWrapColumn}, m.TryWrapEncodePlanFuncs...)
	return m
}

// TestColumnsEncodeAsPgx: []string and []int64 parameters encode to the
// bytes pgx's own plans give, in both formats, NULL for nil, without an
// allocation an element.
func TestColumnsEncodeAsPgx(t *testing.T) {
	strs := []string{"", "a", "with space", `quote " and \ backslash`, "{braces,comma}", "NULL", "ünïcode"}
	ints := []int64{0, -1, 1, 255, 256, -9223372036854775808, 9223372036854775807}
	cases := []struct {
		name  string
		oid   uint32
		value any
	}{
		{"text[]", pgtype.TextArrayOID, strs},
		{"varchar[]", pgtype.VarcharArrayOID, strs},
		{"bigint[]", pgtype.Int8ArrayOID, ints},
		{"empty text[]", pgtype.TextArrayOID, []string{}},
		{"nil text[]", pgtype.TextArrayOID, []string(nil)},
		{"nil bigint[]", pgtype.Int8ArrayOID, []int64(nil)},
	}
	plain, cols := pgtype.NewMap(), withColumns()
	for _, c := range cases {
		for _, format := range []int16{pgtype.BinaryFormatCode, pgtype.TextFormatCode} {
			want, err := plain.Encode(c.oid, format, c.value, nil)
			if err != nil {
				t.Fatalf("%s format %d: pgx: %v", c.name, format, err)
			}
			got, err := cols.Encode(c.oid, format, c.value, nil)
			if err != nil {
				t.Fatalf("%s format %d: %v", c.name, format, err)
			}
			if !slices.Equal(got, want) || (got == nil) != (want == nil) {
				t.Errorf("%s format %d: encoded %q, pgx encodes %q", c.name, format, got, want)
			}
		}
	}
	var back []string
	buf, _ := cols.Encode(pgtype.TextArrayOID, pgtype.BinaryFormatCode, strs, nil)
	if err := plain.Scan(pgtype.TextArrayOID, pgtype.BinaryFormatCode, buf, &back); err != nil || !slices.Equal(back, strs) {
		t.Errorf("decoded %q (%v), want %q", back, err, strs)
	}

	long := make([]string, 1000)
	for i := range long {
		long[i] = "attempt dispatched to a worker"
	}
	buf = make([]byte, 0, 1<<16)
	allocs := testing.AllocsPerRun(10, func() {
		if _, err := cols.Encode(pgtype.TextArrayOID, pgtype.BinaryFormatCode, long, buf[:0]); err != nil {
			t.Fatal(err)
		}
	})
	if allocs >= 100 {
		t.Errorf("encoding 1000 strings allocates %.0f times, want far fewer than one an element", allocs)
	}
}
