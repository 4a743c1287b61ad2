package workflow

import (
	"encoding/json"
	"regexp"
	"testing"
)

// TestSchemaInStep checks that schema.json compiles and agrees with the
// patterns and limits the Go code checks itself.
func TestSchemaInStep(t *testing.T) {
	if _, err := loadSchema(); err != nil {
		t.Fatalf("schema does not compile: %v", err)
	}
	var s struct {
		Defs map[string]struct {
			Pattern   string `json:"pattern"`
			MaxLength int    `json:"maxLength"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(Schema(), &s); err != nil {
		t.Fatal(err)
	}
	if got := s.Defs["name"].Pattern; got != namePattern.String() {
		t.Errorf("schema name pattern %q, Go %q", got, namePattern)
	}
	if got := s.Defs["name"].MaxLength; got != maxNameLen {
		t.Errorf("schema name maxLength %d, Go %d", got, maxNameLen)
	}
	if got := s.Defs["env_name"].Pattern; got != envName.String() {
		t.Errorf("schema env_name pattern %q, Go %q", got, envName)
	}
	for def, re := range map[string]*regexp.Regexp{
		"label_name":  labelNamePattern,
		"label_value": labelValuePattern,
		"zone":        zonePattern,
	} {
		if got := s.Defs[def].Pattern; got != re.String() {
			t.Errorf("schema %s pattern %q, Go %q", def, got, re)
		}
		if got := s.Defs[def].MaxLength; got != maxPlacementLen {
			t.Errorf("schema %s maxLength %d, Go %d", def, got, maxPlacementLen)
		}
	}
}

func TestSuggest(t *testing.T) {
	fields := []string{"cu", "description", "env", "group", "name", "needs", "priority", "rerunnable", "retry", "run", "timeout"}
	tests := []struct{ in, want string }{
		{"retires", "retry"},
		{"timout", "timeout"},
		{"Needs", "needs"},
		{"re_runnable", "rerunnable"},
		{"cmd", ""},
		{"schedule", ""},
		{"x", ""},
	}
	for _, tt := range tests {
		if got := suggest(tt.in, fields); got != tt.want {
			t.Errorf("suggest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
