package workflow

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
)

// ResolveParams returns the parameters of a run: the values given, plus
// the defaults of the parameters not given. It fails with a
// *ValidationError naming (as params.NAME) every required parameter that is
// missing and every given parameter the definition does not declare.
func ResolveParams(d *Definition, given map[string]string) (map[string]string, error) {
	ps := &problems{}
	out := make(map[string]string, len(d.Params))
	for _, name := range slices.Sorted(maps.Keys(d.Params)) {
		if v, ok := given[name]; ok {
			out[name] = v
			continue
		}
		if def := d.Params[name].Default; def != nil {
			out[name] = *def
			continue
		}
		ps.add(pathParams.key(name), "missing required parameter %q", name)
	}
	for _, name := range slices.Sorted(maps.Keys(given)) {
		if _, ok := d.Params[name]; !ok {
			msg := "unknown parameter %q"
			if s := suggest(name, slices.Sorted(maps.Keys(d.Params))); s != "" {
				ps.add(pathParams.key(name), msg+" (did you mean %q?)", name, s)
				continue
			}
			ps.add(pathParams.key(name), msg, name)
		}
	}
	if err := ps.err(""); err != nil {
		return nil, err
	}
	return out, nil
}

// UnmarshalJSON reads a parameter as an object {default, description}, or
// as the shorthand of a bare default: a string, number or boolean (kept as
// written), or null for none.
func (p *Param) UnmarshalJSON(b []byte) error {
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return err
	}
	var q Param
	if m, ok := v.(map[string]any); ok {
		if d, ok := m["description"]; ok {
			if q.Description, ok = d.(string); !ok {
				return fmt.Errorf("param description: want a string, got %s", describe(d))
			}
		}
		v = m["default"]
	}
	if v != nil {
		s, ok := scalarString(v)
		if !ok {
			return fmt.Errorf("param: want a string, number, boolean or object, got %s", describe(v))
		}
		q.Default = &s
	}
	*p = q
	return nil
}
