// Package workflow reads workflow definitions and compiles them into the
// graphs the engine runs. It is pure: no I/O beyond the bytes it is given.
//
// # From text to graph
//
//	YAML or JSON bytes
//	    │ readDocument: yaml.Node tree (JSON through encoding/json, with lines)
//	    ▼
//	source: map[string]any/[]any/json.Number tree + JSON pointer → line
//	    │ checkSchema: schema.json (draft 2020-12); errors → path, line, words
//	    ▼
//	validator.decode: Definition, checking single fields (durations, retry
//	    │ strategies, key names, labels and zones, empty commands)
//	    ▼
//	validator.check: duplicate names, needs, cycles, template references
//	    │ all problems collected → *ValidationError, or
//	    ▼
//	*Definition ──Graph()──▶ *Graph (topological order, defaults applied)
//
// Validation is whole: every stage runs even after an earlier one found
// problems, skipping only the values it cannot read, so a user sees every
// mistake at once. Each Problem names a field path as users read it
// (tasks[2].needs[0], defaults.retry.delay, params.day) and a line.
//
// # Templates
//
// run commands and env values may contain ${{ expr }}; see Render for the
// references. Parse checks every reference against the definition (declared
// parameters, outputs of upstream tasks only); Render fills them in when an
// attempt starts, and Node.OutputRefs tells the engine which task outputs to
// load first.
//
// # Placement
//
// Tasks may require worker labels and limit their zones (Task.Labels,
// Task.Zones). CheckLabels and CheckZone hold the rules for label and zone
// names; the engine applies them to what workers declare, and the schema
// and the decoder word their failures the same way, so that a value both
// reject is reported once.
//
// # Extending
//
// A new retry strategy needs its fields in schema.json and Retry, an entry
// in the strategies table (retry.go) saying which fields it requires and
// uses, and its decision in package retry; TestRetryInStep checks that they
// agree.
// User documentation of the format lives in docs/workflows.md; keep it in
// step with schema.json.
package workflow
