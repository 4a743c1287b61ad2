package workflow

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/baton-sched/baton/internal/taskkind"
)

// validator turns a schema-checked source into a Definition and checks what
// the schema cannot. It tolerates values of the wrong type (the schema
// reported them) by leaving them out, so that one mistake does not hide the
// others.
type validator struct {
	src *source
	ps  *problems
	// schedules holds where each of Definition.Schedules was written
	// (schedule or schedules[i]); nil for an item that is not an object.
	schedules []path
	// upstreams holds where each of Definition.On.WorkflowSucceeded was
	// written.
	upstreams []upstreamPath
	// secretExists checks secret references (nil: not checked).
	secretExists func(string) bool
}

var (
	pathParams   = path{}.key("params")
	pathDefaults = path{}.key("defaults")
	pathTasks    = path{}.key("tasks")
)

// Names of workflows, tasks and parameters, and of environment variables.
// schema.json says the same ($defs name and env_name); a test keeps them
// in step. Map keys are checked here rather than by the schema's
// propertyNames, whose errors do not say reliably where the key is.
var (
	namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	envName     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// maxNameLen is the longest name allowed, in characters.
const maxNameLen = 100

func validName(s string) bool {
	return namePattern.MatchString(s) && utf8.RuneCountInString(s) <= maxNameLen
}

// reservedEnvPrefix starts the names of variables the worker sets itself
// (BATON_OUTPUT, BATON_CHECKPOINT, ...).
const reservedEnvPrefix = "BATON_"

// decode builds the Definition, checking single fields on the way.
func (v *validator) decode() *Definition {
	root, _ := v.src.root.(map[string]any)
	d := &Definition{}
	d.Name, _ = root["name"].(string)
	d.Description, _ = root["description"].(string)
	d.OnFailure, _ = root["on_failure"].(string)
	d.MaxActiveRuns, _ = integer(root["max_active_runs"])
	if s, ok := root["timeout"].(string); ok {
		d.Timeout = v.duration(s, path{}.key("timeout"))
	}
	d.Retention = v.retention(root["retention"])
	if params, ok := root["params"].(map[string]any); ok {
		d.Params = make(map[string]Param, len(params))
		for name, pv := range params {
			if !validName(name) {
				v.ps.add(pathParams.key(name), "%s", nameMessage(name))
			}
			d.Params[name] = decodeParam(pv)
		}
	}
	if m, ok := root["defaults"].(map[string]any); ok {
		p := pathDefaults
		if s, ok := m["timeout"].(string); ok {
			d.Defaults.Timeout = v.duration(s, p.key("timeout"))
		}
		d.Defaults.Retry = v.decodeRetry(m["retry"], p.key("retry"))
		d.Defaults.Group, _ = m["group"].(string)
		d.Defaults.CU, _ = number(m["cu"])
		d.Defaults.Env = v.decodeEnv(m["env"], p.key("env"))
		d.Defaults.Labels = v.decodeLabels(m["labels"], p.key("labels"))
		d.Defaults.Zones = v.decodeZones(m["zones"], p.key("zones"))
		d.Defaults.Slot = v.decodeName(m["slot"], p.key("slot"))
	}
	if tasks, ok := root["tasks"].([]any); ok {
		// Every item gets a Task, even a malformed one, so indexes match
		// the source.
		d.Tasks = make([]Task, len(tasks))
		for i, t := range tasks {
			if m, ok := t.(map[string]any); ok {
				d.Tasks[i] = v.decodeTask(m, pathTasks.index(i))
			}
		}
	}
	d.Schedules = v.decodeSchedules(root)
	d.On = v.decodeOn(root["on"])
	return d
}

func (v *validator) decodeTask(m map[string]any, p path) Task {
	var t Task
	t.Name, _ = m["name"].(string)
	t.Description, _ = m["description"].(string)
	if needs, ok := m["needs"].([]any); ok {
		t.Needs = make([]string, len(needs))
		for i, n := range needs {
			t.Needs[i], _ = n.(string)
		}
	}
	run, hasRun := m["run"].(string)
	_, setRun := m["run"]
	t.Kind, t.Spec = v.decodeKind(m, p, setRun)
	switch {
	case t.Spec != nil:
	case !setRun:
		v.ps.add(p, `missing required field "run" (the command; or noop: true for a task that runs nothing, http: {url: ...}, or workflow: NAME)`)
	case hasRun:
		t.Run = run
		if strings.TrimSpace(run) == "" {
			v.ps.add(p.key("run"), "must not be empty")
		}
	}
	t.Env = v.decodeEnv(m["env"], p.key("env"))
	if s, ok := m["timeout"].(string); ok {
		t.Timeout = v.duration(s, p.key("timeout"))
	}
	t.CU, _ = number(m["cu"])
	t.Group, _ = m["group"].(string)
	t.Labels = v.decodeLabels(m["labels"], p.key("labels"))
	t.Zones = v.decodeZones(m["zones"], p.key("zones"))
	t.Priority, _ = integer(m["priority"])
	t.TriggerRule, _ = m["trigger_rule"].(string)
	if b, ok := m["rerunnable"].(bool); ok {
		t.Rerunnable = &b
	}
	t.Retry = v.decodeRetry(m["retry"], p.key("retry"))
	t.Slot = v.decodeName(m["slot"], p.key("slot"))
	t.Resources = v.decodeResources(m["resources"], p.key("resources"), hasRun)
	return t
}

// decodeName reads a field naming a slot or a workflow: same rules as
// workflow names.
func (v *validator) decodeName(val any, p path) string {
	s, ok := val.(string)
	if ok && !validName(s) {
		v.ps.add(p, "%s", nameMessage(s))
	}
	return s
}

// decodeParam reads a parameter: a scalar default, null (no default), or
// {default, description}.
func decodeParam(val any) Param {
	var p Param
	if m, ok := val.(map[string]any); ok {
		p.Description, _ = m["description"].(string)
		val = m["default"]
	}
	if s, ok := scalarString(val); ok {
		p.Default = &s
	}
	return p
}

func (v *validator) decodeEnv(val any, p path) map[string]string {
	m, ok := val.(map[string]any)
	if !ok {
		return nil
	}
	env := make(map[string]string, len(m))
	for k, ev := range m {
		if !envName.MatchString(k) {
			v.ps.add(p.key(k), "invalid environment variable name %s: use letters, digits and \"_\", not starting with a digit", shorten(k))
		}
		if strings.HasPrefix(strings.ToUpper(k), reservedEnvPrefix) {
			v.ps.add(p.key(k), "names starting with %s are reserved for Baton", reservedEnvPrefix)
		}
		if s, ok := scalarString(ev); ok {
			env[k] = s
		}
	}
	return env
}

// duration parses a duration field, reporting it at p if it is bad.
func (v *validator) duration(s string, p path) Duration {
	d, err := ParseDuration(s)
	if err != nil {
		v.ps.add(p, "%v", err)
	}
	return d
}

// retention reads the retention key: a duration, or the number 0 (keep
// forever); nil when absent.
func (v *validator) retention(val any) *Duration {
	p := path{}.key("retention")
	var d Duration
	switch val := val.(type) {
	case nil:
		return nil
	case string:
		d = v.duration(val, p)
	default:
		if n, ok := integer(val); !ok || n != 0 {
			v.ps.add(p, "must be a duration such as 30d, or 0 to keep runs forever")
			return nil
		}
	}
	return &d
}

// scalarString, number and integer read decoded values as the task
// kinds do (taskkind).
var (
	scalarString = taskkind.Scalar
	number       = taskkind.Number
	integer      = taskkind.Integer
)
