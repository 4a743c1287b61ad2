package transfer

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"github.com/baton-sched/baton/internal/store/sqlite"
)

// table is one table to copy: its columns as the source has them, its
// primary key, and what the target says of it.
type table struct {
	name string
	cols []string // in the source's order
	// order is what rows are sorted by on both sides: the primary key,
	// or every column for a table without one.
	order []string
	// types are the target's column types (information_schema data_type).
	types map[string]string
	// seq is the source's AUTOINCREMENT high-water mark (sqlite_sequence):
	// ids of deleted rows are not handed out again.
	seq int64
}

// source is the SQLite database, locked against servers and read in one
// transaction, so every table is read as of one instant.
type source struct {
	lock *os.File
	db   *sql.DB
	tx   *sql.Tx
}

// sqliteHeader starts every SQLite database file.
var sqliteHeader = []byte("SQLite format 3\x00")

// openSource checks path is an SQLite database, takes its lock
// (sqlite.ErrInUse while a server has it open) and opens it read-only.
func openSource(ctx context.Context, path string) (*source, error) {
	if err := isSQLite(path); err != nil {
		return nil, err
	}
	lock, err := sqlite.Lock(path)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", "file:"+url.PathEscape(path)+
		"?_pragma=busy_timeout(5000)&_pragma=query_only(1)")
	if err != nil {
		_ = lock.Close() // nothing was read
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		_ = errors.Join(db.Close(), lock.Close()) // the begin error says what failed
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return &source{lock: lock, db: db, tx: tx}, nil
}

func isSQLite(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	head := make([]byte, len(sqliteHeader))
	if _, err := io.ReadFull(f, head); err != nil || !bytes.Equal(head, sqliteHeader) {
		return fmt.Errorf("%s: %w", path, ErrNotSQLite)
	}
	return nil
}

func (s *source) close() {
	// Read only: nothing to commit, and nothing to report on close.
	_ = s.tx.Rollback()
	_ = s.db.Close()
	_ = s.lock.Close() // last: SQLite's own locks go with the descriptors above
}

// versions returns the migrations applied to the source.
func (s *source) versions(ctx context.Context) ([]int64, error) {
	rows, err := s.tx.QueryContext(ctx, versionQuery)
	if err != nil {
		return nil, fmt.Errorf("read the schema version of the SQLite database: %w", err)
	}
	defer rows.Close()
	state := map[int64]bool{}
	for rows.Next() {
		var v int64
		var ok bool
		if err := rows.Scan(&v, &ok); err != nil {
			return nil, fmt.Errorf("read the schema version of the SQLite database: %w", err)
		}
		state[v] = ok
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the schema version of the SQLite database: %w", err)
	}
	return appliedVersions(state), nil
}

// tables lists the source's tables, but SQLite's own and goose's, with
// their columns, primary keys and AUTOINCREMENT marks.
func (s *source) tables(ctx context.Context) ([]*table, error) {
	names, err := s.strings(ctx, `SELECT name FROM sqlite_master WHERE type = 'table'
		AND name NOT LIKE 'sqlite\_%' ESCAPE '\' AND name <> ? ORDER BY name`, versionTable)
	if err != nil {
		return nil, fmt.Errorf("list the SQLite tables: %w", err)
	}
	seqs, err := s.sequences(ctx)
	if err != nil {
		return nil, err
	}
	var out []*table
	for _, name := range names {
		t := &table{name: name, seq: seqs[name]}
		if err := s.columns(ctx, t); err != nil {
			return nil, fmt.Errorf("columns of %s: %w", name, err)
		}
		out = append(out, t)
	}
	return out, nil
}

// columns fills in a table's columns and its order: the primary key, or
// every column for a table without one.
func (s *source) columns(ctx context.Context, t *table) error {
	rows, err := s.tx.QueryContext(ctx, "SELECT name, pk FROM pragma_table_info(?) ORDER BY cid", t.name)
	if err != nil {
		return err
	}
	defer rows.Close()
	pk := map[int64]string{}
	for rows.Next() {
		var col string
		var n int64
		if err := rows.Scan(&col, &n); err != nil {
			return err
		}
		t.cols = append(t.cols, col)
		if n > 0 {
			pk[n] = col
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for i := range int64(len(pk)) {
		t.order = append(t.order, pk[i+1])
	}
	if len(t.order) == 0 {
		t.order = t.cols
	}
	return nil
}

// sequences reads sqlite_sequence, which exists once a table with
// AUTOINCREMENT does.
func (s *source) sequences(ctx context.Context) (map[string]int64, error) {
	seqs := map[string]int64{}
	has, err := s.strings(ctx, "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'")
	if err != nil || len(has) == 0 {
		return seqs, err
	}
	rows, err := s.tx.QueryContext(ctx, "SELECT name, seq FROM sqlite_sequence")
	if err != nil {
		return nil, fmt.Errorf("read sqlite_sequence: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var seq int64
		if err := rows.Scan(&name, &seq); err != nil {
			return nil, fmt.Errorf("read sqlite_sequence: %w", err)
		}
		seqs[name] = max(seqs[name], seq)
	}
	return seqs, rows.Err()
}

func (s *source) strings(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := s.tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// rows reads a table's rows in its order. Each column is read through an
// expression (+"col"), which hides the declared type from the driver, so
// that it hands over SQLite's values as stored (it would turn text in a
// column declared DATE into a time).
func (s *source) rows(ctx context.Context, t *table) (*sql.Rows, error) {
	cols := make([]string, len(t.cols))
	for i, c := range t.cols {
		cols[i] = "+" + quote(c)
	}
	order := make([]string, len(t.order))
	for i, c := range t.order {
		order[i] = quote(c)
	}
	rows, err := s.tx.QueryContext(ctx, "SELECT "+strings.Join(cols, ", ")+" FROM "+quote(t.name)+
		" ORDER BY "+strings.Join(order, ", "))
	if err != nil {
		return nil, fmt.Errorf("read %s from SQLite: %w", t.name, err)
	}
	return rows, nil
}

// quote quotes an identifier for either dialect.
func quote(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}
