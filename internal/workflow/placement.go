package workflow

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"unicode/utf8"
)

// Worker labels and zones: what a task may ask of the worker that runs it,
// and what a worker declares when it registers. schema.json says the same
// ($defs label_name, label_value and zone); a test keeps them in step.
var (
	labelNamePattern  = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9_./-]*[A-Za-z0-9])?$`)
	labelValuePattern = regexp.MustCompile(`^[A-Za-z0-9_./-]*$`)
	zonePattern       = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)
)

// maxPlacementLen is the longest label name, label value or zone name
// allowed, in characters.
const maxPlacementLen = 63

// CheckZone reports whether name is a valid zone name: letters, digits,
// "_", "." and "-", starting with a letter or digit, at most 63 characters.
// The error names the zone.
func CheckZone(name string) error {
	switch {
	case name == "":
		return errors.New(`zone "": must not be empty`)
	case !zonePattern.MatchString(name):
		return fmt.Errorf("zone %s: must match %s", shorten(name), zonePattern)
	case utf8.RuneCountInString(name) > maxPlacementLen:
		return fmt.Errorf("zone %s: longer than %d characters", shorten(name), maxPlacementLen)
	}
	return nil
}

// CheckLabels reports whether every label is valid. A name has letters,
// digits, "_", ".", "/" and "-", starts and ends with a letter or digit,
// and is at most 63 characters; a value has the same characters, in any
// place, is at most 63 characters and may be empty. The error names the
// first bad label in name order.
func CheckLabels(labels map[string]string) error {
	for _, name := range slices.Sorted(maps.Keys(labels)) {
		if err := checkLabelName(name); err != nil {
			return err
		}
		if err := checkLabelValue(name, labels[name]); err != nil {
			return err
		}
	}
	return nil
}

func checkLabelName(name string) error {
	switch {
	case name == "":
		return errors.New(`label name "": must not be empty`)
	case !labelNamePattern.MatchString(name):
		return fmt.Errorf("label name %s: must match %s", shorten(name), labelNamePattern)
	case utf8.RuneCountInString(name) > maxPlacementLen:
		return fmt.Errorf("label name %s: longer than %d characters", shorten(name), maxPlacementLen)
	}
	return nil
}

func checkLabelValue(name, value string) error {
	switch {
	case !labelValuePattern.MatchString(value):
		return fmt.Errorf("label %s: value %s: must match %s", shorten(name), shorten(value), labelValuePattern)
	case utf8.RuneCountInString(value) > maxPlacementLen:
		return fmt.Errorf("label %s: value %s: longer than %d characters", shorten(name), shorten(value), maxPlacementLen)
	}
	return nil
}

// placementMessage words a schema failure of a zone or a label value
// exactly as CheckZone and CheckLabels do. The decoder checks the same
// values itself (it must: numbers become label values only after the
// schema), so the two reports are one problem, and only one is kept.
func placementMessage(def string, at path, val any) (string, bool) {
	s, ok := val.(string)
	if !ok || len(at) == 0 {
		return "", false
	}
	var err error
	switch def {
	case "zone":
		err = CheckZone(s)
	case "label_value":
		err = checkLabelValue(at[len(at)-1].key, s)
	}
	if err == nil {
		return "", false
	}
	return err.Error(), true
}

// decodeLabels reads a labels mapping at p; values may be written as
// numbers or booleans and are kept as text. An empty mapping is nil, so
// that a definition reads back the same from its JSON.
func (v *validator) decodeLabels(val any, p path) map[string]string {
	m, ok := val.(map[string]any)
	if !ok || len(m) == 0 {
		return nil
	}
	labels := make(map[string]string, len(m))
	for name, lv := range m {
		if err := checkLabelName(name); err != nil {
			v.ps.add(p.key(name), "%v", err)
		}
		s, ok := scalarString(lv)
		if !ok {
			continue // the schema said so
		}
		if err := checkLabelValue(name, s); err != nil {
			v.ps.add(p.key(name), "%v", err)
		}
		labels[name] = s
	}
	return labels
}

// decodeZones reads a zones object {allow, deny} at p and reports zones
// that are both allowed and denied, at the deny entry.
func (v *validator) decodeZones(val any, p path) *Zones {
	m, ok := val.(map[string]any)
	if !ok {
		return nil
	}
	z := &Zones{
		Allow: v.zoneList(m["allow"], p.key("allow")),
		Deny:  v.zoneList(m["deny"], p.key("deny")),
	}
	reported := map[string]bool{}
	for i, zone := range z.Deny {
		if zone != "" && slices.Contains(z.Allow, zone) && !reported[zone] {
			reported[zone] = true
			v.ps.add(p.key("deny").index(i), "zone %s is also in allow", shorten(zone))
		}
	}
	return z
}

// zoneList reads a list of zone names at p, keeping it as written
// (repeats included). Items of the wrong type, reported by the schema,
// read as "".
func (v *validator) zoneList(val any, p path) []string {
	list, ok := val.([]any)
	if !ok || len(list) == 0 {
		return nil
	}
	zones := make([]string, len(list))
	for i, item := range list {
		s, ok := item.(string)
		if !ok {
			continue
		}
		if err := CheckZone(s); err != nil {
			v.ps.add(p.index(i), "%v", err)
		}
		zones[i] = s
	}
	return zones
}

// sortedSet returns the distinct strings of list, sorted, or nil if there
// are none.
func sortedSet(list []string) []string {
	if len(list) == 0 {
		return nil
	}
	out := slices.Clone(list)
	slices.Sort(out)
	return slices.Compact(out)
}
