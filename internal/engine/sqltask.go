package engine

import (
	"fmt"

	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/workflow"
)

// SQLRequest is what the worker runs for an sql task, rendered: the
// connection's DSN (the value of the task's connection secret) and the
// statements with their parameters.
type SQLRequest struct {
	DSN        string
	Statements []SQLStatement
	MaxRows    int
}

// SQLStatement is one statement with its rendered parameters.
type SQLStatement struct {
	Query  string
	Params []string
}

// prepareSQL renders the parameters and reads the connection secret; its
// value travels to the worker only inside the assignment, masked.
func prepareSQL(o *op, rs *runScope, c store.Candidate, n workflow.Node, asg *Assignment) (bool, error) {
	req, scope, err := o.renderSQL(rs, n, asg.Number)
	if ok, err := o.failUnrenderable(rs, c, err); !ok || err != nil {
		return false, err
	}
	asg.SQL, asg.Mask = req, masks(scope)
	return true, nil
}

func (o *op) renderSQL(rs *runScope, n workflow.Node, number int64) (*SQLRequest, workflow.Scope, error) {
	scope, err := o.scope(rs, n, number)
	if err != nil {
		return nil, scope, err
	}
	dsn, ok := scope.Secrets[n.SQL.Connection]
	if !ok {
		return nil, scope, &renderError{fmt.Errorf("sql.connection: secret %q does not exist", n.SQL.Connection)}
	}
	req := &SQLRequest{DSN: dsn, MaxRows: n.SQL.MaxRows, Statements: make([]SQLStatement, len(n.SQL.Statements))}
	for i, st := range n.SQL.Statements {
		req.Statements[i].Query = st.Query
		for j, p := range st.Params {
			v, err := workflow.Render(p, scope)
			if err != nil {
				return nil, scope, &renderError{fmt.Errorf("sql.statements[%d].params[%d]: %w", i, j, err)}
			}
			req.Statements[i].Params = append(req.Statements[i].Params, v)
		}
	}
	return req, scope, nil
}
