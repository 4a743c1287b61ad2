package workflow

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Retry strategies.
const (
	// StrategyNone never retries: the first failure fails the task.
	StrategyNone = "none"
	// StrategyFixed retries after Delay until MaxAttempts attempts failed.
	StrategyFixed = "fixed"
)

// retryField names the optional fields of a retry policy, as written.
const (
	fieldMaxAttempts = "max_attempts"
	fieldDelay       = "delay"
)

// strategySpec says which retry fields a strategy needs and which it uses.
// To add a strategy, add its fields to schema.json and to Retry, and an
// entry here.
type strategySpec struct {
	required []string
	optional []string
}

var strategies = map[string]strategySpec{
	StrategyNone:  {},
	StrategyFixed: {required: []string{fieldMaxAttempts}, optional: []string{fieldDelay}},
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
// against its strategy. Wrong types were reported by the schema; they are
// skipped here.
func (v *validator) decodeRetry(val any, p path) *Retry {
	switch val := val.(type) {
	case string:
		if val == StrategyNone {
			return &Retry{Strategy: StrategyNone}
		}
		return nil
	case map[string]any:
		r := &Retry{}
		r.Strategy, _ = val["strategy"].(string)
		if n, ok := integer(val[fieldMaxAttempts]); ok {
			r.MaxAttempts = n
		}
		if s, ok := val[fieldDelay].(string); ok {
			r.Delay = v.duration(s, p.key(fieldDelay))
		}
		if _, ok := val["strategy"].(string); !ok {
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
			if _, ok := val[f]; !ok {
				v.ps.add(p, "strategy %q requires %s", r.Strategy, f)
			}
		}
		for _, f := range []string{fieldMaxAttempts, fieldDelay} {
			if _, set := val[f]; set && !slices.Contains(spec.required, f) && !slices.Contains(spec.optional, f) {
				v.ps.add(p.key(f), "not used by strategy %q", r.Strategy)
			}
		}
		return r
	}
	return nil
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
