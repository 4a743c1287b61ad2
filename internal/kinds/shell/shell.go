// Package shell names the shell task kind, selected by a task's "run"
// key. Its command is built in: workflow keeps it as Task.Run and renders
// it with RenderCommand (its expressions travel as environment variables,
// never as shell text), and the worker runs it under its shim, which
// holds the process group, the lease and the checkpoints. The kind is
// registered so that the registry lists every kind.
package shell

import (
	"github.com/baton-sched/baton/client/vocab"
	"github.com/baton-sched/baton/internal/taskkind"
)

func init() {
	taskkind.Register(taskkind.Kind{Name: vocab.KindShell, Block: "run", Rank: 1000})
}
