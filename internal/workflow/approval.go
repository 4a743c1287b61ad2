package workflow

import (
	"time"
	"unicode/utf8"
)

// Approval makes a task wait for a person: the servers start its attempt,
// which stays running until someone with the operator role approves it
// (the task succeeds) or rejects it (the task fails, with no retry), or
// until Timeout passes and Default applies.
type Approval struct {
	// Message says what is to be approved, a template shown in the UI,
	// the CLI and alerts.
	Message string `json:"message"`
	// Timeout, when set, bounds the wait; Default then decides.
	Timeout Duration `json:"timeout,omitzero"`
	// Default is the outcome on timeout: vocab.DecisionReject or
	// vocab.DecisionApprove. Required with Timeout, refused without.
	Default string `json:"default,omitempty"`
}

// ApprovalGroup is the group of approval tasks: no worker serves it; the
// servers start their attempts.
const ApprovalGroup = "@approval"

// MaxApprovalMessage bounds an approval's message, in characters.
const MaxApprovalMessage = 2000

// decodeApproval reads a task's approval block (nil when there is none);
// the schema checked its shape.
func (v *validator) decodeApproval(val any, p path) *Approval {
	m, ok := val.(map[string]any)
	if !ok {
		return nil
	}
	a := &Approval{}
	a.Message, _ = m["message"].(string)
	if n := utf8.RuneCountInString(a.Message); n > MaxApprovalMessage {
		v.ps.add(p.key("message"), "is %d characters long, at most %d allowed", n, MaxApprovalMessage)
	}
	if s, ok := m["timeout"].(string); ok {
		if d, err := ParseDuration(s); err != nil {
			v.ps.add(p.key("timeout"), "%v", err)
		} else if time.Duration(d) <= 0 {
			v.ps.add(p.key("timeout"), "must be longer than 0")
		} else {
			a.Timeout = d
		}
	}
	a.Default, _ = m["default"].(string)
	_, hasTimeout := m["timeout"]
	switch {
	case hasTimeout && a.Default == "":
		v.ps.add(p.key("default"), "missing: with a timeout, say what happens when it passes (approve or reject)")
	case !hasTimeout && a.Default != "":
		v.ps.add(p.key("default"), "applies on timeout: give timeout too, or remove default")
	}
	return a
}

// templates returns the block's templates by field path.
func (a *Approval) templates(p path) map[string]tmplField {
	return map[string]tmplField{"message": {a.Message, p.key("message")}}
}
