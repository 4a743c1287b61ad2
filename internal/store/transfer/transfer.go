package transfer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/baton-sched/baton/internal/store/migrations"
	"github.com/baton-sched/baton/internal/store/postgres"
)

// Sentinel errors callers (and tests) branch on.
var (
	// ErrNotEmpty: the target holds data, or a schema of another version.
	ErrNotEmpty = errors.New("the PostgreSQL database is not empty")
	// ErrVersion: the source's schema is not this binary's.
	ErrVersion = errors.New("the SQLite database's schema is not this baton's")
	// ErrNotSQLite: the source file is not an SQLite database.
	ErrNotSQLite = errors.New("not an SQLite database")
	// ErrMismatch: what was read back differs from what was copied; the
	// copy was rolled back.
	ErrMismatch = errors.New("the copy differs from the source")
)

// Options say what to copy where.
type Options struct {
	// SQLitePath is the source database file. It is locked for the whole
	// copy: a server or baton dev holding it makes Run fail with
	// sqlite.ErrInUse.
	SQLitePath string
	// PostgresDSN is the target: an empty database (or one migrated by
	// this binary and holding nothing else).
	PostgresDSN string
	Logger      *slog.Logger
}

// Table is what one table's copy came to.
type Table struct {
	Name       string `json:"name"`
	SourceRows int64  `json:"source_rows"`
	TargetRows int64  `json:"target_rows"`
	SourceSum  string `json:"source_sha256"`
	TargetSum  string `json:"target_sha256"`
}

// OK reports whether both sides agree.
func (t Table) OK() bool { return t.SourceRows == t.TargetRows && t.SourceSum == t.TargetSum }

// Report is the outcome of Run: every table of the source, in copy order.
type Report struct {
	// Version is the schema version both databases are at.
	Version int64   `json:"schema_version"`
	Tables  []Table `json:"tables"`
}

// Run copies every table of the SQLite database at o.SQLitePath into the
// PostgreSQL database o.PostgresDSN (migrating it first) in one
// transaction, and commits only if every table reads back with the
// source's row count and checksum. The report lists every table; on
// ErrMismatch it shows which differ.
func Run(ctx context.Context, o Options) (Report, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	want, err := embedded(migrations.SQLite())
	if err != nil {
		return Report{}, err
	}
	pg, err := embedded(migrations.Postgres())
	if err != nil {
		return Report{}, err
	}
	if !slices.Equal(pg, want) {
		return Report{}, fmt.Errorf("this binary's migrations differ between SQLite (%s) and PostgreSQL (%s)",
			versionList(want), versionList(pg))
	}
	src, err := openSource(ctx, o.SQLitePath)
	if err != nil {
		return Report{}, err
	}
	defer src.close()
	if err := checkSource(ctx, src, want, o.SQLitePath); err != nil {
		return Report{}, err
	}
	tables, err := src.tables(ctx)
	if err != nil {
		return Report{}, err
	}
	conn, err := pgx.Connect(ctx, o.PostgresDSN)
	if err != nil {
		return Report{}, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if err := checkTarget(ctx, conn, want, tables); err != nil {
		return Report{}, err
	}
	// Migrate the target as a server would (under its advisory lock).
	st, err := postgres.Open(ctx, postgres.Config{DSN: o.PostgresDSN, MaxConns: 2, Logger: log})
	if err != nil {
		return Report{}, err
	}
	_ = st.Close() // always nil
	if tables, err = describe(ctx, conn, tables); err != nil {
		return Report{}, err
	}
	seeds, err := seedSums(ctx, o.PostgresDSN, tables)
	if err != nil {
		return Report{}, err
	}
	rep := Report{Version: want[len(want)-1]}
	rep.Tables, err = copyAll(ctx, conn, src, tables, seeds, log)
	return rep, err
}

// checkSource refuses a source whose migrations are not exactly want.
func checkSource(ctx context.Context, src *source, want []int64, path string) error {
	have, err := src.versions(ctx)
	if err != nil {
		return err
	}
	if newer := difference(have, want); len(newer) > 0 {
		return fmt.Errorf("%w: it has migrations this baton does not know (%s): run the migrate-store of the baton "+
			"version that last served it", ErrVersion, versionList(newer))
	}
	if older := difference(want, have); len(older) > 0 {
		return fmt.Errorf("%w: it lacks migrations %s: bring it up to date first with this version "+
			"(baton migrate --database sqlite:%s, or start this baton's server or dev on it once and stop it)",
			ErrVersion, versionList(older), path)
	}
	return nil
}

// checkTarget refuses a target at another schema version, or one that
// has Baton's tables without a schema version.
func checkTarget(ctx context.Context, conn *pgx.Conn, want []int64, tables []*table) error {
	exists, have, err := targetVersions(ctx, conn)
	if err != nil {
		return fmt.Errorf("read the schema version of the PostgreSQL database: %w", err)
	}
	if exists {
		if len(have) > 0 && !slices.Equal(have, want) {
			return fmt.Errorf("%w: it has a Baton schema of another version (migrations %s; this baton's: %s): "+
				"migrate into a new, empty database", ErrNotEmpty, versionList(have), versionList(want))
		}
		return nil
	}
	names, err := targetTables(ctx, conn)
	if err != nil {
		return fmt.Errorf("list the PostgreSQL tables: %w", err)
	}
	var clash []string
	for _, t := range tables {
		if slices.Contains(names, t.name) {
			clash = append(clash, t.name)
		}
	}
	if len(clash) > 0 {
		return fmt.Errorf("%w: it has tables named as Baton's (%s) but no Baton schema version: "+
			"migrate into a new, empty database", ErrNotEmpty, strings.Join(clash, ", "))
	}
	return nil
}

// copyAll copies and verifies every table in one transaction of the
// target, which it commits only if every table matches.
func copyAll(ctx context.Context, conn *pgx.Conn, src *source, tables []*table, seeds map[string]sum,
	log *slog.Logger) (_ []Table, err error) {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx)) // the error says what failed; nothing was written
		}
	}()
	// A large store takes its time; nothing else may write meanwhile.
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = quote(t.name)
	}
	if _, err := tx.Exec(ctx, "SET LOCAL statement_timeout = 0"); err != nil {
		return nil, fmt.Errorf("set statement_timeout: %w", err)
	}
	if _, err := tx.Exec(ctx, "LOCK TABLE "+strings.Join(names, ", ")+" IN ACCESS EXCLUSIVE MODE"); err != nil {
		return nil, fmt.Errorf("lock the PostgreSQL tables: %w", err)
	}
	if err := emptyBut(ctx, tx, tables, seeds); err != nil {
		return nil, err
	}
	sums := map[string]sum{}
	for _, t := range tables {
		if sums[t.name], err = copyTable(ctx, tx, src, t); err != nil {
			return nil, err
		}
		log.Info("copied", "table", t.name, "rows", sums[t.name].rows)
	}
	out := make([]Table, len(tables))
	ok := true
	for i, t := range tables {
		got, err := readSum(ctx, tx, t)
		if err != nil {
			return nil, err
		}
		s := sums[t.name]
		out[i] = Table{Name: t.name, SourceRows: s.rows, SourceSum: s.hex, TargetRows: got.rows, TargetSum: got.hex}
		ok = ok && out[i].OK()
	}
	if !ok {
		err = fmt.Errorf("%w: nothing was committed", ErrMismatch)
		return out, err
	}
	if err := resetSequences(ctx, tx, tables); err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	return out, nil
}

// emptyBut refuses a target holding anything but what its migrations
// inserted, and deletes that (the source's rows replace it).
func emptyBut(ctx context.Context, tx pgx.Tx, tables []*table, seeds map[string]sum) error {
	var full []string
	for _, t := range tables {
		var n int64
		if err := tx.QueryRow(ctx, "SELECT count(*) FROM "+quote(t.name)).Scan(&n); err != nil {
			return fmt.Errorf("count %s: %w", t.name, err)
		}
		same := n == seeds[t.name].rows
		if same && n > 0 { // as many rows as migrations write: the same ones?
			got, err := readSum(ctx, tx, t)
			if err != nil {
				return err
			}
			same = got == seeds[t.name]
		}
		if !same {
			full = append(full, fmt.Sprintf("%s (%d rows)", t.name, n))
		}
	}
	if len(full) > 0 {
		return fmt.Errorf("%w: %s: migrate into a new, empty database", ErrNotEmpty, strings.Join(full, ", "))
	}
	for _, t := range slices.Backward(tables) {
		if seeds[t.name].rows == 0 {
			continue
		}
		if _, err := tx.Exec(ctx, "DELETE FROM "+quote(t.name)); err != nil {
			return fmt.Errorf("clear %s: %w", t.name, err)
		}
	}
	return nil
}

// copyTable streams a table from the source into the target with COPY,
// and returns the source's count and checksum.
func copyTable(ctx context.Context, tx pgx.Tx, src *source, t *table) (sum, error) {
	rows, err := src.rows(ctx, t)
	if err != nil {
		return sum{}, err
	}
	defer rows.Close()
	cs := &copySource{t: t, rows: rows, sum: newChecksum(),
		raw: make([]any, len(t.cols)), ptrs: make([]any, len(t.cols)), out: make([]any, len(t.cols))}
	for i := range cs.raw {
		cs.ptrs[i] = &cs.raw[i]
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{t.name}, t.cols, cs); err != nil {
		return sum{}, fmt.Errorf("copy %s: %w", t.name, err)
	}
	return cs.sum.sum(), nil
}

// copySource feeds COPY with the source's rows, converted to the target's
// column types, and hashes them as read.
type copySource struct {
	t              *table
	rows           *sql.Rows
	raw, ptrs, out []any
	sum            *checksum
	err            error
}

func (c *copySource) Next() bool {
	if c.err != nil || !c.rows.Next() {
		return false
	}
	if c.err = c.rows.Scan(c.ptrs...); c.err != nil {
		return false
	}
	if c.err = c.sum.add(c.raw); c.err != nil {
		return false
	}
	for i, v := range c.raw {
		var err error
		if c.out[i], err = convert(v, c.t.types[c.t.cols[i]]); err != nil {
			c.err = fmt.Errorf("column %s, row %d in key order: %w", c.t.cols[i], c.sum.rows, err)
			return false
		}
	}
	return true
}

func (c *copySource) Values() ([]any, error) { return c.out, c.err }

func (c *copySource) Err() error { return errors.Join(c.err, c.rows.Err()) }

// resetSequences moves every sequence of the copied tables (identity and
// serial columns) past the highest id copied and past the ids SQLite
// handed out to rows deleted since, so new rows never reuse an id.
func resetSequences(ctx context.Context, tx pgx.Tx, tables []*table) error {
	for _, t := range tables {
		for _, c := range t.cols {
			var seq *string
			err := tx.QueryRow(ctx, "SELECT pg_get_serial_sequence($1, $2)", quote(t.name), c).Scan(&seq)
			if err != nil {
				return fmt.Errorf("sequence of %s.%s: %w", t.name, c, err)
			}
			if seq == nil {
				continue
			}
			_, err = tx.Exec(ctx, "SELECT setval($1, GREATEST((SELECT COALESCE(MAX("+quote(c)+"), 0) FROM "+
				quote(t.name)+"), $2::bigint) + 1, false)", *seq, t.seq)
			if err != nil {
				return fmt.Errorf("reset the sequence of %s.%s: %w", t.name, c, err)
			}
		}
	}
	return nil
}
