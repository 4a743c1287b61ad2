package workflow

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
)

// MaxTaskResources bounds the resources one task names.
const MaxTaskResources = 32

// ResourceRef names a resource of the resource centre a task uses: its
// name and, when pinned in the definition, its version (0: the latest at
// the run's start).
// It is written as a definition writes it, NAME or NAME@VERSION, in JSON
// too (stored definitions are parsed again).
type ResourceRef struct {
	Name    string
	Version int64
}

// MarshalJSON writes the reference as its String.
func (r ResourceRef) MarshalJSON() ([]byte, error) { return json.Marshal(r.String()) }

// UnmarshalJSON reads NAME or NAME@VERSION.
func (r *ResourceRef) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	ref, msg := ParseResourceRef(s)
	if msg != "" {
		return errors.New(msg)
	}
	*r = ref
	return nil
}

// String writes the reference as it is written in a definition:
// NAME or NAME@VERSION.
func (r ResourceRef) String() string {
	if r.Version == 0 {
		return r.Name
	}
	return r.Name + "@" + strconv.FormatInt(r.Version, 10)
}

// ParseResourceRef reads NAME or NAME@VERSION; the message says what is
// wrong ("" when nothing is).
func ParseResourceRef(s string) (ResourceRef, string) {
	name, ver, pinned := strings.Cut(s, "@")
	if !validName(name) {
		return ResourceRef{}, "resource " + nameMessage(name)
	}
	ref := ResourceRef{Name: name}
	if pinned {
		n, err := strconv.ParseInt(ver, 10, 64)
		if err != nil || n < 1 || strconv.FormatInt(n, 10) != ver {
			return ResourceRef{}, "invalid resource version " + strconv.Quote(ver) +
				": write NAME@N with N a version number from 1 (baton resources lists them)"
		}
		ref.Version = n
	}
	return ref, ""
}

// decodeResources reads a task's resources: a list of NAME or
// NAME@VERSION, each name once, only on tasks that run a command.
func (v *validator) decodeResources(val any, p path, runs bool) []ResourceRef {
	list, ok := val.([]any)
	if !ok {
		return nil
	}
	if !runs {
		v.ps.add(p, "resources are materialised for tasks that run a command (run): remove resources")
		return nil
	}
	if len(list) > MaxTaskResources {
		v.ps.add(p, "at most %d resources a task, got %d", MaxTaskResources, len(list))
		return nil
	}
	out := make([]ResourceRef, 0, len(list))
	seen := make(map[string]bool, len(list))
	for i, item := range list {
		s, _ := item.(string)
		ref, msg := ParseResourceRef(s)
		switch {
		case msg != "":
			v.ps.add(p.index(i), "%s", msg)
			continue
		case seen[ref.Name]:
			v.ps.add(p.index(i), "resource %q is named twice: name it once", ref.Name)
			continue
		}
		seen[ref.Name] = true
		out = append(out, ref)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
