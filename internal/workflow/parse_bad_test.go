package workflow

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// TestParseRejects checks that every kind of mistake is reported with its
// field path and line.
func TestParseRejects(t *testing.T) {
	long := strings.Repeat("a", 101)
	tests := []struct {
		name string
		src  string
		msg  string // substring of the problem's message
		path string
		line int
	}{
		// Syntax and document shape.
		{"yaml syntax", "name: x\ntasks: [\n", "invalid YAML", "", 3},
		{"empty", "", "empty document", "", 0},
		{"tab indent", "name: x\ntasks:\n\t- name: a\n", "a tab indents this line", "", 3},
		{"not utf-8", "name: x\ntasks:\n  - name: a\n    run: echo \xff\xfe\n", "invalid UTF-8 (byte 0xff)", "", 4},
		{"raw NUL", "name: x\ntasks:\n  - name: a\n    run: echo \x00\n", "NUL byte", "", 4},
		{"escaped NUL", "name: x\ntasks:\n  - name: a\n    run: \"echo \\0 a\"\n", "NUL character", "", 4},
		{"escaped NUL in JSON", `{"name": "x", "tasks": [{"name": "a", "run": "echo \u0000"}]}`, "NUL character", "", 1},
		{"comment only", "# nothing\n", "empty document", "", 0},
		{"two documents", "name: x\n---\nname: y\n", "only one YAML document", "", 2},
		{"not a mapping", "- a\n- b\n", "must be an object, got a list", "", 1},
		{"duplicate key", "name: x\nname: y\ntasks: [{name: a, run: a}]\n", `duplicate field "name"`, "", 2},
		{"recursive alias", "name: x\ntasks: &t [*t]\n", "refers to itself", "tasks[0][0]", 2},
		{"alias bomb", aliasBomb, "document too large", "", 1},
		{"json too deep", strings.Repeat("[", 100) + strings.Repeat("]", 100), "nested too deeply", "", 1},
		{"yaml too deep", "name: x\ntasks: " + strings.Repeat("[", 100) + strings.Repeat("]", 100) + "\n", "nested too deeply", "tasks" + strings.Repeat("[0]", 64), 2},
		{"infinite number", "name: x\ntasks:\n  - name: a\n    run: a\n    cu: .inf\n", "finite number", "tasks[0].cu", 5},

		// Unknown fields, everywhere.
		{"unknown top field", "name: x\ntrigger: daily\ntasks: [{name: a, run: a}]\n", `unknown field "trigger"`, "", 2},
		{"unknown task field", "name: x\ntasks:\n  - name: a\n    run: a\n    retires: 3\n", `unknown field "retires" (did you mean "retry"?)`, "tasks[0]", 5},
		{"unknown defaults field", "name: x\ndefaults:\n  timeuot: 1h\ntasks: [{name: a, run: a}]\n", `unknown field "timeuot" (did you mean "timeout"?)`, "defaults", 3},
		{"unknown retry field", "name: x\ntasks:\n  - name: a\n    run: a\n    retry:\n      strategy: fixed\n      max_attempts: 2\n      backoff: 2\n", `unknown field "backoff"`, "tasks[0].retry", 8},
		{"unknown param field", "name: x\nparams:\n  day:\n    default: today\n    help: which day\ntasks: [{name: a, run: a}]\n", `unknown field "help"`, "params.day", 5},

		// Missing and mistyped fields.
		{"missing name", "tasks: [{name: a, run: a}]\n", `missing required field "name"`, "", 1},
		{"missing tasks", "name: x\n", `missing required field "tasks"`, "", 1},
		{"no tasks", "name: x\ntasks: []\n", "at least one task is required", "tasks", 2},
		{"missing run", "name: x\ntasks:\n  - name: a\n", `missing required field "run"`, "tasks[0]", 3},
		{"noop with run", "name: x\ntasks:\n  - name: a\n    noop: true\n    run: echo\n", "a noop task runs no command", "tasks[0].run", 5},
		{"noop not a boolean", "name: x\ntasks:\n  - {name: a, noop: yes}\n", "boolean", "tasks[0].noop", 3},
		{"run not a string", "name: x\ntasks:\n  - name: a\n    run: [a]\n", "must be a string, got a list", "tasks[0].run", 4},
		{"needs not a list", "name: x\ntasks:\n  - name: a\n    run: a\n  - name: b\n    run: b\n    needs: a\n", `must be a list, got "a"`, "tasks[1].needs", 7},
		{"needs item not a string", "name: x\ntasks:\n  - name: a\n    run: a\n    needs: [{x: 1}]\n", "must be a string, got an object", "tasks[0].needs[0]", 5},
		{"priority not integer", "name: x\ntasks:\n  - name: a\n    run: a\n    priority: 1.5\n", "must be an integer, got 1.5", "tasks[0].priority", 5},
		{"priority string", "name: x\ntasks:\n  - name: a\n    run: a\n    priority: high\n", `must be an integer, got "high"`, "tasks[0].priority", 5},
		{"rerunnable not bool", "name: x\ntasks:\n  - name: a\n    run: a\n    rerunnable: \"no\"\n", "must be a boolean", "tasks[0].rerunnable", 5},
		{"cu string", "name: x\ntasks:\n  - name: a\n    run: a\n    cu: two\n", "must be a number", "tasks[0].cu", 5},
		{"cu zero", "name: x\ntasks:\n  - name: a\n    run: a\n    cu: 0\n", "must be greater than 0", "tasks[0].cu", 5},
		{"cu negative default", "name: x\ndefaults:\n  cu: -1\ntasks: [{name: a, run: a}]\n", "must be greater than 0", "defaults.cu", 3},
		{"env value list", "name: x\ntasks:\n  - name: a\n    run: a\n    env:\n      A: [1]\n", "must be a boolean, a number or a string, got a list", "tasks[0].env.A", 6},
		{"env bad name", "name: x\ntasks:\n  - name: a\n    run: a\n    env:\n      1A: x\n", `invalid environment variable name "1A"`, "tasks[0].env.1A", 6},
		{"env reserved", "name: x\ndefaults:\n  env:\n    BATON_OUTPUT: /tmp/x\ntasks: [{name: a, run: a}]\n", "reserved for Baton", "defaults.env.BATON_OUTPUT", 4},
		{"group empty", "name: x\ntasks:\n  - name: a\n    run: a\n    group: \"\"\n", "must not be empty", "tasks[0].group", 5},

		// Names.
		{"workflow name upper case", "name: Nightly\ntasks: [{name: a, run: a}]\n", `invalid name "Nightly"`, "name", 1},
		{"workflow name too long", "name: " + long + "\ntasks: [{name: a, run: a}]\n", "longer than 100 characters", "name", 1},
		{"workflow name empty", "name: \"\"\ntasks: [{name: a, run: a}]\n", "name must not be empty", "name", 1},
		{"task name leading dash", "name: x\ntasks:\n  - name: -a\n    run: a\n", `invalid name "-a"`, "tasks[0].name", 3},
		{"task name with dot", "name: x\ntasks:\n  - name: a\n    run: a\n  - name: b.c\n    run: a\n", `invalid name "b.c"`, "tasks[1].name", 5},
		{"task name too long", "name: x\ntasks:\n  - name: " + long + "\n    run: a\n", "longer than 100 characters", "tasks[0].name", 3},
		{"param name", "name: x\nparams:\n  Day: today\ntasks: [{name: a, run: a}]\n", `invalid name "Day"`, "params.Day", 3},
		{"param name too long", "name: x\nparams:\n  " + long + ": 1\ntasks: [{name: a, run: a}]\n", "longer than 100 characters", "params." + long, 3},
		{"duplicate task", "name: x\ntasks:\n  - name: a\n    run: a\n  - name: b\n    run: b\n  - name: a\n    run: c\n", `duplicate task name "a" (first used by tasks[0])`, "tasks[2].name", 7},

		// Needs.
		{"unknown need", "name: x\ntasks:\n  - name: extract\n    run: a\n  - name: load\n    run: b\n  - name: report\n    run: c\n    needs: [extrct]\n", `unknown task "extrct" (did you mean "extract"?)`, "tasks[2].needs[0]", 9},
		{"self need", "name: x\ntasks:\n  - name: a\n    run: a\n    needs:\n      - a\n", `task "a" cannot need itself`, "tasks[0].needs[0]", 6},
		{"need twice", "name: x\ntasks:\n  - name: a\n    run: a\n  - name: b\n    run: b\n    needs:\n      - a\n      - a\n", `task "a" is listed twice`, "tasks[1].needs[1]", 9},

		// Cycles: reported once, in run order, at the needs entry that
		// closes the cycle on its first task.
		{"cycle of two", "name: x\ntasks:\n  - name: a\n    run: a\n    needs: [b]\n  - name: b\n    run: b\n    needs: [a]\n", "cycle: a -> b -> a", "tasks[0].needs[0]", 5},
		{"cycle of three", "name: x\ntasks:\n  - name: a\n    run: a\n    needs: [c]\n  - name: b\n    run: b\n    needs: [a]\n  - name: c\n    run: c\n    needs: [b]\n", "cycle: a -> b -> c -> a", "tasks[0].needs[0]", 5},
		{"cycle after a root", "name: x\ntasks:\n  - name: root\n    run: a\n  - name: p\n    run: b\n    needs: [root, q]\n  - name: q\n    run: c\n    needs: [p]\n", "cycle: p -> q -> p", "tasks[1].needs[1]", 7},

		// Durations.
		{"timeout unparsable", "name: x\ntasks:\n  - name: a\n    run: a\n    timeout: soon\n", `invalid duration "soon"`, "tasks[0].timeout", 5},
		{"timeout negative", "name: x\ndefaults:\n  timeout: -1h\ntasks: [{name: a, run: a}]\n", "must not be negative", "defaults.timeout", 3},
		{"timeout empty", "name: x\ntasks:\n  - name: a\n    run: a\n    timeout: \"\"\n", "must not be empty", "tasks[0].timeout", 5},
		{"timeout no unit", "name: x\ntasks:\n  - name: a\n    run: a\n    timeout: 30\n", "must be a duration with a unit, such as \"90s\" or \"1h30m\", got 30", "tasks[0].timeout", 5},
		{"timeout unknown unit", "name: x\ntasks:\n  - name: a\n    run: a\n    timeout: 2w\n", `unknown unit "w"`, "tasks[0].timeout", 5},
		{"delay bad", "name: x\ndefaults:\n  retry:\n    strategy: fixed\n    max_attempts: 3\n    delay: 5 minutes\n" + "tasks: [{name: a, run: a}]\n", "invalid duration", "defaults.retry.delay", 6},

		// Empty commands.
		{"run empty", "name: x\ntasks:\n  - name: a\n    run: \"\"\n", "must not be empty", "tasks[0].run", 4},
		{"run blank", "name: x\ntasks:\n  - name: a\n    run: \"  \\t\\n\"\n", "must not be empty", "tasks[0].run", 4},

		// Retry.
		{"retry unknown shorthand", "name: x\ntasks:\n  - name: a\n    run: a\n    retry: never\n", `invalid value "never": must be "none"`, "tasks[0].retry", 5},
		{"retry number", "name: x\ntasks:\n  - name: a\n    run: a\n    retry: 3\n", "must be a string or an object, got 3", "tasks[0].retry", 5},
		{"retry unknown strategy", "name: x\ndefaults:\n  retry:\n    strategy: fixd\n    max_attempts: 3\ntasks: [{name: a, run: a}]\n", `unknown retry strategy "fixd" (did you mean "fixed"?)`, "defaults.retry.strategy", 4},
		{"retry missing strategy", "name: x\ndefaults:\n  retry:\n    max_attempts: 3\ntasks: [{name: a, run: a}]\n", `missing required field "strategy"`, "defaults.retry", 3},
		{"fixed without attempts", "name: x\ntasks:\n  - name: a\n    run: a\n    retry: {strategy: fixed, delay: 10s}\n", `strategy "fixed" requires max_attempts`, "tasks[0].retry", 5},
		{"attempts zero", "name: x\ntasks:\n  - name: a\n    run: a\n    retry:\n      strategy: fixed\n      max_attempts: 0\n", "must be at least 1", "tasks[0].retry.max_attempts", 7},
		{"attempts not integer", "name: x\ntasks:\n  - name: a\n    run: a\n    retry:\n      strategy: fixed\n      max_attempts: lots\n", "must be an integer", "tasks[0].retry.max_attempts", 7},
		{"none with attempts", "name: x\ntasks:\n  - name: a\n    run: a\n    retry:\n      strategy: none\n      max_attempts: 3\n", `not used by strategy "none"`, "tasks[0].retry.max_attempts", 7},
		{"none with retry_on", "name: x\ntasks:\n  - name: a\n    run: a\n    retry:\n      strategy: none\n      retry_on: [failed]\n", `not used by strategy "none" (it takes no other field)`, "tasks[0].retry.retry_on", 7},
		{"unknown strategy lists them", "name: x\ndefaults:\n  retry: {strategy: backoff, max_attempts: 3}\ntasks: [{name: a, run: a}]\n", `unknown retry strategy "backoff" (use exponential, failure_rate, fixed or none)`, "defaults.retry.strategy", 3},
		{"exponential misspelt", "name: x\ntasks:\n  - name: a\n    run: a\n    retry:\n      strategy: exponentail\n      max_attempts: 3\n      delay: 1s\n", `unknown retry strategy "exponentail" (did you mean "exponential"?)`, "tasks[0].retry.strategy", 6},
		{"failure_rate with a dash", "name: x\ntasks:\n  - name: a\n    run: a\n    retry:\n      strategy: failure-rate\n", `unknown retry strategy "failure-rate" (did you mean "failure_rate"?)`, "tasks[0].retry.strategy", 6},

		// Retry: fields each strategy requires.
		{"exponential without delay", "name: x\ntasks:\n  - name: a\n    run: a\n    retry: {strategy: exponential, max_attempts: 5}\n", `strategy "exponential" requires delay`, "tasks[0].retry", 5},
		{"exponential without attempts", "name: x\ntasks:\n  - name: a\n    run: a\n    retry: {strategy: exponential, delay: 1s, factor: 3}\n", `strategy "exponential" requires max_attempts`, "tasks[0].retry", 5},
		{"failure_rate without max_failures", "name: x\ndefaults:\n  retry: {strategy: failure_rate, interval: 10m, delay: 30s}\ntasks: [{name: a, run: a}]\n", `strategy "failure_rate" requires max_failures`, "defaults.retry", 3},
		{"failure_rate without interval", "name: x\ntasks:\n  - name: a\n    run: a\n    retry: {strategy: failure_rate, max_failures: 3, delay: 30s}\n", `strategy "failure_rate" requires interval`, "tasks[0].retry", 5},
		{"failure_rate without delay", "name: x\ntasks:\n  - name: a\n    run: a\n    retry: {strategy: failure_rate, max_failures: 3, interval: 1h}\n", `strategy "failure_rate" requires delay`, "tasks[0].retry", 5},

		// Retry: fields a strategy does not use.
		{"fixed with factor", "name: x\ntasks:\n  - name: a\n    run: a\n    retry:\n      strategy: fixed\n      max_attempts: 3\n      factor: 2\n", `not used by strategy "fixed" (it uses max_attempts, delay and retry_on)`, "tasks[0].retry.factor", 8},
		{"fixed with max_delay", "name: x\ntasks:\n  - name: a\n    run: a\n    retry:\n      strategy: fixed\n      max_attempts: 3\n      max_delay: 1m\n", `not used by strategy "fixed"`, "tasks[0].retry.max_delay", 8},
		{"fixed with interval", "name: x\ndefaults:\n  retry:\n    strategy: fixed\n    max_attempts: 3\n    interval: 1h\ntasks: [{name: a, run: a}]\n", `not used by strategy "fixed"`, "defaults.retry.interval", 6},
		{"exponential with max_failures", "name: x\ntasks:\n  - name: a\n    run: a\n    retry:\n      strategy: exponential\n      max_attempts: 3\n      delay: 1s\n      max_failures: 3\n", `not used by strategy "exponential" (it uses max_attempts, delay, factor, max_delay, jitter and retry_on)`, "tasks[0].retry.max_failures", 9},
		{"failure_rate with max_attempts", "name: x\ntasks:\n  - name: a\n    run: a\n    retry:\n      strategy: failure_rate\n      max_failures: 3\n      interval: 1h\n      delay: 1m\n      max_attempts: 10\n", `not used by strategy "failure_rate" (it uses max_failures, interval, delay and retry_on)`, "tasks[0].retry.max_attempts", 10},
		{"failure_rate with jitter", "name: x\ntasks:\n  - name: a\n    run: a\n    retry:\n      strategy: failure_rate\n      max_failures: 3\n      interval: 1h\n      delay: 1m\n      jitter: 0.1\n", `not used by strategy "failure_rate"`, "tasks[0].retry.jitter", 10},

		// Retry: values.
		{"factor one", "name: x\ntasks:\n  - name: a\n    run: a\n    retry:\n      strategy: exponential\n      max_attempts: 3\n      delay: 1s\n      factor: 1\n", "must be greater than 1", "tasks[0].retry.factor", 9},
		{"factor below one", "name: x\ntasks:\n  - name: a\n    run: a\n    retry: {strategy: exponential, max_attempts: 3, delay: 1s, factor: 0.5}\n", "must be greater than 1", "tasks[0].retry.factor", 5},
		{"factor string", "name: x\ntasks:\n  - name: a\n    run: a\n    retry:\n      strategy: exponential\n      max_attempts: 3\n      delay: 1s\n      factor: double\n", `must be a number, got "double"`, "tasks[0].retry.factor", 9},
		{"jitter above one", "name: x\ntasks:\n  - name: a\n    run: a\n    retry:\n      strategy: exponential\n      max_attempts: 3\n      delay: 1s\n      jitter: 1.5\n", "must be at most 1", "tasks[0].retry.jitter", 9},
		{"jitter negative", "name: x\ndefaults:\n  retry:\n    strategy: exponential\n    max_attempts: 3\n    delay: 1s\n    jitter: -0.1\ntasks: [{name: a, run: a}]\n", "must be at least 0", "defaults.retry.jitter", 7},
		{"jitter percent", "name: x\ntasks:\n  - name: a\n    run: a\n    retry:\n      strategy: exponential\n      max_attempts: 3\n      delay: 1s\n      jitter: 20%\n", `must be a number, got "20%"`, "tasks[0].retry.jitter", 9},
		{"exponential delay zero", "name: x\ntasks:\n  - name: a\n    run: a\n    retry:\n      strategy: exponential\n      max_attempts: 3\n      delay: \"0\"\n", "must be greater than 0: exponential waits grow from it", "tasks[0].retry.delay", 8},
		{"max_delay shorter than delay", "name: x\ntasks:\n  - name: a\n    run: a\n    retry:\n      strategy: exponential\n      max_attempts: 3\n      delay: 10s\n      max_delay: 5s\n", "max_delay 5s is shorter than delay 10s", "tasks[0].retry.max_delay", 9},
		{"max_delay zero", "name: x\ntasks:\n  - name: a\n    run: a\n    retry:\n      strategy: exponential\n      max_attempts: 3\n      delay: 1m30s\n      max_delay: \"0\"\n", "max_delay 0s is shorter than delay 1m30s", "tasks[0].retry.max_delay", 9},
		{"max_delay bad", "name: x\ntasks:\n  - name: a\n    run: a\n    retry:\n      strategy: exponential\n      max_attempts: 3\n      delay: 10s\n      max_delay: 1 hour\n", `invalid duration "1 hour"`, "tasks[0].retry.max_delay", 9},
		{"max_delay number", "name: x\ntasks:\n  - name: a\n    run: a\n    retry:\n      strategy: exponential\n      max_attempts: 3\n      delay: 10s\n      max_delay: 300\n", "must be a duration with a unit", "tasks[0].retry.max_delay", 9},
		{"max_failures zero", "name: x\ntasks:\n  - name: a\n    run: a\n    retry:\n      strategy: failure_rate\n      max_failures: 0\n      interval: 1h\n      delay: 1m\n", "must be at least 1", "tasks[0].retry.max_failures", 7},
		{"max_failures fraction", "name: x\ntasks:\n  - name: a\n    run: a\n    retry:\n      strategy: failure_rate\n      max_failures: 2.5\n      interval: 1h\n      delay: 1m\n", "must be an integer, got 2.5", "tasks[0].retry.max_failures", 7},
		{"interval zero", "name: x\ntasks:\n  - name: a\n    run: a\n    retry:\n      strategy: failure_rate\n      max_failures: 3\n      interval: \"0\"\n      delay: 1m\n", "must be greater than 0", "tasks[0].retry.interval", 8},
		{"interval bad", "name: x\ndefaults:\n  retry:\n    strategy: failure_rate\n    max_failures: 3\n    interval: hourly\n    delay: 1m\ntasks: [{name: a, run: a}]\n", `invalid duration "hourly"`, "defaults.retry.interval", 6},

		// Retry: retry_on.
		{"retry_on unknown outcome", "name: x\ntasks:\n  - name: a\n    run: a\n    retry:\n      strategy: fixed\n      max_attempts: 3\n      retry_on:\n        - failed\n        - crashed\n", `invalid value "crashed": must be one of "failed", "timed_out", "lost"`, "tasks[0].retry.retry_on[1]", 10},
		{"retry_on misspelt", "name: x\ntasks:\n  - name: a\n    run: a\n    retry: {strategy: fixed, max_attempts: 3, retry_on: [timeout]}\n", `invalid value "timeout": must be one of "failed", "timed_out", "lost" (did you mean "timed_out"?)`, "tasks[0].retry.retry_on[0]", 5},
		{"retry_on repeat", "name: x\ntasks:\n  - name: a\n    run: a\n    retry:\n      strategy: fixed\n      max_attempts: 3\n      retry_on:\n        - lost\n        - failed\n        - lost\n", `"lost" is listed twice`, "tasks[0].retry.retry_on[2]", 11},
		{"retry_on empty", "name: x\ndefaults:\n  retry:\n    strategy: exponential\n    max_attempts: 3\n    delay: 1s\n    retry_on: []\ntasks: [{name: a, run: a}]\n", "must not be empty", "defaults.retry.retry_on", 7},
		{"retry_on a string", "name: x\ntasks:\n  - name: a\n    run: a\n    retry:\n      strategy: failure_rate\n      max_failures: 3\n      interval: 1h\n      delay: 1m\n      retry_on: failed\n", `must be a list, got "failed" (write [failed] for a list of one)`, "tasks[0].retry.retry_on", 10},
		{"retry_on number", "name: x\ntasks:\n  - name: a\n    run: a\n    retry: {strategy: fixed, max_attempts: 3, retry_on: [1]}\n", "must be a string, got 1", "tasks[0].retry.retry_on[0]", 5},
		{"retry_on misspelt field", "name: x\ntasks:\n  - name: a\n    run: a\n    retry:\n      strategy: fixed\n      max_attempts: 3\n      retry_if: [failed]\n", `unknown field "retry_if" (did you mean "retry_on"?)`, "tasks[0].retry", 8},

		// Params.
		{"param list", "name: x\nparams:\n  days: [1, 2]\ntasks: [{name: a, run: a}]\n", "must be a boolean, a number, a string or an object, got a list", "params.days", 3},
		{"param default object", "name: x\nparams:\n  day:\n    default: {a: 1}\ntasks: [{name: a, run: a}]\n", "got an object", "params.day.default", 4},
		{"param description number", "name: x\nparams:\n  day:\n    description: 5\ntasks: [{name: a, run: a}]\n", "must be a string", "params.day.description", 4},

		// Placement: labels.
		{"label name with space", "name: x\ntasks:\n  - name: a\n    run: a\n    labels:\n      \"disk type\": ssd\n", `label name "disk type": must match ^[A-Za-z0-9]([A-Za-z0-9_./-]*[A-Za-z0-9])?$`, `tasks[0].labels["disk type"]`, 6},
		{"label name leading dot", "name: x\ntasks:\n  - name: a\n    run: a\n    labels:\n      .hidden: x\n", `label name ".hidden": must match`, `tasks[0].labels[".hidden"]`, 6},
		{"label name trailing slash", "name: x\ndefaults:\n  labels:\n    example.com/: x\ntasks: [{name: a, run: a}]\n", `label name "example.com/": must match`, `defaults.labels["example.com/"]`, 4},
		{"label name empty", "name: x\ntasks:\n  - name: a\n    run: a\n    labels:\n      \"\": x\n", `label name "": must not be empty`, `tasks[0].labels[""]`, 6},
		{"label name too long", "name: x\ntasks:\n  - name: a\n    run: a\n    labels:\n      " + label64 + ": x\n", "longer than 63 characters", "tasks[0].labels." + label64, 6},
		{"label value with space", "name: x\ntasks:\n  - name: a\n    run: a\n    labels:\n      disk: ssd fast\n", `label "disk": value "ssd fast": must match ^[A-Za-z0-9_./-]*$`, "tasks[0].labels.disk", 6},
		{"label value too long", "name: x\ndefaults:\n  labels:\n    disk: " + label64 + "\ntasks: [{name: a, run: a}]\n", `label "disk": value "` + label64[:40] + `...": longer than 63 characters`, "defaults.labels.disk", 4},
		{"label value number with plus", "name: x\ntasks:\n  - name: a\n    run: a\n    labels:\n      scale: 1e+10\n", `label "scale": value "1e+10": must match`, "tasks[0].labels.scale", 6},
		{"label value list", "name: x\ntasks:\n  - name: a\n    run: a\n    labels:\n      disk: [ssd]\n", "must be a boolean, a number or a string, got a list", "tasks[0].labels.disk", 6},
		{"label value null", "name: x\ntasks:\n  - name: a\n    run: a\n    labels:\n      disk:\n", "got nothing (null)", "tasks[0].labels.disk", 6},
		{"labels a list", "name: x\ntasks:\n  - name: a\n    run: a\n    labels: [ssd]\n", "must be an object, got a list", "tasks[0].labels", 5},

		// Placement: zones.
		{"zones unknown key", "name: x\ntasks:\n  - name: a\n    run: a\n    zones:\n      allow: [a]\n      alow: [b]\n", `unknown field "alow" (did you mean "allow"?)`, "tasks[0].zones", 7},
		{"zones empty", "name: x\ntasks:\n  - name: a\n    run: a\n    zones: {}\n", "must have allow, deny or both", "tasks[0].zones", 5},
		{"zones empty in defaults", "name: x\ndefaults:\n  zones: {}\ntasks: [{name: a, run: a}]\n", "must have allow, deny or both", "defaults.zones", 3},
		{"zones a list", "name: x\ntasks:\n  - name: a\n    run: a\n    zones: [a]\n", "must be an object, got a list (write {allow: [...]} or {deny: [...]})", "tasks[0].zones", 5},
		{"zones allow empty", "name: x\ntasks:\n  - name: a\n    run: a\n    zones:\n      allow: []\n", "must not be empty", "tasks[0].zones.allow", 6},
		{"zones deny empty", "name: x\ndefaults:\n  zones:\n    deny: []\ntasks: [{name: a, run: a}]\n", "must not be empty", "defaults.zones.deny", 4},
		{"zones allow a string", "name: x\ntasks:\n  - name: a\n    run: a\n    zones:\n      allow: eu-west-1\n", `must be a list, got "eu-west-1" (write [eu-west-1] for a list of one)`, "tasks[0].zones.allow", 6},
		{"zone with space", "name: x\ntasks:\n  - name: a\n    run: a\n    zones:\n      deny:\n        - eu-west-1\n        - eu west 2\n", `zone "eu west 2": must match ^[A-Za-z0-9][A-Za-z0-9_.-]*$`, "tasks[0].zones.deny[1]", 8},
		{"zone with slash", "name: x\ntasks:\n  - name: a\n    run: a\n    zones:\n      allow: [eu/west]\n", `zone "eu/west": must match`, "tasks[0].zones.allow[0]", 6},
		{"zone leading dash", "name: x\ndefaults:\n  zones:\n    allow:\n      - -a\ntasks: [{name: a, run: a}]\n", `zone "-a": must match`, "defaults.zones.allow[0]", 5},
		{"zone empty", "name: x\ntasks:\n  - name: a\n    run: a\n    zones:\n      allow: [\"\"]\n", `zone "": must not be empty`, "tasks[0].zones.allow[0]", 6},
		{"zone too long", "name: x\ntasks:\n  - name: a\n    run: a\n    zones:\n      allow: [" + label64 + "]\n", "longer than 63 characters", "tasks[0].zones.allow[0]", 6},
		{"zone number", "name: x\ntasks:\n  - name: a\n    run: a\n    zones:\n      allow: [1]\n", "must be a string, got 1", "tasks[0].zones.allow[0]", 6},
		{"zone in allow and deny", "name: x\ntasks:\n  - name: a\n    run: a\n  - name: b\n    run: b\n  - name: c\n    run: c\n    zones:\n      allow: [a, b]\n      deny:\n        - a\n", `zone "a" is also in allow`, "tasks[2].zones.deny[0]", 12},
		{"zone in both in defaults", "name: x\ndefaults:\n  zones:\n    allow: [b, a]\n    deny: [c, a]\ntasks: [{name: a, run: a}]\n", `zone "a" is also in allow`, "defaults.zones.deny[1]", 5},

		// Templates.
		{"unknown param ref", "name: x\nparams:\n  day: today\ntasks:\n  - name: a\n    run: ./a ${{ params.dya }}\n", `params.dya: parameter "dya" is not declared in params (did you mean params.day?)`, "tasks[0].run", 6},
		{"unknown run field", "name: x\ntasks:\n  - name: a\n    run: ./a ${{run.date}}\n", "run.date: unknown reference (run has id, workflow, scheduled_time and scheduled_date)", "tasks[0].run", 4},
		{"unknown task field", "name: x\ntasks:\n  - name: a\n    run: ./a ${{ task.retries }}\n", "task.retries: unknown reference", "tasks[0].run", 4},
		{"unknown root", "name: x\ntasks:\n  - name: a\n    run: ./a ${{ param.day }}\n", "param.day: unknown reference (did you mean params.day?)", "tasks[0].run", 4},
		{"bare word", "name: x\ntasks:\n  - name: a\n    run: ./a ${{ day }}\n", "day: unknown reference", "tasks[0].run", 4},
		{"not a reference", "name: x\ntasks:\n  - name: a\n    run: ./a ${{ params.a + 1 }}\n", "invalid expression", "tasks[0].run", 4},
		{"empty expression", "name: x\ntasks:\n  - name: a\n    run: ./a ${{ }}\n", "empty expression", "tasks[0].run", 4},
		{"unterminated", "name: x\ntasks:\n  - name: a\n    run: ./a ${{ run.id\n", `unterminated "${{"`, "tasks[0].run", 4},
		{"output short", "name: x\ntasks:\n  - name: a\n    run: ./a ${{ tasks.b.file }}\n", "write tasks.NAME.outputs.KEY", "tasks[0].run", 4},
		{"output of unknown task", "name: x\ntasks:\n  - name: a\n    run: a\n  - name: b\n    run: ./b ${{ tasks.c.outputs.file }}\n    needs: [a]\n", `tasks.c.outputs.file: unknown task "c"`, "tasks[1].run", 6},
		{"output not upstream", "name: x\ntasks:\n  - name: x\n    run: a\n  - name: z\n    run: ./z ${{ tasks.x.outputs.y }}\n", "tasks.x.outputs.y: task x is not upstream of task z", "tasks[1].run", 6},
		{"output of downstream", "name: x\ntasks:\n  - name: a\n    run: ./a ${{ tasks.b.outputs.f }}\n  - name: b\n    run: b\n    needs: [a]\n", "task b is not upstream of task a", "tasks[0].run", 4},
		{"output of itself", "name: x\ntasks:\n  - name: a\n    run: ./a ${{ tasks.a.outputs.f }}\n", "task a is not upstream of task a", "tasks[0].run", 4},
		{"output in env", "name: x\ntasks:\n  - name: a\n    run: a\n  - name: b\n    run: b\n    env:\n      F: ${{ tasks.a.outputs.f }}\n", "task a is not upstream of task b", "tasks[1].env.F", 8},
		{"output in defaults env", "name: x\ndefaults:\n  env:\n    F: ${{ tasks.a.outputs.f }}\ntasks:\n  - name: a\n    run: a\n", "task a is not upstream of task a", "defaults.env.F", 4},
		{"param in defaults env", "name: x\ndefaults:\n  env:\n    DAY: ${{ params.day }}\ntasks:\n  - name: a\n    run: a\n", `parameter "day" is not declared`, "defaults.env.DAY", 4},
		{"error inside a block", "name: x\ntasks:\n  - name: a\n    run: |\n      echo start\n      echo ${{ run.date }}\n      echo end\n", "run.date: unknown reference", "tasks[0].run", 6},

		// Schedules: the document.
		{"schedule and schedules", "name: x\nschedule:\n  cron: \"@daily\"\nschedules:\n  - {name: b, cron: \"@hourly\"}\ntasks: [{name: a, run: a}]\n", "give schedule or schedules, not both", "schedule", 2},
		{"schedule a string", "name: x\nschedule: \"@daily\"\ntasks: [{name: a, run: a}]\n", `must be an object, got "@daily" (write {cron: "..."}`, "schedule", 2},
		{"schedules an object", "name: x\nschedules:\n  daily: {cron: \"@daily\"}\ntasks: [{name: a, run: a}]\n", "must be a list, got an object", "schedules", 2},
		{"schedules item a string", "name: x\nschedules:\n  - {name: a, cron: \"@daily\"}\n  - \"@hourly\"\ntasks: [{name: a, run: a}]\n", `must be an object, got "@hourly"`, "schedules[1]", 4},
		{"too many schedules", "name: x\ntasks: [{name: a, run: a}]\nschedules:\n" + manySchedules(101), "at most 100 schedules are allowed, got 101", "schedules", 3},
		{"unknown schedule field", "name: x\nschedules:\n  - name: a\n    cron: \"@daily\"\n    timzone: UTC\ntasks: [{name: a, run: a}]\n", `unknown field "timzone" (did you mean "timezone"?)`, "schedules[0]", 5},
		{"unknown shorthand field", "name: x\nschedule:\n  cron: \"@daily\"\n  every: 1h\ntasks: [{name: a, run: a}]\n", `unknown field "every"`, "schedule", 4},

		// Schedules: names.
		{"schedule without a name", "name: x\nschedules:\n  - name: a\n    cron: \"@daily\"\n  - cron: \"@hourly\"\ntasks: [{name: a, run: a}]\n", `missing required field "name"`, "schedules[1]", 5},
		{"schedule name upper case", "name: x\nschedules:\n  - name: Daily\n    cron: \"@daily\"\ntasks: [{name: a, run: a}]\n", `invalid name "Daily"`, "schedules[0].name", 3},
		{"schedule name empty", "name: x\nschedule:\n  name: \"\"\n  cron: \"@daily\"\ntasks: [{name: a, run: a}]\n", "name must not be empty", "schedule.name", 3},
		{"schedule name too long", "name: x\nschedules:\n  - name: " + long + "\n    cron: \"@daily\"\ntasks: [{name: a, run: a}]\n", "longer than 100 characters", "schedules[0].name", 3},
		{"duplicate schedule", "name: x\nschedules:\n  - name: a\n    cron: \"@daily\"\n  - name: b\n    cron: \"@hourly\"\n  - name: a\n    cron: \"@weekly\"\ntasks: [{name: a, run: a}]\n", `duplicate schedule name "a" (first used by schedules[0])`, "schedules[2].name", 7},

		// Schedules: timing, as package schedule checks it.
		{"schedule without cron", "name: x\nschedule:\n  timezone: UTC\ntasks: [{name: a, run: a}]\n", `missing required field "cron"`, "schedule", 2},
		{"cron empty", "name: x\nschedule:\n  cron: \"\"\ntasks: [{name: a, run: a}]\n", "must not be empty", "schedule.cron", 3},
		{"cron number", "name: x\nschedules:\n  - name: a\n    cron: 5\ntasks: [{name: a, run: a}]\n", "must be a string, got 5", "schedules[0].cron", 4},
		{"cron out of range", "name: x\nschedules:\n  - name: a\n    cron: 0 25 * * *\ntasks: [{name: a, run: a}]\n", `hour field "25": 25 is out of range 0-23`, "schedules[0].cron", 4},
		{"cron four fields", "name: x\nschedule:\n  cron: 0 2 * *\ntasks: [{name: a, run: a}]\n", "expected 5 fields", "schedule.cron", 3},
		{"cron unknown macro", "name: x\nschedule:\n  cron: \"@nightly\"\ntasks: [{name: a, run: a}]\n", `unknown macro "@nightly"`, "schedule.cron", 3},
		{"cron every too short", "name: x\nschedule:\n  cron: \"@every 500ms\"\ntasks: [{name: a, run: a}]\n", "must be at least 1s", "schedule.cron", 3},
		{"cron with TZ", "name: x\nschedule:\n  cron: TZ=Europe/Berlin 0 2 * * *\ntasks: [{name: a, run: a}]\n", "with the timezone field", "schedule.cron", 3},
		{"timezone unknown", "name: x\nschedules:\n  - name: a\n    cron: \"@daily\"\n    timezone: Europe/Atlantis\ntasks: [{name: a, run: a}]\n", `unknown time zone "Europe/Atlantis"`, "schedules[0].timezone", 5},
		{"timezone local", "name: x\nschedule:\n  cron: \"@daily\"\n  timezone: Local\ntasks: [{name: a, run: a}]\n", `"Local" is not allowed`, "schedule.timezone", 4},
		{"timezone empty", "name: x\nschedule:\n  cron: \"@daily\"\n  timezone: \"\"\ntasks: [{name: a, run: a}]\n", "must not be empty", "schedule.timezone", 4},
		{"start without offset", "name: x\nschedule:\n  cron: \"@daily\"\n  start: 2026-01-01T00:00:00\ntasks: [{name: a, run: a}]\n", `invalid time "2026-01-01T00:00:00": write it in RFC 3339`, "schedule.start", 4},
		{"start a date", "name: x\nschedules:\n  - name: a\n    cron: \"@daily\"\n    start: 2026-01-01\ntasks: [{name: a, run: a}]\n", `invalid time "2026-01-01"`, "schedules[0].start", 5},
		{"start offset of a day", "name: x\nschedule:\n  cron: \"@daily\"\n  start: 2026-01-01T00:00:00+24:00\ntasks: [{name: a, run: a}]\n", `invalid time "2026-01-01T00:00:00+24:00"`, "schedule.start", 4},
		{"end a number", "name: x\nschedule:\n  cron: \"@daily\"\n  end: 2026\ntasks: [{name: a, run: a}]\n", `must be a time in RFC 3339, such as "2026-01-01T02:00:00Z", got 2026`, "schedule.end", 4},
		{"end before start", "name: x\nschedule:\n  cron: \"@daily\"\n  start: 2026-06-01T00:00:00Z\n  end: 2026-06-01T01:00:00+02:00\ntasks: [{name: a, run: a}]\n", "before start (2026-06-01T01:00:00+02:00 < 2026-06-01T00:00:00Z)", "schedule.end", 5},
		{"jitter negative", "name: x\nschedule:\n  cron: \"@daily\"\n  jitter: -5m\ntasks: [{name: a, run: a}]\n", "must not be negative", "schedule.jitter", 4},
		{"jitter without unit", "name: x\nschedule:\n  cron: \"@daily\"\n  jitter: 30\ntasks: [{name: a, run: a}]\n", "must be a duration with a unit", "schedule.jitter", 4},

		// Schedules: policies.
		{"catchup unknown", "name: x\nschedules:\n  - name: a\n    cron: \"@daily\"\n    catchup: lastest\ntasks: [{name: a, run: a}]\n", `invalid value "lastest": must be one of "none", "latest", "all" (did you mean "latest"?)`, "schedules[0].catchup", 5},
		{"catchup empty", "name: x\nschedule:\n  cron: \"@daily\"\n  catchup: \"\"\ntasks: [{name: a, run: a}]\n", `invalid value "": must be one of "none", "latest", "all"`, "schedule.catchup", 4},
		{"catchup boolean", "name: x\nschedule:\n  cron: \"@daily\"\n  catchup: false\ntasks: [{name: a, run: a}]\n", "must be a string, got false", "schedule.catchup", 4},
		{"catchup_window negative", "name: x\nschedule:\n  cron: \"@daily\"\n  catchup: all\n  catchup_window: -1h\ntasks: [{name: a, run: a}]\n", "must not be negative", "schedule.catchup_window", 5},
		{"catchup_window bad", "name: x\nschedule:\n  cron: \"@daily\"\n  catchup_window: a day\ntasks: [{name: a, run: a}]\n", `invalid duration "a day"`, "schedule.catchup_window", 4},
		{"trigger_rule unknown", "name: x\ntasks:\n  - name: a\n    run: a\n    trigger_rule: one_success\n", `invalid value "one_success"`, "tasks[0].trigger_rule", 5},
		{"run timeout bad", "name: x\ntimeout: soon\ntasks: [{name: a, run: a}]\n", `soon`, "timeout", 2},
		{"http and run", "name: x\ntasks:\n  - name: a\n    run: a\n    http: {url: \"https://x\"}\n", "give one of run, noop and http", "tasks[0].http", 5},
		{"http url scheme", "name: x\ntasks:\n  - name: a\n    http: {url: \"ftp://x\"}\n", "must start with http:// or https://", "tasks[0].http.url", 4},
		{"http method", "name: x\ntasks:\n  - name: a\n    http:\n      url: https://x\n      method: get\n", `invalid value "get"`, "tasks[0].http.method", 6},
		{"http url template", "name: x\ntasks:\n  - name: a\n    http:\n      url: \"https://x/${{ params.nope }}\"\n", `parameter "nope" is not declared`, "tasks[0].http.url", 5},
		{"http status", "name: x\ntasks:\n  - name: a\n    http:\n      url: https://x\n      expect_status: [99]\n", "", "tasks[0].http.expect_status[0]", 6},
		{"slot bad name", "name: x\ntasks:\n  - name: a\n    run: a\n    slot: Big DB\n", "", "tasks[0].slot", 5},
		{"defaults slot bad name", "name: x\ndefaults:\n  slot: \"db pool\"\ntasks: [{name: a, run: a}]\n", "", "defaults.slot", 3},
		{"resources on noop", "name: x\ntasks:\n  - name: a\n    noop: true\n    resources: [scripts]\n", "tasks that run a command", "tasks[0].resources", 5},
		{"resources bad name", "name: x\ntasks:\n  - name: a\n    run: a\n    resources:\n      - scripts\n      - ../etc\n", "", "tasks[0].resources[1]", 7},
		{"resources version zero", "name: x\ntasks:\n  - name: a\n    run: a\n    resources: [scripts@0]\n", "", "tasks[0].resources[0]", 5},
		{"resources twice", "name: x\ntasks:\n  - name: a\n    run: a\n    resources: [scripts, scripts@2]\n", `resource "scripts" is named twice`, "tasks[0].resources[1]", 5},
		{"resources not a list", "name: x\ntasks:\n  - name: a\n    run: a\n    resources: scripts\n", "", "tasks[0].resources", 5},
		{"workflow and run", "name: x\ntasks:\n  - name: a\n    run: a\n    workflow: child\n", "give one of run, noop, http and workflow", "tasks[0].workflow", 5},
		{"params without workflow", "name: x\ntasks:\n  - name: a\n    run: a\n    params: {day: 1}\n", "give workflow too", "tasks[0].params", 5},
		{"secret in run", "name: x\ntasks:\n  - name: a\n    run: |\n      echo start\n      curl -u admin:${{ secrets.db_password }} x\n", "secrets are not allowed in run", "tasks[0].run", 6},
		{"secret in url", "name: x\ntasks:\n  - name: a\n    http:\n      url: \"https://x/${{ secrets.k }}\"\n", "secrets are only allowed in env, http.headers and http.body", "tasks[0].http.url", 5},
		{"secret in sub-workflow param", "name: x\ntasks:\n  - name: a\n    workflow: child\n    params:\n      k: \"${{ secrets.k }}\"\n", "secrets are only allowed in env", "tasks[0].params.k", 6},
		{"expression in arithmetic", "name: x\nparams: {n: 1}\ntasks:\n  - name: a\n    run: echo $(( ${{ params.n }} + 1 ))\n", "not allowed in an arithmetic expansion", "tasks[0].run", 5},
		{"expression in quoted heredoc", "name: x\nparams: {n: 1}\ntasks:\n  - name: a\n    run: |\n      cat <<'EOF'\n      ${{ params.n }}\n      EOF\n", "here-document with a quoted delimiter", "tasks[0].run", 7},
		{"workflow param template", "name: x\ntasks:\n  - name: a\n    workflow: child\n    params:\n      day: \"${{ params.dya }}\"\n", `parameter "dya" is not declared`, "tasks[0].params.day", 6},
		{"workflow param bad name", "name: x\ntasks:\n  - name: a\n    workflow: child\n    params:\n      Day: 1\n", "", "tasks[0].params.Day", 6},
		{"approval and run", "name: x\ntasks:\n  - name: a\n    run: a\n    approval: {message: ok?}\n", "an approval task runs no command", "tasks[0].approval", 5},
		{"approval without message", "name: x\ntasks:\n  - name: a\n    approval: {timeout: 1h, default: reject}\n", "message", "tasks[0].approval", 4},
		{"approval timeout without default", "name: x\ntasks:\n  - name: a\n    approval:\n      message: ok?\n      timeout: 4h\n", "with a timeout, say what happens", "tasks[0].approval.default", 4},
		{"approval default without timeout", "name: x\ntasks:\n  - name: a\n    approval:\n      message: ok?\n      default: approve\n", "give timeout too", "tasks[0].approval.default", 6},
		{"approval bad default", "name: x\ntasks:\n  - name: a\n    approval:\n      message: ok?\n      timeout: 4h\n      default: maybe\n", "", "tasks[0].approval.default", 7},
		{"approval bad timeout", "name: x\ntasks:\n  - name: a\n    approval:\n      message: ok?\n      timeout: soon\n      default: reject\n", "invalid duration", "tasks[0].approval.timeout", 6},
		{"approval zero timeout", "name: x\ntasks:\n  - name: a\n    approval:\n      message: ok?\n      timeout: 0s\n      default: reject\n", "longer than 0", "tasks[0].approval.timeout", 6},
		{"approval unknown field", "name: x\ntasks:\n  - name: a\n    approval:\n      message: ok?\n      approvers: [bob]\n", `unknown field "approvers"`, "tasks[0].approval", 6},
		{"approval message reference", "name: x\ntasks:\n  - name: a\n    approval:\n      message: \"load ${{ params.dya }}?\"\n", `parameter "dya" is not declared`, "tasks[0].approval.message", 5},
		{"approval message secret", "name: x\ntasks:\n  - name: a\n    approval:\n      message: \"${{ secrets.k }}\"\n", "secrets are only allowed in env", "tasks[0].approval.message", 5},
		{"max_active_runs zero", "name: x\nmax_active_runs: 0\ntasks: [{name: a, run: a}]\n", "", "max_active_runs", 2},
		{"retention not a duration", "name: x\nretention: a week\ntasks: [{name: a, run: a}]\n", `invalid duration "a week"`, "retention", 2},
		{"retention negative", "name: x\nretention: -7d\ntasks: [{name: a, run: a}]\n", "must not be negative", "retention", 2},
		{"retention a number", "name: x\nretention: 7\ntasks: [{name: a, run: a}]\n", "must be a duration such as 30d, or 0 to keep runs forever", "retention", 2},
		{"retention a list", "name: x\nretention: [7d]\ntasks: [{name: a, run: a}]\n", "", "retention", 2},
		{"on_failure unknown", "name: x\non_failure: halt\ntasks: [{name: a, run: a}]\n", `invalid value "halt": must be one of "continue", "stop"`, "on_failure", 2},
		{"overlap unknown", "name: x\nschedules:\n  - name: a\n    cron: \"@daily\"\n    overlap: buffer-one\ntasks: [{name: a, run: a}]\n", `invalid value "buffer-one": must be one of "skip", "buffer_one", "buffer_all", "cancel_other", "allow_all" (did you mean "buffer_one"?)`, "schedules[0].overlap", 5},
		{"overlap Temporal spelling", "name: x\nschedule:\n  cron: \"@daily\"\n  overlap: BUFFER_ALL\ntasks: [{name: a, run: a}]\n", `(did you mean "buffer_all"?)`, "schedule.overlap", 4},
		{"paused not a boolean", "name: x\nschedule:\n  cron: \"@daily\"\n  paused: \"true\"\ntasks: [{name: a, run: a}]\n", `must be a boolean, got "true"`, "schedule.paused", 4},

		// Schedules: params.
		{"schedule param unknown", "name: x\nparams:\n  day: today\nschedules:\n  - name: a\n    cron: \"@daily\"\n    params:\n      dya: monday\ntasks: [{name: a, run: a}]\n", `unknown parameter "dya": not declared in params (did you mean "day"?)`, "schedules[0].params.dya", 8},
		{"schedule param none declared", "name: x\nschedule:\n  cron: \"@daily\"\n  params: {region: eu}\ntasks: [{name: a, run: a}]\n", `unknown parameter "region": not declared in params`, "schedule.params.region", 4},
		{"schedule param missing", "name: x\nparams:\n  day:\n  region: eu\nschedules:\n  - name: a\n    cron: \"@daily\"\n    params:\n      region: us\ntasks: [{name: a, run: a}]\n", `missing required parameter "day"`, "schedules[0].params", 8},
		{"schedule params missing", "name: x\nparams:\n  day: {description: which day}\ntasks: [{name: a, run: a}]\nschedule:\n  cron: \"@daily\"\n", `missing required parameter "day"`, "schedule.params", 5},
		{"schedule param a list", "name: x\nparams:\n  day:\nschedule:\n  cron: \"@daily\"\n  params:\n    day: [mon, tue]\ntasks: [{name: a, run: a}]\n", "must be a boolean, a number or a string, got a list", "schedule.params.day", 7},
		{"schedule param null", "name: x\nparams:\n  day: today\nschedule:\n  cron: \"@daily\"\n  params:\n    day:\ntasks: [{name: a, run: a}]\n", "got nothing (null)", "schedule.params.day", 7},
		{"schedule params a list", "name: x\nschedule:\n  cron: \"@daily\"\n  params: [day]\ntasks: [{name: a, run: a}]\n", "must be an object, got a list", "schedule.params", 4},
		{"schedule in JSON", "{\n  \"name\": \"x\",\n  \"tasks\": [{\"name\": \"a\", \"run\": \"a\"}],\n  \"schedules\": [\n    {\"name\": \"a\",\n     \"cron\": \"0 2 * * * * *\"}\n  ]\n}\n", "expected 5 fields", "schedules[0].cron", 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			def, err := Parse("etl.yaml", []byte(tt.src))
			if def != nil {
				t.Errorf("Parse returned a definition for bad input")
			}
			var verr *ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("Parse error = %v (%T), want *ValidationError", err, err)
			}
			for _, p := range verr.Problems {
				if strings.Contains(p.Message, tt.msg) && p.Path == tt.path && p.Line == tt.line {
					return
				}
			}
			t.Errorf("no problem {path %q, line %d, message containing %q} in:\n%v", tt.path, tt.line, tt.msg, err)
		})
	}
}

// manySchedules returns n items of a schedules list, named s0, s1, ...
func manySchedules(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "  - {name: s%d, cron: \"%d * * * *\"}\n", i, i%60)
	}
	return b.String()
}

// label64 is one character too long for a label or zone.
var label64 = strings.Repeat("a", 64)

// aliasBomb expands to 10^9 values ("billion laughs").
var aliasBomb = func() string {
	var b strings.Builder
	b.WriteString("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 9; i++ {
		prev := "*l" + strconv.Itoa(i-1)
		fmt.Fprintf(&b, "l%d: &l%d [%s]\n", i, i, strings.Repeat(prev+", ", 9)+prev)
	}
	return b.String()
}()

// TestParseReportsEverything checks that one bad document yields all its
// problems, not just the first.
func TestParseReportsEverything(t *testing.T) {
	src := `name: etl
tasks:
  - name: extract
    run: ./extract.sh
    retires: 3
  - name: transform
    run: ./transform.sh
    needs: [extrct]
    cu: 0
  - name: load
    run: ./load.sh ${{ tasks.transform.outputs.file }}
    timeout: forever
`
	_, err := Parse("etl.yaml", []byte(src))
	want := `etl.yaml:5: tasks[0]: unknown field "retires" (did you mean "retry"?)
etl.yaml:8: tasks[1].needs[0]: unknown task "extrct" (did you mean "extract"?)
etl.yaml:9: tasks[1].cu: must be greater than 0
etl.yaml:11: tasks[2].run: tasks.transform.outputs.file: task transform is not upstream of task load
etl.yaml:12: tasks[2].timeout: invalid duration "forever": expected a number at "forever"`
	if err == nil || err.Error() != want {
		t.Errorf("Parse error:\n%v\nwant:\n%s", err, want)
	}
}

// TestCyclesReportedOnce checks that a cycle is reported once however many
// of its tasks there are, and that separate cycles are each reported.
func TestCyclesReportedOnce(t *testing.T) {
	src := `name: x
tasks:
  - {name: a, run: a, needs: [c]}
  - {name: b, run: b, needs: [a]}
  - {name: c, run: c, needs: [b]}
  - {name: d, run: d, needs: [e]}
  - {name: e, run: e, needs: [d, a]}
  - {name: f, run: f, needs: [b, e]}
`
	_, err := Parse("", []byte(src))
	var verr *ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("Parse error = %v, want *ValidationError", err)
	}
	want := []Problem{
		{Path: "tasks[0].needs[0]", Line: 3, Message: "cycle: a -> b -> c -> a"},
		{Path: "tasks[3].needs[0]", Line: 6, Message: "cycle: d -> e -> d"},
	}
	if len(verr.Problems) != len(want) {
		t.Fatalf("problems:\n%v\nwant %d", err, len(want))
	}
	for i := range want {
		if verr.Problems[i] != want[i] {
			t.Errorf("problem %d = %+v, want %+v", i, verr.Problems[i], want[i])
		}
	}
}

// TestManyCycles checks that a graph with very many cycles is reported
// quickly and briefly.
func TestManyCycles(t *testing.T) {
	var b strings.Builder
	b.WriteString("name: x\ntasks:\n")
	const n = 30
	for i := range n {
		b.WriteString("  - name: t" + strconv.Itoa(i) + "\n    run: x\n    needs: [")
		var needs []string
		for j := range n {
			if j != i {
				needs = append(needs, "t"+strconv.Itoa(j))
			}
		}
		b.WriteString(strings.Join(needs, ", ") + "]\n")
	}
	_, err := Parse("", []byte(b.String()))
	var verr *ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("Parse error = %v, want *ValidationError", err)
	}
	if got := len(verr.Problems); got != maxCyclesReported+1 {
		t.Errorf("got %d problems, want %d:\n%v", got, maxCyclesReported+1, err)
	}
}

// TestParseChecksSecretsExist: with Options.SecretExists, a reference to a
// secret that does not exist is a problem naming it and its line; one
// that exists passes, in env, http headers and http body.
func TestParseChecksSecretsExist(t *testing.T) {
	src := "name: x\ntasks:\n  - name: a\n    run: echo \"$TOKEN\"\n    env:\n      TOKEN: \"${{ secrets.api_token }}\"\n" +
		"  - name: b\n    http:\n      url: https://x/\n      headers: {Authorization: \"Bearer ${{ secrets.api_token }}\"}\n" +
		"      body: \"${{ secrets.other }}\"\n"
	exists := func(name string) bool { return name == "api_token" }
	_, err := ParseWith("x.yaml", []byte(src), Options{SecretExists: exists})
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) != 1 || ve.Problems[0].Line != 11 ||
		!strings.Contains(ve.Problems[0].Message, `secret "other" does not exist`) || ve.Problems[0].Path != "tasks[1].http.body" {
		t.Fatalf("ParseWith: %v, want one problem: secret other, line 11", err)
	}
	if _, err := ParseWith("x.yaml", []byte(src), Options{SecretExists: func(string) bool { return true }}); err != nil {
		t.Errorf("every secret exists: %v", err)
	}
	if _, err := Parse("x.yaml", []byte(src)); err != nil {
		t.Errorf("Parse without the check: %v", err)
	}
}
