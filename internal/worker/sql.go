package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/baton-sched/baton/internal/egress"
	"github.com/baton-sched/baton/internal/worker/sqlexec"
)

// maxSQLRowsJSON bounds the "rows" output of an sql task.
const maxSQLRowsJSON = 64 << 10

// sqlExecutor runs an sql attempt's statements (sqlexec).
type sqlExecutor struct{}

// Run runs the statements in one transaction and reports how it went, with
// outputs rows_affected, columns, rows (JSON), row_count and truncated.
// A kill order cancels the query on the database.
func (sqlExecutor) Run(a *Agent, at *attempt, _ time.Duration, log *slog.Logger) {
	a.inProcess(at, log, at.asg.Timeout, func(ctx context.Context) (exitResult, map[string]string, bool) {
		start := time.Now()
		res, outputs := a.runSQL(ctx, at)
		// The database's statement timeout ends the query a moment before
		// the context's deadline.
		timedOut := res.ShimError != "" && at.asg.Timeout > 0 && time.Since(start) >= at.asg.Timeout
		return res, outputs, timedOut
	})
}

// runSQL runs the statements; a result with ShimError is a failure with
// the database's message.
func (a *Agent) runSQL(ctx context.Context, at *attempt) (exitResult, map[string]string) {
	q := at.asg.SQL
	id := at.asg.AttemptID
	if q == nil {
		return exitResult{ShimError: "sql attempt without statements"}, nil
	}
	driver, dsn := sqlexec.DSNDriver(q.DSN)
	req := sqlexec.Request{Driver: driver, DSN: dsn, MaxRows: q.MaxRows, Timeout: at.asg.Timeout,
		Dial: a.cfg.Egress.Dialer().DialContext}
	for _, st := range q.Statements {
		req.Statements = append(req.Statements, sqlexec.Statement{SQL: st.Query, Params: st.Params})
	}
	start := time.Now()
	res, err := sqlexec.Run(ctx, req)
	var dial *net.OpError
	if errors.As(err, &dial) && dial.Op == "dial" {
		// As for http tasks, the task's log tells no refused address from
		// a closed port; the worker's log has the cause.
		a.log.Warn("sql task cannot connect", "attempt_id", id, "err", egress.Detail(dial))
		err = fmt.Errorf("connect: %w", egress.Opaque(ctx, err))
	}
	if err != nil {
		a.logs.note(id, fmt.Sprintf("%s: %v", driver, err))
		return exitResult{ShimError: err.Error()}, nil
	}
	a.logs.note(id, fmt.Sprintf("%s: %d statements, %d rows affected, %d rows kept in %v", driver,
		len(req.Statements), res.RowsAffected, len(res.Rows), time.Since(start).Round(time.Millisecond)))
	return exitResult{}, sqlOutputs(res)
}

// sqlOutputs are an sql task's outputs; rows are dropped from the end
// until their JSON fits maxSQLRowsJSON.
func sqlOutputs(res sqlexec.Result) map[string]string {
	rows := res.Rows
	if rows == nil {
		rows = [][]string{}
	}
	body, _ := json.Marshal(rows)
	for len(body) > maxSQLRowsJSON && len(rows) > 0 {
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
