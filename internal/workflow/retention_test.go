package workflow

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestParseRetention(t *testing.T) {
	for _, tc := range []struct {
		src  string
		want *time.Duration // nil: not set
		json string         // what the stored spec says
	}{
		{"", nil, ""},
		{"retention: 7d\n", ptr(7 * Day), `"retention":"7d"`},
		{"retention: 36h\n", ptr(36 * time.Hour), `"retention":"1d12h"`},
		{"retention: 0\n", ptr(time.Duration(0)), `"retention":"0s"`},
		{"retention: \"0\"\n", ptr(time.Duration(0)), `"retention":"0s"`},
	} {
		def, err := Parse("r.yaml", []byte("name: r\n"+tc.src+"tasks: [{name: a, run: a}]\n"))
		if err != nil {
			t.Fatalf("%q: %v", tc.src, err)
		}
		switch {
		case tc.want == nil && def.Retention != nil:
			t.Errorf("%q: retention %v, want none", tc.src, *def.Retention)
		case tc.want != nil && (def.Retention == nil || def.Retention.Std() != *tc.want):
			t.Errorf("%q: retention %v, want %v", tc.src, def.Retention, *tc.want)
		}
		spec, err := json.Marshal(def)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(string(spec), `"retention"`); got != (tc.json != "") || !strings.Contains(string(spec), tc.json) {
			t.Errorf("%q: spec %s, want %s", tc.src, spec, tc.json)
		}
	}
}
