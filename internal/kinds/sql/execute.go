package sql

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/egress"
	"github.com/baton-sched/baton/internal/taskkind"
	"github.com/baton-sched/baton/internal/worker/sqlexec"
)

// maxRowsJSON bounds the "rows" output of an sql task.
const maxRowsJSON = 64 << 10

// execute runs the statements in one transaction, with outputs
// rows_affected, columns, rows (JSON), row_count and truncated. A kill
// order cancels the query on the database.
func execute(ctx context.Context, x taskkind.Execution) taskkind.Result {
	start := time.Now()
	res := run(ctx, x)
	// The database's statement timeout ends the query a moment before
	// the context's deadline.
	res.TimedOut = res.Failure != "" && x.Timeout() > 0 && time.Since(start) >= x.Timeout()
	return res
}

func run(ctx context.Context, x taskkind.Execution) taskkind.Result {
	var q client.SQLRequest
	if err := x.Payload(&q); err != nil {
		return taskkind.Result{Failure: "sql attempt without statements"}
	}
	driver, dsn := sqlexec.DSNDriver(q.DSN)
	req := sqlexec.Request{Driver: driver, DSN: dsn, MaxRows: q.MaxRows, Timeout: x.Timeout(), Dial: x.Dial}
	for _, st := range q.Statements {
		req.Statements = append(req.Statements, sqlexec.Statement{SQL: st.Query, Params: st.Params})
	}
	start := time.Now()
	res, err := sqlexec.Run(ctx, req)
	var dial *net.OpError
	if errors.As(err, &dial) && dial.Op == "dial" {
		// As for http tasks, the task's log tells no refused address from
		// a closed port; the worker's log has the cause.
		x.Log().Warn("sql task cannot connect", "err", egress.Detail(dial))
		err = fmt.Errorf("connect: %w", egress.Opaque(ctx, err))
	}
	if err != nil {
		x.Note(fmt.Sprintf("%s: %v", driver, err))
		return taskkind.Result{Failure: err.Error()}
	}
	x.Note(fmt.Sprintf("%s: %d statements, %d rows affected, %d rows kept in %v", driver,
		len(req.Statements), res.RowsAffected, len(res.Rows), time.Since(start).Round(time.Millisecond)))
	return taskkind.Result{Outputs: outputs(res)}
}

// outputs are an sql task's outputs; rows are dropped from the end until
// their JSON fits maxRowsJSON.
func outputs(res sqlexec.Result) map[string]string {
	rows := res.Rows
	if rows == nil {
		rows = [][]string{}
	}
	body, _ := json.Marshal(rows)
	for len(body) > maxRowsJSON && len(rows) > 0 {
		rows = rows[:len(rows)*3/4]
		res.Truncated = true
		body, _ = json.Marshal(rows)
	}
	cols, _ := json.Marshal(res.Columns)
	if res.Columns == nil {
		cols = []byte("[]")
	}
	return map[string]string{
		"rows_affected": strconv.FormatInt(res.RowsAffected, 10), "columns": string(cols), "rows": string(body),
		"row_count": strconv.Itoa(len(rows)), "truncated": strconv.FormatBool(res.Truncated),
	}
}
