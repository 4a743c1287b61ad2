package sqlexec

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
)

// cancelGrace is how long a cancelled PostgreSQL query has to stop before
// its connection is dropped.
const cancelGrace = 2 * time.Second

// runPostgres runs the statements on one pgx connection. When ctx ends
// during a query, pgx sends the server a cancel request, so the database
// stops it too.
func runPostgres(ctx context.Context, req Request) (res Result, err error) {
	cfg, err := pgx.ParseConfig(req.DSN)
	if err != nil {
		return res, fmt.Errorf("connection: %w", err)
	}
	if req.Dial != nil {
		cfg.DialFunc = req.Dial
	}
	// On cancel, ask the server to stop the query (pgx's default only
	// drops the connection, which leaves it running), then give up on the
	// connection after cancelGrace.
	cfg.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: c, DeadlineDelay: cancelGrace}
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return res, fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	tx, err := conn.Begin(ctx)
	if err != nil {
		return res, fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if req.Timeout > 0 {
		ms := strconv.FormatInt(max(1, req.Timeout.Milliseconds()), 10)
		if _, err := tx.Exec(ctx, "SELECT set_config('statement_timeout', $1, true)", ms); err != nil {
			return res, fmt.Errorf("statement timeout: %w", err)
		}
	}
	for i, st := range req.Statements {
		last := i == len(req.Statements)-1
		// Values in the server's text format (as psql shows them): pgx's
		// Go values of numeric, uuid, json or interval do not print as such.
		rows, err := tx.Query(ctx, st.SQL, append([]any{pgx.QueryResultFormats{pgx.TextFormatCode}}, args(st.Params)...)...)
		if err != nil {
			return res, fmt.Errorf("statement %d: %w", i+1, err)
		}
		if last {
			for _, f := range rows.FieldDescriptions() {
				res.Columns = append(res.Columns, f.Name)
			}
		}
		keep := collector{max: req.MaxRows, res: &res}
		for rows.Next() {
			if !last {
				continue
			}
			raw := rows.RawValues()
			values := make([]any, len(raw))
			for j, v := range raw {
				if v != nil {
					values[j] = string(v)
				}
			}
			if !keep.add(values) {
				break
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return res, fmt.Errorf("statement %d: %w", i+1, err)
		}
		if !rows.CommandTag().Select() {
			res.RowsAffected += rows.CommandTag().RowsAffected()
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return res, fmt.Errorf("commit: %w", err)
	}
	return res, nil
}
