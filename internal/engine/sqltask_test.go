package engine_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/client/vocab"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/secrets"
	"github.com/baton-sched/baton/internal/store"
)

const sqlTask = `name: load
params:
  day: {default: "2026-01-01"}
tasks:
  - {name: a, run: "a"}
  - name: q
    needs: [a]
    timeout: 5s
    sql:
      connection: warehouse
      max_rows: 10
      statements:
        - "DELETE FROM t WHERE day = $1"
        - query: "INSERT INTO t (day, v) VALUES ($1, $2)"
          params: ["${{ params.day }}", "${{ tasks.a.outputs.v }}"]
`

// An sql task's attempt carries the connection secret's value (masked)
// and the statements with their parameters rendered; the SQL itself is
// not a template.
func TestSQLTaskAssignment(t *testing.T) {
	const dsn = "postgres://u:pw@db.example/w"
	eachStore(t, engine.Config{Secrets: keyRing(t, secrets.NewKey())}, func(t *testing.T, x *env) {
		_, err := x.e.Apply(x.ctx, []engine.Source{{Filename: "l.yaml", Text: []byte(sqlTask)}}, "user:test")
		if !isInvalid(err) || !strings.Contains(err.Error(), `secret "warehouse" does not exist`) {
			t.Fatalf("apply with an unknown connection secret: %v", err)
		}
		if _, err := x.e.SetSecret(x.ctx, "warehouse", dsn, "user:admin"); err != nil {
			t.Fatal(err)
		}
		x.apply(sqlTask)
		x.start("load", nil)
		w := x.worker("a", 10)
		x.finish(w, x.claimOne(w), store.AttemptSucceeded, map[string]string{"v": "'; DROP TABLE t; --"})
		// A worker that does not say it runs sql (older than the claim's
		// kinds) is not given the task; one that does is.
		if as := x.claim(w, 1); len(as) != 0 {
			t.Fatalf("a worker without the sql kind got %+v", as[0])
		}
		as, err := x.e.Claim(x.ctx, engine.ClaimRequest{WorkerID: w.ID, Max: 1, FreeCU: w.Capacity, Kinds: vocab.WorkerKinds})
		if err != nil || len(as) != 1 {
			t.Fatalf("claim with the sql kind: %v, %v", as, err)
		}
		q := as[0]
		want := &client.SQLRequest{DSN: dsn, MaxRows: 10, Statements: []client.SQLStatement{
			{Query: "DELETE FROM t WHERE day = $1"},
			{Query: "INSERT INTO t (day, v) VALUES ($1, $2)", Params: []string{"2026-01-01", "'; DROP TABLE t; --"}}}}
		if diff := cmp.Diff(want, sqlOf(q.Payload)); diff != "" || q.Kind != vocab.KindSQL || q.Command != "" {
			t.Errorf("kind %s, command %q, sql (-want +got):\n%s", q.Kind, q.Command, diff)
		}
		if !slices.Contains(q.Mask, dsn) {
			t.Errorf("mask %q does not hide the connection", q.Mask)
		}
	})
}
