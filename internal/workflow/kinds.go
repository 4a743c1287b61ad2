package workflow

import "github.com/baton-sched/baton/client/vocab"

// KindSpec is what the definition layer knows of a task kind: its name
// (client/vocab), the key of its block in a task, and where its tasks run.
// Each kind's block is decoded and checked in decode.go (one case each,
// with its field paths) and rendered in template.go; the engine prepares
// worker kinds in claim.go and starts server kinds through its
// ServerKinds table; the worker runs worker kinds with an Executor.
type KindSpec struct {
	Name string
	// Block is the task key that selects the kind: run, noop, http, sql,
	// workflow or approval.
	Block string
	// Group is, for a kind the servers run, the group its tasks queue in:
	// no worker serves it (worker groups may not start with "@"), so the
	// tasks hold no worker capacity. '' for worker kinds.
	Group string
}

// Server reports whether the servers run the kind's tasks, not workers.
func (k KindSpec) Server() bool { return k.Group != "" }

// Kinds lists every task kind, in the order a task's blocks are looked
// for.
var Kinds = []KindSpec{
	{Name: vocab.KindNoop, Block: "noop"},
	{Name: vocab.KindHTTP, Block: "http"},
	{Name: vocab.KindSQL, Block: "sql"},
	{Name: vocab.KindWorkflow, Block: "workflow", Group: SubWorkflowGroup},
	{Name: vocab.KindApproval, Block: "approval", Group: ApprovalGroup},
	{Name: vocab.KindShell, Block: "run"},
}

// KindOf returns the spec of the kind named name; ok is false for an
// unknown name.
func KindOf(name string) (KindSpec, bool) {
	for _, k := range Kinds {
		if k.Name == name {
			return k, true
		}
	}
	return KindSpec{}, false
}

// Kind returns the name of the task's kind, from the block it gives
// (Parse allows exactly one).
func (t Task) Kind() string { return kindOf(t.Noop, t.HTTP, t.SQL, t.Workflow, t.Approval) }

// Kind returns the name of the node's kind.
func (n Node) Kind() string { return kindOf(n.Noop, n.HTTP, n.SQL, n.Workflow, n.Approval) }

func kindOf(noop bool, h *HTTP, q *SQL, workflow string, a *Approval) string {
	switch {
	case noop:
		return vocab.KindNoop
	case h != nil:
		return vocab.KindHTTP
	case q != nil:
		return vocab.KindSQL
	case workflow != "":
		return vocab.KindWorkflow
	case a != nil:
		return vocab.KindApproval
	}
	return vocab.KindShell
}
