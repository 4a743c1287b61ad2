// Package all registers every task kind: the layers that handle tasks
// (workflow, engine, worker) import it, so that a kind is one package
// added here.
package all

import (
	_ "github.com/baton-sched/baton/internal/kinds/approval"
	_ "github.com/baton-sched/baton/internal/kinds/http"
	_ "github.com/baton-sched/baton/internal/kinds/noop"
	_ "github.com/baton-sched/baton/internal/kinds/shell"
	_ "github.com/baton-sched/baton/internal/kinds/sql"
	_ "github.com/baton-sched/baton/internal/kinds/subworkflow"
	_ "github.com/baton-sched/baton/internal/kinds/wait"
)
