package sqlexec

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"github.com/go-sql-driver/mysql"
)

// killTimeout bounds the KILL QUERY sent when a MySQL statement is
// cancelled.
const killTimeout = 5 * time.Second

// runMySQL runs the statements on one connection. The driver only drops
// its connection when ctx ends, which leaves the query running on the
// server, so a second connection sends KILL QUERY for it.
func runMySQL(ctx context.Context, req Request) (res Result, err error) {
	cfg, err := mysql.ParseDSN(req.DSN)
	if err != nil {
		return res, fmt.Errorf("connection: %w", err)
	}
	if req.Dial != nil {
		cfg.DialFunc = req.Dial
	}
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return res, fmt.Errorf("connection: %w", err)
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	db.SetMaxOpenConns(2) // the task's connection and the one that kills its query
	conn, err := db.Conn(ctx)
	if err != nil {
		return res, fmt.Errorf("connect: %w", err)
	}
	defer conn.Close()
	var id int64
	if err := conn.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&id); err != nil {
		return res, fmt.Errorf("connect: %w", err)
	}
	// DDL commits the transaction; with autocommit on, the statements
	// after it would each commit on their own, out of the rollback's reach.
	if _, err := conn.ExecContext(ctx, "SET autocommit = 0"); err != nil {
		return res, fmt.Errorf("connect: %w", err)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return res, fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	for i, st := range req.Statements {
		if err := statement(ctx, db, id, tx, st, i == len(req.Statements)-1, req, &res); err != nil {
			return res, fmt.Errorf("statement %d: %w", i+1, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return res, fmt.Errorf("commit: %w", err)
	}
	return res, nil
}

// statement runs one statement within req.Timeout, killing its query on
// the server (connection id) when ctx ends or the time is up.
func statement(ctx context.Context, db *sql.DB, id int64, tx *sql.Tx, st Statement, last bool, req Request, res *Result) error {
	if req.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, req.Timeout)
		defer cancel()
	}
	killed := make(chan struct{})
	stop := context.AfterFunc(ctx, func() { defer close(killed); kill(db, id) })
	err := mysqlStatement(ctx, tx, st, last, req.MaxRows, res)
	// The kill is done before returning: the caller closes db next, which
	// would refuse it, and the query would run on. The driver may return
	// on ctx's end before the kill started, which then never starts.
	switch {
	case !stop():
		<-killed
	case ctx.Err() != nil:
		kill(db, id)
	}
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("%w (%w)", ctx.Err(), err)
	}
	return err
}

// mysqlStatement runs one statement, keeping the rows of the last.
func mysqlStatement(ctx context.Context, tx *sql.Tx, st Statement, last bool, maxRows int, res *Result) error {
	if !last {
		r, err := tx.ExecContext(ctx, st.SQL, args(st.Params)...)
		if err != nil {
			return err
		}
		n, _ := r.RowsAffected()
		res.RowsAffected += n
		return nil
	}
	rows, err := tx.QueryContext(ctx, st.SQL, args(st.Params)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	if len(cols) == 0 { // no result set: a write
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		return affected(ctx, tx, res)
	}
	res.Columns = cols
	keep := collector{max: maxRows, res: res}
	values := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range values {
		ptrs[i] = &values[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		if !keep.add(values) {
			break
		}
	}
	return rows.Err()
}

// affected adds the rows the statement just run changed (ROW_COUNT(),
// -1 after a statement that changes none).
func affected(ctx context.Context, tx *sql.Tx, res *Result) error {
	var n int64
	if err := tx.QueryRowContext(ctx, "SELECT ROW_COUNT()").Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		res.RowsAffected += n
	}
	return nil
}

// kill stops the query of connection id on the server.
func kill(db *sql.DB, id int64) {
	ctx, cancel := context.WithTimeout(context.Background(), killTimeout)
	defer cancel()
	_, _ = db.ExecContext(ctx, "KILL QUERY "+strconv.FormatInt(id, 10))
}
