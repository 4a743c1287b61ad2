package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// The batch statements take their rows as arrays, one a column. pgx
// encodes a []string or []int64 through pgtype.FlatArray, whose Index
// boxes every element into an interface: an allocation a value, the
// largest share of the process's allocations under load. columns hands
// pgx those slices as arrays whose elements are pointer-shaped (boxed
// without allocating) and encode to the same bytes.
func columns(_ context.Context, conn *pgx.Conn) error {
	m := conn.TypeMap()
	m.TryWrapEncodePlanFuncs = append([]pgtype.TryWrapEncodePlanFunc{tryWrapColumn}, m.TryWrapEncodePlanFuncs...)
	return nil
}

// tryWrapColumn is a pgtype.TryWrapEncodePlanFunc for []string and
// []int64. Where the element type's codec takes neither a TextValuer nor
// an Int64Valuer, the plan fails and pgx goes on to its own wrappers.
func tryWrapColumn(value any) (pgtype.WrappedEncodePlanNextSetter, any, bool) {
	switch v := value.(type) {
	case []string:
		return &wrapStrings{}, stringColumn(v), true
	case []int64:
		return &wrapInt64s{}, int64Column(v), true
	}
	return nil, nil, false
}

type wrapStrings struct{ next pgtype.EncodePlan }

func (w *wrapStrings) SetNext(next pgtype.EncodePlan) { w.next = next }

func (w *wrapStrings) Encode(value any, buf []byte) ([]byte, error) {
	return w.next.Encode(stringColumn(value.([]string)), buf)
}

type wrapInt64s struct{ next pgtype.EncodePlan }

func (w *wrapInt64s) SetNext(next pgtype.EncodePlan) { w.next = next }

func (w *wrapInt64s) Encode(value any, buf []byte) ([]byte, error) {
	return w.next.Encode(int64Column(value.([]int64)), buf)
}

// dimensions is that of a one-dimensional array of n elements, nil (SQL
// NULL) for a nil slice, as pgtype.FlatArray has it.
func dimensions(isNil bool, n int) []pgtype.ArrayDimension {
	if isNil {
		return nil
	}
	return []pgtype.ArrayDimension{{Length: int32(n), LowerBound: 1}}
}

// stringColumn is a []string as a pgtype.ArrayGetter of stringElem.
type stringColumn []string

func (a stringColumn) Dimensions() []pgtype.ArrayDimension { return dimensions(a == nil, len(a)) }
func (a stringColumn) Index(i int) any                     { return stringElem{&a[i]} }
func (a stringColumn) IndexType() any                      { return stringElem{&zeroString} }

// stringElem points at one element of a stringColumn.
type stringElem struct{ p *string }

func (e stringElem) TextValue() (pgtype.Text, error) {
	return pgtype.Text{String: *e.p, Valid: true}, nil
}

// int64Column is a []int64 as a pgtype.ArrayGetter of int64Elem.
type int64Column []int64

func (a int64Column) Dimensions() []pgtype.ArrayDimension { return dimensions(a == nil, len(a)) }
func (a int64Column) Index(i int) any                     { return int64Elem{&a[i]} }
func (a int64Column) IndexType() any                      { return int64Elem{&zeroInt64} }

// int64Elem points at one element of an int64Column.
type int64Elem struct{ p *int64 }

func (e int64Elem) Int64Value() (pgtype.Int8, error) {
	return pgtype.Int8{Int64: *e.p, Valid: true}, nil
}

var (
	zeroString string
	zeroInt64  int64
)
