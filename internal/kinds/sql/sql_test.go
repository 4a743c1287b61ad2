package sql

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/taskkind/kindtest"
	"github.com/google/go-cmp/cmp"
)

func TestDecodeAndPrepare(t *testing.T) {
	task := map[string]any{"sql": map[string]any{"connection": "db", "max_rows": json.Number("5"), "statements": []any{
		"SELECT 1", map[string]any{"query": "SELECT $1", "params": []any{"${{ params.day }}", json.Number("3")}}}}}
	d := &kindtest.Decoder{Secrets: map[string]bool{"db": true}}
	s := decode(d, task)
	if len(d.Problems) != 0 {
		t.Fatalf("problems %q", d.Problems)
	}
	if su := s.(*Block).Secrets(); len(su) != 1 || su[0] != "db" {
		t.Errorf("secrets %q", su)
	}
	r := kindtest.Renderer{Values: map[string]string{"params.day": "d1"}, Secrets: map[string]string{"db": "postgres://x"}}
	p, err := prepare(r, s)
	want := &client.SQLRequest{DSN: "postgres://x", MaxRows: 5, Statements: []client.SQLStatement{{Query: "SELECT 1"},
		{Query: "SELECT $1", Params: []string{"d1", "3"}}}}
	if diff := cmp.Diff(want, p.Payload); diff != "" || err != nil {
		t.Errorf("payload (-want +got):\n%s\n%v", diff, err)
	}
	if _, err := prepare(kindtest.Renderer{}, s); err == nil || err.Error() != `sql.connection: secret "db" does not exist` {
		t.Errorf("missing connection secret: %v", err)
	}
	d = &kindtest.Decoder{Secrets: map[string]bool{}}
	decode(d, map[string]any{"sql": map[string]any{"connection": "gone", "statements": []any{map[string]any{}}}})
	if len(d.Problems) != 2 || !strings.HasPrefix(d.Problems[0], `sql.connection: secret "gone" does not exist`) ||
		d.Problems[1] != "sql.statements[0]: must not be empty" {
		t.Errorf("problems %q", d.Problems)
	}
}
