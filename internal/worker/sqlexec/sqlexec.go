// Package sqlexec runs the statements of an sql task against PostgreSQL
// (pgx) or MySQL/MariaDB (go-sql-driver/mysql): in one transaction, with
// parameters bound as query parameters (never spliced into the SQL), a
// statement timeout, and the first rows of the last statement kept. When
// the context ends, the query is cancelled on the database too.
package sqlexec

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// Drivers.
const (
	Postgres = "postgres"
	MySQL    = "mysql"
)

// DefaultMaxRows bounds the rows kept when a request sets no bound.
const DefaultMaxRows = 100

// Statement is one SQL statement and its parameters ($1... on PostgreSQL,
// ? on MySQL).
type Statement struct {
	SQL    string
	Params []string
}

// Request is what to run.
type Request struct {
	// Driver is Postgres or MySQL; DSNDriver tells it from a DSN.
	Driver string
	// DSN is the connection: a postgres:// URL, or a go-sql-driver DSN
	// (user:password@tcp(host:port)/db) for MySQL.
	DSN        string
	Statements []Statement
	// MaxRows bounds the rows of the last statement that are kept.
	MaxRows int
	// Timeout bounds every statement on the database (statement_timeout
	// on PostgreSQL); 0 for none. The context's deadline still applies.
	Timeout time.Duration
	// Dial opens the connections (the worker's egress policy); nil for
	// the drivers' own.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Result is how the statements went.
type Result struct {
	RowsAffected int64      // over every statement
	Columns      []string   // of the last statement, if it returned rows
	Rows         [][]string // its first rows, values as text; NULL is ""
	Truncated    bool       // the last statement returned more than MaxRows
}

// DSNDriver tells the driver from a DSN: postgres:// and postgresql://
// URLs are PostgreSQL, mysql:// and go-sql-driver DSNs are MySQL (the
// mysql:// prefix is dropped).
func DSNDriver(dsn string) (driver, rest string) {
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return Postgres, dsn
	case strings.HasPrefix(dsn, "mysql://"):
		return MySQL, strings.TrimPrefix(dsn, "mysql://")
	}
	return MySQL, dsn
}

// Run runs req's statements in one transaction, committed when all
// succeed. An error carries the database's message.
func Run(ctx context.Context, req Request) (Result, error) {
	if len(req.Statements) == 0 {
		return Result{}, errors.New("no statements")
	}
	if req.MaxRows <= 0 {
		req.MaxRows = DefaultMaxRows
	}
	switch req.Driver {
	case Postgres:
		return runPostgres(ctx, req)
	case MySQL:
		return runMySQL(ctx, req)
	}
	return Result{}, fmt.Errorf("unknown driver %q", req.Driver)
}

// collector keeps the first rows of a statement.
type collector struct {
	max int
	res *Result
}

// add keeps one row's values (as text); it returns false once the bound
// is passed, so the caller stops reading.
func (c collector) add(values []any) bool {
	if len(c.res.Rows) >= c.max {
		c.res.Truncated = true
		return false
	}
	row := make([]string, len(values))
	for i, v := range values {
		row[i] = text(v)
	}
	c.res.Rows = append(c.res.Rows, row)
	return true
}

func text(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case []byte:
		return string(v)
	case string:
		return v
	case time.Time:
		return v.Format(time.RFC3339Nano)
	}
	return fmt.Sprint(v)
}

// args turns parameters into driver arguments.
func args(params []string) []any {
	out := make([]any, len(params))
	for i, p := range params {
		out[i] = p
	}
	return out
}
