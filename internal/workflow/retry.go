package workflow

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/baton-sched/baton/client/vocab"
)

// Retry strategies. docs/workflows.md explains them to users; package
// retry decides with them.
const (
	// StrategyNone never retries: the first failure fails the task.
	StrategyNone = "none"
	// StrategyFixed retries after Delay until MaxAttempts attempts failed.
	StrategyFixed = "fixed"
	// StrategyExponential retries until MaxAttempts attempts failed,
	// waiting Delay, then Factor times longer after each failure, up to
	// MaxDelay, less up to Jitter of each wait.
	StrategyExponential = "exponential"
	// StrategyFailureRate retries after Delay while at most MaxFailures
	// failures happened within the last Interval.
	StrategyFailureRate = "failure_rate"
)

// Outcomes a policy's RetryOn may list.
const (
	// OutcomeFailed: the command exited non-zero.
	OutcomeFailed = vocab.AttemptFailed
	// OutcomeTimedOut: the attempt ran past its timeout and was killed.
	OutcomeTimedOut = vocab.AttemptTimedOut
	// OutcomeLost: the worker running the attempt was lost.
	OutcomeLost = vocab.AttemptLost
)

// retryOutcomes lists the outcomes in the order the docs give them;
// schema.json's retry_outcome says the same.
var retryOutcomes = []string{OutcomeFailed, OutcomeTimedOut, OutcomeLost}

// The fields of a retry policy besides strategy, as written.
const (
	fieldMaxAttempts = "max_attempts"
	fieldDelay       = "delay"
	fieldFactor      = "factor"
	fieldMaxDelay    = "max_delay"
	fieldJitter      = "jitter"
	fieldMaxFailures = "max_failures"
	fieldInterval    = "interval"
	fieldRetryOn     = "retry_on"
)

// retryFields lists every field of a policy besides strategy.
var retryFields = []string{
	fieldMaxAttempts, fieldDelay, fieldFactor, fieldMaxDelay, fieldJitter,
	fieldMaxFailures, fieldInterval, fieldRetryOn,
}

// strategySpec says which retry fields a strategy needs and which it uses.
// To add a strategy, add its fields to schema.json and to Retry, and an
// entry here; package retry must know it too (a test checks).
type strategySpec struct {
	required []string
	optional []string
}

// uses reports whether the strategy requires or accepts field f.
func (s strategySpec) uses(f string) bool {
	return slices.Contains(s.required, f) || slices.Contains(s.optional, f)
}

var strategies = map[string]strategySpec{
	StrategyNone: {},
	StrategyFixed: {
		required: []string{fieldMaxAttempts},
		optional: []string{fieldDelay, fieldRetryOn},
	},
	StrategyExponential: {
		required: []string{fieldMaxAttempts, fieldDelay},
		optional: []string{fieldFactor, fieldMaxDelay, fieldJitter, fieldRetryOn},
	},
	StrategyFailureRate: {
		required: []string{fieldMaxFailures, fieldInterval, fieldDelay},
		optional: []string{fieldRetryOn},
	},
}

// strategyNames lists the known strategies, sorted, for messages.
func strategyNames() []string {
	var names []string
	for name := range strategies {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// NoRetry is the policy of tasks that set none: fail on the first failure.
func NoRetry() Retry { return Retry{Strategy: StrategyNone} }

// decodeRetry reads a retry policy ("none" or an object) at p and checks it
// against its strategy. Wrong types and out-of-range numbers were reported
// by the schema; they are skipped here.
func (v *validator) decodeRetry(val any, p path) *Retry {
	switch val := val.(type) {
	case string:
		if val == StrategyNone {
			return &Retry{Strategy: StrategyNone}
		}
		return nil
	case map[string]any:
		return v.decodeRetryObject(val, p)
	}
	return nil
}

func (v *validator) decodeRetryObject(m map[string]any, p path) *Retry {
	r := &Retry{}
	r.Strategy, _ = m["strategy"].(string)
	r.MaxAttempts, _ = integer(m[fieldMaxAttempts])
	r.MaxFailures, _ = integer(m[fieldMaxFailures])
	if f, ok := number(m[fieldFactor]); ok {
		r.Factor = f
	}
	if f, ok := number(m[fieldJitter]); ok {
		r.Jitter = f
	}
	// dur reads a duration field; ok is false when it is unset or bad.
	dur := func(f string) (d Duration, ok bool) {
		s, ok := m[f].(string)
		if !ok {
			return 0, false
		}
		d, err := ParseDuration(s)
		if err != nil {
			v.ps.add(p.key(f), "%v", err)
			return 0, false
		}
		return d, true
	}
	delay, hasDelay := dur(fieldDelay)
	maxDelay, hasMaxDelay := dur(fieldMaxDelay)
	interval, hasInterval := dur(fieldInterval)
	r.Delay, r.MaxDelay, r.Interval = delay, maxDelay, interval
	if list, ok := m[fieldRetryOn].([]any); ok {
		r.RetryOn = make([]string, 0, len(list))
		for _, o := range list {
			if s, ok := o.(string); ok {
				r.RetryOn = append(r.RetryOn, s)
			}
		}
	}

	if _, ok := m["strategy"].(string); !ok {
		return r // missing or mistyped: the schema said so
	}
	spec, ok := strategies[r.Strategy]
	if !ok {
		msg := fmt.Sprintf("unknown retry strategy %s (use %s)", shorten(r.Strategy), joinOr(strategyNames()))
		if s := suggest(r.Strategy, strategyNames()); s != "" {
			msg = fmt.Sprintf("unknown retry strategy %s (did you mean %q?)", shorten(r.Strategy), s)
		}
		v.ps.add(p.key("strategy"), "%s", msg)
		return r
	}
	for _, f := range spec.required {
		if _, ok := m[f]; !ok {
			v.ps.add(p, "strategy %q requires %s", r.Strategy, f)
		}
	}
	for _, f := range retryFields {
		if _, set := m[f]; set && !spec.uses(f) {
			v.ps.add(p.key(f), "not used by strategy %q (%s)", r.Strategy, spec.describeFields())
		}
	}
	// Checks across fields, for fields the strategy uses.
	if r.Strategy == StrategyExponential && hasDelay && delay == 0 {
		v.ps.add(p.key(fieldDelay), "must be greater than 0: exponential waits grow from it")
	}
	if spec.uses(fieldMaxDelay) && hasMaxDelay && hasDelay && maxDelay < delay {
		v.ps.add(p.key(fieldMaxDelay), "max_delay %v is shorter than delay %v", maxDelay, delay)
	}
	if spec.uses(fieldInterval) && hasInterval && interval == 0 {
		v.ps.add(p.key(fieldInterval), "must be greater than 0")
	}
	return r
}

// describeFields says which fields a strategy takes, for messages.
func (s strategySpec) describeFields() string {
	fields := slices.Concat(s.required, s.optional)
	if len(fields) == 0 {
		return "it takes no other field"
	}
	return "it uses " + joinAnd(fields)
}

// MarshalJSON writes the policy as an object, leaving out unset fields but
// for a zero delay its strategy requires (failure_rate's), so that Parse
// reads the JSON back.
func (r Retry) MarshalJSON() ([]byte, error) {
	type plain Retry
	if r.Delay != 0 || !slices.Contains(strategies[r.Strategy].required, fieldDelay) {
		return json.Marshal(plain(r))
	}
	return json.Marshal(struct {
		plain
		Delay Duration `json:"delay"` // hides plain's, omitted when zero
	}{plain: plain(r)})
}

// UnmarshalJSON reads a policy object or the shorthand "none".
func (r *Retry) UnmarshalJSON(b []byte) error {
	if s := strings.TrimSpace(string(b)); strings.HasPrefix(s, `"`) {
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		if str != StrategyNone {
			return fmt.Errorf("retry: %q is not a policy (write \"none\" or an object)", str)
		}
		*r = Retry{Strategy: StrategyNone}
		return nil
	}
	type plain Retry
	return json.Unmarshal(b, (*plain)(r))
}
