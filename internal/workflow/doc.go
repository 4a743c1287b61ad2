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
//	    │ strategies, key names, labels and zones, empty commands, schedule
//	    │ timing through package schedule)
//	    ▼
//	validator.check: duplicate names, needs, cycles, template references,
//	    │ schedule names and params
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
// # Schedules
//
// A definition may carry schedules (Definition.Schedules), written as one
// `schedule:` or a `schedules:` list; Parse folds the first into the
// second, so stored JSON has only `schedules`. Their timing is package
// schedule's: decodeSchedule hands Schedule.Spec to schedule.Parse and
// reports each schedule.FieldError at the field it names. The catch-up
// and overlap policies are enums in schema.json that the decoder checks
// too, wording its message as the schema's so that a bad value is
// reported once; TestScheduleInStep keeps both in step with package
// schedule. Parse also checks that every schedule gives each required
// parameter and no undeclared one, so a scheduled run never fails
// ResolveParams.
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
