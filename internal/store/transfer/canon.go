package transfer

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"math"
	"strconv"
	"unicode/utf8"
)

// Column types of the target this package converts to; any other type
// stops the migration before anything is copied.
var supportedTypes = map[string]bool{
	"boolean": true, "smallint": true, "integer": true, "bigint": true, "double precision": true,
	"text": true, "character varying": true, "bytea": true, "json": true,
}

// textual reports whether values of a target type sort as text: those
// are ordered bytewise (COLLATE "C") on PostgreSQL, as SQLite does.
func textual(typ string) bool {
	return typ == "text" || typ == "character varying"
}

// convert turns a value SQLite returned into the Go value pgx writes into
// a column of the target type.
func convert(v any, typ string) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch typ {
	case "boolean":
		if n, ok := v.(int64); ok && (n == 0 || n == 1) {
			return n == 1, nil
		}
		return nil, fmt.Errorf("want 0 or 1 for a boolean, got %s", describeValue(v))
	case "smallint", "integer", "bigint":
		switch n := v.(type) {
		case int64:
			return n, nil
		case float64:
			if n == math.Trunc(n) && math.Abs(n) < 1<<53 {
				return int64(n), nil
			}
		}
		return nil, fmt.Errorf("want an integer, got %s", describeValue(v))
	case "double precision":
		switch n := v.(type) {
		case float64:
			return n, nil
		case int64:
			return float64(n), nil
		}
		return nil, fmt.Errorf("want a number, got %s", describeValue(v))
	case "text", "character varying", "json":
		switch s := v.(type) {
		case string:
			return s, nil
		case []byte:
			if utf8.Valid(s) {
				return string(s), nil
			}
			return nil, fmt.Errorf("want text, got %d bytes that are not UTF-8", len(s))
		}
		return nil, fmt.Errorf("want text, got %s", describeValue(v))
	case "bytea":
		switch b := v.(type) {
		case []byte:
			return b, nil
		case string:
			return []byte(b), nil
		}
		return nil, fmt.Errorf("want bytes, got %s", describeValue(v))
	}
	return nil, fmt.Errorf("column type %s is not supported", typ)
}

func describeValue(v any) string {
	switch v := v.(type) {
	case string:
		if len(v) > 20 {
			return fmt.Sprintf("text of %d bytes", len(v))
		}
		return strconv.Quote(v)
	case []byte:
		return fmt.Sprintf("%d bytes", len(v))
	}
	return fmt.Sprintf("%T %v", v, v)
}

// checksum hashes rows rendered canonically: a value is its type class
// and content, whichever driver returned it (numbers by value, an
// integral float as that integer; text and bytes alike by content;
// booleans as 0 and 1, as SQLite stores them; NULL), so that equal data
// hashes equal on both sides.
type checksum struct {
	h    hash.Hash
	buf  []byte
	rows int64
}

func newChecksum() *checksum { return &checksum{h: sha256.New()} }

// add hashes one row.
func (c *checksum) add(row []any) error {
	b := c.buf[:0]
	for _, v := range row {
		switch v := v.(type) {
		case nil:
			b = append(b, 'n')
		case bool:
			b = append(b, 'i', '0')
			if v {
				b[len(b)-1] = '1'
			}
		case int64:
			b = strconv.AppendInt(append(b, 'i'), v, 10)
		case int32:
			b = strconv.AppendInt(append(b, 'i'), int64(v), 10)
		case int16:
			b = strconv.AppendInt(append(b, 'i'), int64(v), 10)
		case float64:
			if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
				b = strconv.AppendInt(append(b, 'i'), int64(v), 10)
			} else {
				b = strconv.AppendFloat(append(b, 'f'), v, 'g', -1, 64)
			}
		case string:
			b = append(append(strconv.AppendInt(append(b, 's'), int64(len(v)), 10), ':'), v...)
		case []byte:
			b = append(append(strconv.AppendInt(append(b, 's'), int64(len(v)), 10), ':'), v...)
		default:
			return fmt.Errorf("cannot checksum a %T", v)
		}
		b = append(b, ',')
	}
	b = append(b, '\n')
	c.buf = b
	c.h.Write(b)
	c.rows++
	return nil
}

// sum is a table's row count and checksum.
type sum struct {
	rows int64
	hex  string
}

func (c *checksum) sum() sum { return sum{rows: c.rows, hex: hex.EncodeToString(c.h.Sum(nil))} }
