// Package approval is the block of the approval task kind: the task
// waits for a person with the operator role to approve it (it succeeds)
// or reject it (it fails, no retry), or for its timeout's default. The
// servers run it (its group is "@approval"): the engine's start function
// for the kind renders the message with Prepare, records the pending
// approval and emits approval.requested (internal/engine/approval.go).
package approval

import (
	"time"
	"unicode/utf8"

	"github.com/baton-sched/baton/client/vocab"
	"github.com/baton-sched/baton/internal/taskkind"
)

// Group is the group of approval tasks: no worker serves it.
const Group = "@approval"

// MaxMessage bounds an approval's message, in characters.
const MaxMessage = 2000

func init() {
	taskkind.Register(taskkind.Kind{
		Name: vocab.KindApproval, Block: "approval", Rank: 40, Group: Group,
		Conflict: "an approval task runs no command: give one of run, noop, http, workflow, sql and approval",
		Decode:   decode,
		New:      func() taskkind.Spec { return &Block{} },
		Prepare:  prepare,
		Outputs:  []string{"decided_by", "note"},
	})
}

// Block is an approval task's block.
type Block struct {
	// Message says what is to be approved, a template.
	Message string `json:"message"`
	// Timeout, when set, bounds the wait; Default then decides.
	Timeout taskkind.Duration `json:"timeout,omitzero"`
	// Default is the outcome on timeout: vocab.DecisionReject or
	// vocab.DecisionApprove; required with Timeout, refused without.
	Default string `json:"default,omitempty"`
}

func decode(d taskkind.Decoder, task map[string]any) taskkind.Spec {
	m, ok := task["approval"].(map[string]any)
	if !ok {
		return nil
	}
	b := &Block{}
	b.Message, _ = m["message"].(string)
	if n := utf8.RuneCountInString(b.Message); n > MaxMessage {
		d.Problem(taskkind.P("approval", "message"), "is %d characters long, at most %d allowed", n, MaxMessage)
	}
	s, hasTimeout := m["timeout"].(string)
	if hasTimeout {
		if t, err := taskkind.ParseDuration(s); err != nil {
			d.Problem(taskkind.P("approval", "timeout"), "%v", err)
		} else if time.Duration(t) <= 0 {
			d.Problem(taskkind.P("approval", "timeout"), "must be longer than 0")
		} else {
			b.Timeout = t
		}
	}
	b.Default, _ = m["default"].(string)
	switch {
	case hasTimeout && b.Default == "":
		d.Problem(taskkind.P("approval", "default"), "missing: with a timeout, say what happens when it passes (approve or reject)")
	case !hasTimeout && b.Default != "":
		d.Problem(taskkind.P("approval", "default"), "applies on timeout: give timeout too, or remove default")
	}
	return b
}

// Templates is the message; no secrets (it is shown to every viewer).
func (b *Block) Templates() []taskkind.Template {
	return []taskkind.Template{{Path: taskkind.P("approval", "message"), Text: b.Message}}
}

// Keys writes the task key "approval".
func (b *Block) Keys() []taskkind.KeyValue { return []taskkind.KeyValue{{Key: "approval", Value: b}} }

// prepare renders the message: the payload is a string.
func prepare(r taskkind.Renderer, s taskkind.Spec) (taskkind.Prepared, error) {
	msg, err := r.Render(taskkind.P("approval", "message"), s.(*Block).Message)
	if err != nil {
		return taskkind.Prepared{}, err
	}
	return taskkind.Prepared{Payload: msg}, nil
}
