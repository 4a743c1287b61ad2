// Package sql is the sql task kind: a worker runs SQL statements against
// PostgreSQL or MySQL/MariaDB in one transaction. The connection comes
// from a secret; statements are not templates, their parameters are
// (bound as query parameters, never spliced into the SQL).
package sql

import (
	"fmt"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/client/vocab"
	"github.com/baton-sched/baton/internal/taskkind"
)

func init() {
	taskkind.Register(taskkind.Kind{
		Name: vocab.KindSQL, Block: "sql", Rank: 40,
		Conflict: "an sql task runs no command: give one of run, noop, http, workflow and sql",
		Decode:   decode,
		New:      func() taskkind.Spec { return &Block{} },
		Prepare:  prepare,
		Execute:  execute,
		Outputs:  []string{"rows_affected", "columns", "rows", "row_count", "truncated"},
	})
}

// Block is a task's sql block.
type Block struct {
	// Connection names the secret whose value is the DSN: a postgres://
	// URL, or mysql://user:password@tcp(host:port)/db.
	Connection string `json:"connection"`
	// Statements run in order in one transaction.
	Statements []Statement `json:"statements"`
	// MaxRows bounds the rows of the last statement kept as the "rows"
	// output (default 100, at most MaxRows).
	MaxRows int `json:"max_rows,omitempty"`
}

// Statement is one statement with its parameters ($1, $2... on
// PostgreSQL, ? on MySQL), which are templates.
type Statement struct {
	Query  string   `json:"query"`
	Params []string `json:"params,omitempty"`
}

// MaxRows bounds an sql task's max_rows.
const MaxRows = 1000

var block = taskkind.P("sql")

// decode reads a task's sql block (nil when there is none); the schema
// checked its shape.
func decode(d taskkind.Decoder, task map[string]any) taskkind.Spec {
	m, ok := task["sql"].(map[string]any)
	if !ok {
		return nil
	}
	s := &Block{}
	s.Connection, _ = m["connection"].(string)
	switch c := s.Connection; {
	case !taskkind.ValidSecretName(c):
		d.Problem(block.Key("connection"), "%q cannot name a secret (letters, digits, _ and -, not starting with a digit or -)", c)
	case !d.SecretExists(c):
		d.Problem(block.Key("connection"), "secret %q does not exist (set it with: baton secret set %s)", c, c)
	}
	s.MaxRows, _ = taskkind.Integer(m["max_rows"]) // the schema bounds it by MaxRows
	sts, _ := m["statements"].([]any)
	for i, st := range sts {
		var q Statement
		switch st := st.(type) {
		case string:
			q.Query = st
		case map[string]any:
			q.Query, _ = st["query"].(string)
			ps, _ := st["params"].([]any)
			for _, pv := range ps {
				text, _ := taskkind.Scalar(pv)
				q.Params = append(q.Params, text)
			}
		}
		if q.Query == "" {
			d.Problem(block.Key("statements").Index(i), "must not be empty")
		}
		s.Statements = append(s.Statements, q)
	}
	return s
}

// Templates are the statements' parameters; secrets are allowed.
func (s *Block) Templates() []taskkind.Template {
	var out []taskkind.Template
	for i, st := range s.Statements {
		for j, v := range st.Params {
			out = append(out, taskkind.Template{Path: block.Key("statements").Index(i).Key("params").Index(j), Text: v, Secrets: true})
		}
	}
	return out
}

// Secrets is the connection's secret.
func (s *Block) Secrets() []string { return []string{s.Connection} }

// Keys writes the block under "sql".
func (s *Block) Keys() []taskkind.KeyValue { return []taskkind.KeyValue{{Key: "sql", Value: s}} }

// prepare renders the parameters and reads the connection secret; its
// value travels to the worker only inside the assignment, masked.
func prepare(r taskkind.Renderer, spec taskkind.Spec) (taskkind.Prepared, error) {
	s := spec.(*Block)
	dsn, ok := r.Secret(s.Connection)
	if !ok {
		return taskkind.Prepared{}, fmt.Errorf("sql.connection: secret %q does not exist", s.Connection)
	}
	req := &client.SQLRequest{DSN: dsn, MaxRows: s.MaxRows, Statements: make([]client.SQLStatement, len(s.Statements))}
	for i, st := range s.Statements {
		req.Statements[i].Query = st.Query
		for j, p := range st.Params {
			v, err := r.Render(block.Key("statements").Index(i).Key("params").Index(j), p)
			if err != nil {
				return taskkind.Prepared{}, err
			}
			req.Statements[i].Params = append(req.Statements[i].Params, v)
		}
	}
	return taskkind.Prepared{Payload: req}, nil
}
