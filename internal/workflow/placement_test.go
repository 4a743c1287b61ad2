package workflow

import (
	"strings"
	"testing"
)

func TestCheckZone(t *testing.T) {
	tests := []struct {
		zone string
		want string // error message, "" for valid
	}{
		{"a", ""},
		{"eu-west-1", ""},
		{"EU_West.1", ""},
		{"1", ""},
		{"a.", ""},
		{strings.Repeat("z", 63), ""},
		{"", `zone "": must not be empty`},
		{"A B", `zone "A B": must match ^[A-Za-z0-9][A-Za-z0-9_.-]*$`},
		{"-a", `zone "-a": must match ^[A-Za-z0-9][A-Za-z0-9_.-]*$`},
		{".a", `zone ".a": must match ^[A-Za-z0-9][A-Za-z0-9_.-]*$`},
		{"eu/west", `zone "eu/west": must match ^[A-Za-z0-9][A-Za-z0-9_.-]*$`},
		{"zöne", `zone "zöne": must match ^[A-Za-z0-9][A-Za-z0-9_.-]*$`},
		{strings.Repeat("z", 64), `zone "` + strings.Repeat("z", 40) + `...": longer than 63 characters`},
	}
	for _, tt := range tests {
		err := CheckZone(tt.zone)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("CheckZone(%q) = %v, want nil", tt.zone, err)
		case tt.want != "" && (err == nil || err.Error() != tt.want):
			t.Errorf("CheckZone(%q) = %v, want %s", tt.zone, err, tt.want)
		}
	}
}

func TestCheckLabels(t *testing.T) {
	long := strings.Repeat("l", 64)
	tests := []struct {
		name   string
		labels map[string]string
		want   string // error message, "" for valid
	}{
		{"nil", nil, ""},
		{"empty", map[string]string{}, ""},
		{"simple", map[string]string{"disk": "ssd", "gpu": "true", "cores": "16"}, ""},
		{"dotted and slashed", map[string]string{"example.com/arch": "x86_64", "a": "b/c.d-e_f"}, ""},
		{"empty value", map[string]string{"spot": ""}, ""},
		{"longest", map[string]string{long[:63]: long[:63]}, ""},
		{"name with space", map[string]string{"disk type": "ssd"}, `label name "disk type": must match ^[A-Za-z0-9]([A-Za-z0-9_./-]*[A-Za-z0-9])?$`},
		{"name ends with dash", map[string]string{"disk-": "ssd"}, `label name "disk-": must match`},
		{"name starts with slash", map[string]string{"/disk": "ssd"}, `label name "/disk": must match`},
		{"name empty", map[string]string{"": "ssd"}, `label name "": must not be empty`},
		{"name too long", map[string]string{long: "x"}, "label name \"" + long[:40] + "...\": longer than 63 characters"},
		{"value with space", map[string]string{"disk": "fast ssd"}, `label "disk": value "fast ssd": must match ^[A-Za-z0-9_./-]*$`},
		{"value with colon", map[string]string{"disk": "a:b"}, `label "disk": value "a:b": must match`},
		{"value too long", map[string]string{"disk": long}, "label \"disk\": value \"" + long[:40] + "...\": longer than 63 characters"},
		{"first in name order", map[string]string{"b b": "x", "a": "y y", "c c": "z"}, `label "a": value "y y"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckLabels(tt.labels)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("CheckLabels = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.want)):
				t.Errorf("CheckLabels = %v, want %s", err, tt.want)
			}
		})
	}
}

// TestPlacementReportedOnce checks that a bad label value or zone, which
// both the schema and the decoder check, is reported once, and that a zone
// repeated in deny is reported at its first entry only.
func TestPlacementReportedOnce(t *testing.T) {
	src := `name: x
tasks:
  - name: a
    run: a
    labels:
      disk: fast ssd
      tier: ` + strings.Repeat("t", 64) + `
    zones:
      allow: [a, "b c ` + strings.Repeat("c", 64) + `"]
      deny: [a, a]
`
	_, err := Parse("x.yaml", []byte(src))
	want := `x.yaml:6: tasks[0].labels.disk: label "disk": value "fast ssd": must match ^[A-Za-z0-9_./-]*$
x.yaml:7: tasks[0].labels.tier: label "tier": value "tttttttttttttttttttttttttttttttttttttttt...": longer than 63 characters
x.yaml:9: tasks[0].zones.allow[1]: zone "b c cccccccccccccccccccccccccccccccccccc...": must match ^[A-Za-z0-9][A-Za-z0-9_.-]*$
x.yaml:10: tasks[0].zones.deny[0]: zone "a" is also in allow`
	if err == nil || err.Error() != want {
		t.Errorf("Parse error:\n%v\nwant:\n%s", err, want)
	}
}
