package worker

import (
	"slices"
	"testing"

	"github.com/baton-sched/baton/client/vocab"
)

// Every worker kind of the protocol has an executor; no kind falls back
// to running a command.
func TestExecutors(t *testing.T) {
	for _, k := range vocab.WorkerKinds {
		if _, unknown := executorOf(k).(unknownExecutor); unknown {
			t.Errorf("kind %s: no executor", k)
		}
	}
	if !slices.Equal(executorKinds(), slices.Sorted(slices.Values(vocab.WorkerKinds))) {
		t.Errorf("the claim says the worker runs %q, want %q", executorKinds(), vocab.WorkerKinds)
	}
	if _, ok := executorOf("").(shellExecutor); !ok {
		t.Error("an assignment without a kind is not run as shell")
	}
	if u, ok := executorOf("nope").(unknownExecutor); !ok || u.kind != "nope" {
		t.Errorf("unknown kind: executor %#v", executorOf("nope"))
	}
}
