package workflow

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/baton-sched/baton/internal/taskkind"
)

// Templates are the text of run and env values with expressions
// ${{ expr }}; "$${{" writes a literal "${{". An expression is one
// reference, a dotted name:
//
//	params.NAME                 a run parameter
//	run.id, run.workflow        the run
//	run.scheduled_time          RFC 3339, UTC
//	run.scheduled_date          YYYY-MM-DD, UTC
//	task.name, task.attempt     the task being run (attempts count from 1)
//	tasks.NAME.outputs.KEY      an output of an upstream task
//	secrets.NAME                a secret (only in env, http.headers and
//	                            http.body: see SecretFields)
//
// In run, expressions are not pasted into the command: see RenderCommand.

// Scope holds the values a template can refer to when a task attempt starts.
type Scope struct {
	Params        map[string]string
	RunID         int64
	Workflow      string
	ScheduledTime time.Time
	Task          string
	Attempt       int
	// Outputs maps a task name to the outputs it wrote (key -> value).
	Outputs map[string]map[string]string
	// Secrets are the values of the secrets the templates refer to.
	Secrets map[string]string
}

// Render expands the expressions of tmpl with the values in s. It fails if
// tmpl is malformed or refers to a value s lacks, naming every such
// reference, e.g.
//
//	tasks.extract.outputs.file: task extract has no output "file"
func Render(tmpl string, s Scope) (string, error) {
	parts, errs := parseTemplate(tmpl)
	var b strings.Builder
	var msgs []string
	for _, e := range errs {
		msgs = append(msgs, e.msg)
	}
	for _, p := range parts {
		if p.ref == nil {
			b.WriteString(p.text)
			continue
		}
		v, err := p.ref.value(s)
		if err != nil {
			msgs = append(msgs, err.Error())
			continue
		}
		b.WriteString(v)
	}
	if len(msgs) > 0 {
		return "", errors.New(strings.Join(slices.Compact(msgs), "; "))
	}
	return b.String(), nil
}

// OutputRefs returns the names of the tasks whose outputs the node's
// templates refer to (run command, environment, the kind's templates),
// sorted and without repeats, so that the engine loads
// only those before rendering. Every template a Node holds must be scanned
// here, or its output references render as missing.
func (n Node) OutputRefs() []string {
	var names []string
	collect := func(tmpl string) {
		parts, _ := parseTemplate(tmpl)
		for _, p := range parts {
			if p.ref != nil && p.ref.kind == refOutput {
				names = append(names, p.ref.name)
			}
		}
	}
	collect(n.Run)
	for _, v := range n.Env {
		collect(v)
	}
	if n.Spec != nil {
		for _, t := range n.Spec.Templates() {
			collect(t.Text)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// SecretRefs returns the names of the secrets the node's environment and
// kind's block refer to (templates and taskkind.SecretUser), sorted and without repeats, so that the engine
// decrypts only those, for the attempt that needs them.
func (n Node) SecretRefs() []string {
	var names []string
	collect := func(tmpl string) {
		parts, _ := parseTemplate(tmpl)
		for _, p := range parts {
			if p.ref != nil && p.ref.kind == refSecret {
				names = append(names, p.ref.name)
			}
		}
	}
	for _, v := range n.Env {
		collect(v)
	}
	if su, ok := n.Spec.(taskkind.SecretUser); ok {
		names = append(names, su.Secrets()...)
	}
	if n.Spec != nil {
		for _, t := range n.Spec.Templates() {
			if t.Secrets {
				collect(t.Text)
			}
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

type refKind int

const (
	refParam  refKind = iota // params.NAME
	refRun                   // run.FIELD
	refTask                  // task.FIELD
	refOutput                // tasks.NAME.outputs.KEY
	refSecret                // secrets.NAME
)

// ref is one parsed reference.
type ref struct {
	expr string // as normalised: "tasks.extract.outputs.file"
	kind refKind
	name string // parameter, run or task field, or upstream task
	key  string // output key
}

var (
	runFields  = []string{"id", "workflow", "scheduled_time", "scheduled_date"}
	taskFields = []string{"name", "attempt"}
)

// value looks the reference up in s.
func (r *ref) value(s Scope) (string, error) {
	switch r.kind {
	case refParam:
		if v, ok := s.Params[r.name]; ok {
			return v, nil
		}
		return "", fmt.Errorf("%s: parameter %q has no value", r.expr, r.name)
	case refRun:
		switch r.name {
		case "id":
			return strconv.FormatInt(s.RunID, 10), nil
		case "workflow":
			return s.Workflow, nil
		case "scheduled_time":
			return s.ScheduledTime.UTC().Format(time.RFC3339), nil
		case "scheduled_date":
			return s.ScheduledTime.UTC().Format(time.DateOnly), nil
		}
	case refTask:
		switch r.name {
		case "name":
			return s.Task, nil
		case "attempt":
			return strconv.Itoa(s.Attempt), nil
		}
	case refOutput:
		if v, ok := s.Outputs[r.name][r.key]; ok {
			return v, nil
		}
		return "", fmt.Errorf("%s: task %s has no output %q", r.expr, r.name, r.key)
	case refSecret:
		if v, ok := s.Secrets[r.name]; ok {
			return v, nil
		}
		return "", fmt.Errorf("%s: secret %q does not exist", r.expr, r.name)
	}
	return "", fmt.Errorf("%s: unknown reference", r.expr)
}

// part is a piece of a template: literal text, or a reference.
type part struct {
	text   string
	ref    *ref
	offset int // byte offset of the piece in the template
}

// templateError is a malformed piece of a template.
type templateError struct {
	offset int
	msg    string
}

// parseTemplate splits tmpl into literal text and references, reporting
// every malformed expression. The parts are usable even when there are
// errors: bad expressions are left out.
func parseTemplate(tmpl string) ([]part, []templateError) {
	var parts []part
	var errs []templateError
	var lit strings.Builder
	litStart := 0
	flush := func(next int) {
		if lit.Len() > 0 {
			parts = append(parts, part{text: lit.String(), offset: litStart})
			lit.Reset()
		}
		litStart = next
	}
	i := 0
	for i < len(tmpl) {
		rest := tmpl[i:]
		switch {
		case strings.HasPrefix(rest, "$${{"):
			lit.WriteString("${{")
			i += 4
		case strings.HasPrefix(rest, "${{"):
			end := strings.Index(rest[3:], "}}")
			if end < 0 {
				errs = append(errs, templateError{i, `unterminated "${{" (missing "}}")`})
				lit.WriteString(rest)
				i = len(tmpl)
				continue
			}
			expr := strings.TrimSpace(rest[3 : 3+end])
			flush(i + 3 + end + 2)
			r, err := parseRef(expr)
			if err != nil {
				errs = append(errs, templateError{i, err.Error()})
			} else {
				parts = append(parts, part{ref: r, offset: i})
			}
			i += 3 + end + 2
		default:
			lit.WriteByte(tmpl[i])
			i++
		}
	}
	flush(len(tmpl))
	return parts, errs
}

// parseRef parses the inside of ${{ }}.
func parseRef(expr string) (*ref, error) {
	if expr == "" {
		return nil, errors.New(`empty expression "${{ }}"`)
	}
	segs := strings.Split(expr, ".")
	for _, s := range segs {
		if s == "" || strings.IndexFunc(s, notWordRune) >= 0 {
			return nil, fmt.Errorf("invalid expression %s: only references such as params.day or tasks.extract.outputs.file are allowed", shorten(expr))
		}
	}
	r := &ref{expr: expr}
	switch segs[0] {
	case "params":
		if len(segs) == 2 {
			r.kind, r.name = refParam, segs[1]
			return r, nil
		}
		return nil, fmt.Errorf("%s: unknown reference (write params.NAME)", expr)
	case "run":
		if len(segs) == 2 && slices.Contains(runFields, segs[1]) {
			r.kind, r.name = refRun, segs[1]
			return r, nil
		}
		return nil, fmt.Errorf("%s: unknown reference (run has %s)", expr, joinAnd(runFields))
	case "task":
		if len(segs) == 2 && slices.Contains(taskFields, segs[1]) {
			r.kind, r.name = refTask, segs[1]
			return r, nil
		}
		return nil, fmt.Errorf("%s: unknown reference (task has %s)", expr, joinAnd(taskFields))
	case "tasks":
		if len(segs) == 4 && segs[2] == "outputs" {
			r.kind, r.name, r.key = refOutput, segs[1], segs[3]
			return r, nil
		}
		return nil, fmt.Errorf("%s: unknown reference (write tasks.NAME.outputs.KEY)", expr)
	case "secrets":
		if len(segs) == 2 {
			r.kind, r.name = refSecret, segs[1]
			return r, nil
		}
		return nil, fmt.Errorf("%s: unknown reference (write secrets.NAME)", expr)
	}
	msg := fmt.Sprintf("%s: unknown reference", expr)
	if s := suggest(segs[0], []string{"params", "run", "task", "tasks", "secrets"}); s != "" {
		msg += fmt.Sprintf(" (did you mean %s?)", strings.Join(append([]string{s}, segs[1:]...), "."))
	} else {
		msg += " (use params, run, task, tasks or secrets)"
	}
	return nil, errors.New(msg)
}

func joinAnd(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}
