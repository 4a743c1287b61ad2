package ui

import (
	"crypto/rand"
	"encoding/hex"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// triggerState is a trigger form sent back: what was typed and why the
// start was refused.
type triggerState struct {
	Values map[string]string
	Err    *ActionError
}

// triggerForm is the form that starts a run of a workflow version, one
// field per declared parameter.
type triggerForm struct {
	Workflow string
	Version  int64
	// Key is the start's idempotency key: sending the form twice (a
	// double click, a reload) starts one run.
	Key    string
	Fields []paramField
	// Errors are the problems no field owns, and the refusal's detail.
	Errors []string
	Me     *Me
}

// paramField is one parameter's input.
type paramField struct {
	Name        string
	Description string
	Value       string
	Default     string
	Required    bool   // no default
	Input       string // "text", "number" or "bool", from the default
	Error       string
}

// newTriggerForm builds the form of def's params, with the defaults
// filled, or with what st says was sent and what was wrong with it.
func newTriggerForm(me *Me, workflow string, version int64, def definition, st *triggerState) triggerForm {
	f := triggerForm{Workflow: workflow, Version: version, Key: newKey(), Me: me}
	owned := map[int]bool{}
	for _, name := range slices.Sorted(maps.Keys(def.Params)) {
		p := def.Params[name]
		fd := paramField{Name: name, Description: p.Description, Required: p.Default == nil, Input: "text"}
		if p.Default != nil {
			fd.Default, fd.Value = *p.Default, *p.Default
			fd.Input = inputFor(*p.Default)
		}
		if st != nil {
			fd.Value = st.Values[name]
			if st.Err != nil {
				for i, pr := range st.Err.Problems {
					if pr.Location == "params."+name || pr.Location == "params["+strconv.Quote(name)+"]" {
						fd.Error, owned[i] = pr.Message, true
					}
				}
			}
		}
		f.Fields = append(f.Fields, fd)
	}
	if st != nil && st.Err != nil {
		f.Errors = append(f.Errors, st.Err.Detail)
		for i, pr := range st.Err.Problems {
			if !owned[i] {
				f.Errors = append(f.Errors, strings.TrimPrefix(pr.Location+": ", ": ")+pr.Message)
			}
		}
	}
	return f
}

// inputFor is the input a default suggests: a number, a boolean or text.
func inputFor(def string) string {
	if def == "true" || def == "false" {
		return "bool"
	}
	if _, err := strconv.ParseFloat(def, 64); err == nil {
		return "number"
	}
	return "text"
}

func newKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "ui-" + hex.EncodeToString(b)
}
