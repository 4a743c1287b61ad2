package worker

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/client/vocab"
	"github.com/baton-sched/baton/internal/egress"
	"github.com/baton-sched/baton/internal/store/storetest"
)

func TestAgentRunsSQLTasks(t *testing.T) {
	dsn := storetest.CreateDatabase(t)
	x := newAgentTest(t, func(c *Config) { c.Egress = allowLoopback(t) })
	req := func(id int64, timeout time.Duration, sts ...client.SQLStatement) client.Assignment {
		a := x.assignment(id, "")
		a.Kind, a.Timeout, a.Mask = vocab.KindSQL, timeout, []string{dsn}
		a.SQL = &client.SQLRequest{DSN: dsn, Statements: sts, MaxRows: 5}
		return a
	}
	x.fake.enqueue(req(201, 0,
		client.SQLStatement{Query: "CREATE TABLE t (id int, v text)"},
		client.SQLStatement{Query: "INSERT INTO t VALUES ($1, $2), (2, 'b')", Params: []string{"1", "'; DROP TABLE t; --"}},
		client.SQLStatement{Query: "SELECT id, v FROM t ORDER BY id"}))
	got := x.fake.waitReport(t, 201, "finish").Report
	want := client.Report{AttemptID: 201, Kind: "finish", State: vocab.AttemptSucceeded, Outputs: map[string]string{
		"rows_affected": "2", "columns": `["id","v"]`, "rows": `[["1","'; DROP TABLE t; --"],["2","b"]]`,
		"row_count": "2", "truncated": "false"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("finish (-want +got):\n%s", diff)
	}
	x.fake.enqueue(req(202, 0, client.SQLStatement{Query: "SELECT * FROM nope"}),
		req(203, 300*time.Millisecond, client.SQLStatement{Query: "SELECT pg_sleep(30)"}))
	if r := x.fake.waitReport(t, 202, "finish").Report; r.State != vocab.AttemptFailed ||
		!strings.Contains(r.Reason, `relation "nope" does not exist`) {
		t.Errorf("bad query: %+v, want failed with the database's message", r)
	}
	if r := x.fake.waitReport(t, 203, "finish").Report; r.State != vocab.AttemptTimedOut {
		t.Errorf("sleep past the timeout: %+v, want timed_out", r)
	}
}

// The worker's egress policy applies to sql connections as to http tasks.
func TestAgentSQLEgress(t *testing.T) {
	x := newAgentTest(t, nil) // the default policy: no loopback
	a := x.assignment(301, "")
	a.Kind = vocab.KindSQL
	a.SQL = &client.SQLRequest{DSN: storetest.AdminDSN(), Statements: []client.SQLStatement{{Query: "SELECT 1"}}}
	x.fake.enqueue(a)
	if r := x.fake.waitReport(t, 301, "finish").Report; r.State != vocab.AttemptFailed || r.Reason != "connect: "+egress.ErrFailed.Error() {
		t.Errorf("sql to loopback under the default policy: %+v, want failed to connect", r)
	}
}
