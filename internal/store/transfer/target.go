package transfer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/baton-sched/baton/internal/store/migrations"
)

// querier is what reads need of a connection or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// targetVersions returns whether the target's current schema has goose's
// table, and the migrations it records as applied.
func targetVersions(ctx context.Context, conn *pgx.Conn) (bool, []int64, error) {
	var exists bool
	err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_tables
		WHERE schemaname = current_schema() AND tablename = $1)`, versionTable).Scan(&exists)
	if err != nil || !exists {
		return false, nil, err
	}
	rows, err := conn.Query(ctx, versionQuery)
	if err != nil {
		return true, nil, err
	}
	state := map[int64]bool{}
	var v int64
	var ok bool
	_, err = pgx.ForEachRow(rows, []any{&v, &ok}, func() error { state[v] = ok; return nil })
	return true, appliedVersions(state), err
}

// targetTables returns the tables of the target's current schema.
func targetTables(ctx context.Context, conn *pgx.Conn) ([]string, error) {
	rows, err := conn.Query(ctx, "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1")
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// describe fills in the target's column types of every table (views are
// left out: they hold no rows) and checks
// that both sides have the same tables and columns, naming every
// difference. It returns the tables in an order that inserts a table
// after those its foreign keys refer to.
func describe(ctx context.Context, conn *pgx.Conn, tables []*table) ([]*table, error) {
	rows, err := conn.Query(ctx, `SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c
		JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
		WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
		ORDER BY c.table_name, c.ordinal_position`)
	if err != nil {
		return nil, fmt.Errorf("read the PostgreSQL columns: %w", err)
	}
	types := map[string]map[string]string{}
	var tn, cn, typ string
	_, err = pgx.ForEachRow(rows, []any{&tn, &cn, &typ}, func() error {
		if types[tn] == nil {
			types[tn] = map[string]string{}
		}
		types[tn][cn] = typ
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the PostgreSQL columns: %w", err)
	}
	var problems []string
	seen := map[string]bool{versionTable: true}
	for _, t := range tables {
		seen[t.name] = true
		cols, ok := types[t.name]
		if !ok {
			problems = append(problems, fmt.Sprintf("table %s is missing in PostgreSQL", t.name))
			continue
		}
		t.types = cols
		for _, c := range t.cols {
			switch typ, ok := cols[c]; {
			case !ok:
				problems = append(problems, fmt.Sprintf("column %s.%s is missing in PostgreSQL", t.name, c))
			case !supportedTypes[typ]:
				problems = append(problems, fmt.Sprintf("column %s.%s has type %s, which migrate-store cannot convert to", t.name, c, typ))
			}
		}
		for c := range cols {
			if !slices.Contains(t.cols, c) {
				problems = append(problems, fmt.Sprintf("column %s.%s is missing in SQLite", t.name, c))
			}
		}
	}
	for tn := range types {
		if !seen[tn] {
			problems = append(problems, fmt.Sprintf("table %s is missing in SQLite", tn))
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return nil, fmt.Errorf("the SQLite and PostgreSQL schemas differ: %s", strings.Join(problems, "; "))
	}
	return dependencyOrder(ctx, conn, tables)
}

// dependencyOrder sorts tables so that each comes after the tables its
// foreign keys refer to (references of a table to itself aside; rows are
// copied in primary-key order, parents first).
func dependencyOrder(ctx context.Context, conn *pgx.Conn, tables []*table) ([]*table, error) {
	rows, err := conn.Query(ctx, `SELECT c.relname, p.relname FROM pg_constraint k
		JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid
		WHERE k.contype = 'f' AND c.relnamespace = current_schema()::regnamespace`)
	if err != nil {
		return nil, fmt.Errorf("read the PostgreSQL foreign keys: %w", err)
	}
	refs := map[string][]string{}
	var child, parent string
	_, err = pgx.ForEachRow(rows, []any{&child, &parent}, func() error {
		if child != parent {
			refs[child] = append(refs[child], parent)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the PostgreSQL foreign keys: %w", err)
	}
	var out []*table
	done := map[string]bool{}
	for len(out) < len(tables) {
		progress := false
		for _, t := range tables {
			if done[t.name] || slices.ContainsFunc(refs[t.name], func(p string) bool { return !done[p] }) {
				continue
			}
			out, done[t.name], progress = append(out, t), true, true
		}
		if !progress {
			return nil, errors.New("the PostgreSQL foreign keys form a cycle: no table order inserts parents first")
		}
	}
	return out, nil
}

// readSum reads a table back in its order and returns its count and
// checksum. JSON is read as its text, which PostgreSQL keeps as written.
func readSum(ctx context.Context, q querier, t *table) (sum, error) {
	cols := make([]string, len(t.cols))
	for i, c := range t.cols {
		cols[i] = quote(c)
		if t.types[c] == "json" {
			cols[i] += "::text"
		}
	}
	order := make([]string, len(t.order))
	for i, c := range t.order {
		order[i] = quote(c)
		if textual(t.types[c]) {
			order[i] += ` COLLATE "C"`
		}
		order[i] += " NULLS FIRST" // where SQLite puts them
	}
	rows, err := q.Query(ctx, "SELECT "+strings.Join(cols, ", ")+" FROM "+quote(t.name)+
		" ORDER BY "+strings.Join(order, ", "))
	if err != nil {
		return sum{}, fmt.Errorf("read %s from PostgreSQL: %w", t.name, err)
	}
	defer rows.Close()
	c := newChecksum()
	for rows.Next() {
		vals, err := rows.Values()
		if err == nil {
			err = c.add(vals)
		}
		if err != nil {
			return sum{}, fmt.Errorf("read %s from PostgreSQL: %w", t.name, err)
		}
	}
	if err := rows.Err(); err != nil {
		return sum{}, fmt.Errorf("read %s from PostgreSQL: %w", t.name, err)
	}
	return c.sum(), nil
}

// seedSums returns what a freshly migrated database holds in each table
// (the rows migrations insert), learnt by migrating a scratch schema of
// the target database, dropped afterwards.
func seedSums(ctx context.Context, dsn string, tables []*table) (map[string]sum, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("scratch schema: %w", err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "baton_migrate_seed_" + hex.EncodeToString(b[:])
	admin, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("scratch schema: %w", err)
	}
	defer admin.Close(context.WithoutCancel(ctx))
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return nil, fmt.Errorf("create a scratch schema to learn what migrations insert (the role needs CREATE on the database): %w", err)
	}
	defer func() {
		_, _ = admin.Exec(context.WithoutCancel(ctx), "DROP SCHEMA "+schema+" CASCADE") // best effort: a scratch schema
	}()
	cfg.RuntimeParams["search_path"] = schema
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, migrations.Postgres(), goose.WithAllowOutofOrder(true))
	if err == nil {
		_, err = p.Up(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("migrate a scratch schema: %w", err)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("scratch schema: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	sums := map[string]sum{}
	for _, t := range tables {
		if sums[t.name], err = readSum(ctx, conn, t); err != nil {
			return nil, err
		}
	}
	return sums, nil
}
