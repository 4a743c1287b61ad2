package workflow

import (
	"strings"
	"testing"

	"github.com/baton-sched/baton/internal/kinds/sql"
	"github.com/google/go-cmp/cmp"
)

func TestSQLTask(t *testing.T) {
	d, err := Parse("s.yaml", []byte(`name: s
tasks:
  - name: q
    sql:
      connection: warehouse
      statements:
        - "SELECT 1"
        - {query: "INSERT INTO t VALUES ($1, $2)", params: ["${{ params.day }}", 3]}
params:
  day: {default: x}
`))
	if err != nil {
		t.Fatal(err)
	}
	want := &sql.Block{Connection: "warehouse", Statements: []sql.Statement{{Query: "SELECT 1"},
		{Query: "INSERT INTO t VALUES ($1, $2)", Params: []string{"${{ params.day }}", "3"}}}}
	n := d.Graph().Nodes[0]
	if diff := cmp.Diff(want, n.Spec); diff != "" {
		t.Errorf("sql (-want +got):\n%s", diff)
	}
	if got := n.SecretRefs(); len(got) != 1 || got[0] != "warehouse" {
		t.Errorf("secret refs %q, want the connection", got)
	}
}

func TestSQLTaskBad(t *testing.T) {
	for _, tc := range []struct{ task, want string }{
		{`{name: q, run: x, sql: {connection: c, statements: ["SELECT 1"]}}`, "tasks[0].sql: an sql task runs no command"},
		{`{name: q, sql: {connection: "1c", statements: ["SELECT 1"]}}`, "tasks[0].sql.connection: \"1c\" cannot name a secret"},
		{`{name: q, sql: {connection: c}}`, "statements"},
		{`{name: q, sql: {connection: c, statements: []}}`, "tasks[0].sql.statements"},
		{`{name: q, sql: {connection: c, statements: ["SELECT 1"], max_rows: 5000}}`, "tasks[0].sql.max_rows"},
		{`{name: q, sql: {connection: c, statements: [{query: "SELECT $1", params: ["${{ params.nope }}"]}]}}`, "tasks[0].sql.statements[0].params[0]"},
	} {
		_, err := Parse("s.yaml", []byte("name: s\ntasks:\n  - "+tc.task+"\n"))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want %q", tc.task, err, tc.want)
		}
	}
}
