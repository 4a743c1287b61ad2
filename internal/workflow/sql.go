package workflow

import "strconv"

// SQL makes a task run SQL statements against PostgreSQL or
// MySQL/MariaDB instead of a command: a worker runs them in one
// transaction. The connection comes from a secret; statements are not
// templates, their parameters are (bound as query parameters, never
// spliced into the SQL).
type SQL struct {
	// Connection names the secret whose value is the DSN: a postgres://
	// URL, or mysql://user:password@tcp(host:port)/db.
	Connection string `json:"connection"`
	// Statements run in order in one transaction.
	Statements []SQLStatement `json:"statements"`
	// MaxRows bounds the rows of the last statement kept as the "rows"
	// output (default 100, at most MaxSQLRows).
	MaxRows int `json:"max_rows,omitempty"`
}

// SQLStatement is one statement with its parameters ($1, $2... on
// PostgreSQL, ? on MySQL), which are templates.
type SQLStatement struct {
	Query  string   `json:"query"`
	Params []string `json:"params,omitempty"`
}

// MaxSQLRows bounds an sql task's max_rows.
const MaxSQLRows = 1000

// decodeSQL reads a task's sql block (nil when there is none); the schema
// checked its shape.
func (v *validator) decodeSQL(val any, p path) *SQL {
	m, ok := val.(map[string]any)
	if !ok {
		return nil
	}
	s := &SQL{}
	s.Connection, _ = m["connection"].(string)
	switch c := s.Connection; {
	case !validSecretName(c):
		v.ps.add(p.key("connection"), "%q cannot name a secret (letters, digits, _ and -, not starting with a digit or -)", c)
	case v.secretExists != nil && !v.secretExists(c):
		v.ps.add(p.key("connection"), "secret %q does not exist (set it with: baton secret set %s)", c, c)
	}
	if s.MaxRows > MaxSQLRows {
		v.ps.add(p.key("max_rows"), "at most %d, got %d", MaxSQLRows, s.MaxRows)
	}
	s.MaxRows, _ = integer(m["max_rows"])
	sts, _ := m["statements"].([]any)
	for i, st := range sts {
		var q SQLStatement
		switch st := st.(type) {
		case string:
			q.Query = st
		case map[string]any:
			q.Query, _ = st["query"].(string)
			ps, _ := st["params"].([]any)
			for _, pv := range ps {
				text, _ := scalarString(pv)
				q.Params = append(q.Params, text)
			}
		}
		if q.Query == "" {
			v.ps.add(p.key("statements").index(i), "must not be empty")
		}
		s.Statements = append(s.Statements, q)
	}
	return s
}

// templates returns the block's templates (its parameters) by field path.
func (s *SQL) templates(p path) map[string]tmplField {
	out := map[string]tmplField{}
	for i, st := range s.Statements {
		for j, v := range st.Params {
			out["statements."+strconv.Itoa(i)+".params."+strconv.Itoa(j)] = tmplField{v, p.key("statements").index(i).key("params").index(j)}
		}
	}
	return out
}
