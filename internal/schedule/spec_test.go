package schedule

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestParseRejects checks that every bad spec is refused with an error
// naming the field at fault.
func TestParseRejects(t *testing.T) {
	start := tm(t, "2026-01-02T00:00:00Z")
	tests := []struct {
		name  string
		spec  Spec
		field string
		msg   string // substring of the error
	}{
		{"empty cron", Spec{}, "cron", "must not be empty"},
		{"blank cron", Spec{Cron: "   "}, "cron", "must not be empty"},
		{"four fields", Spec{Cron: "* * * *"}, "cron", "expected 5 fields"},
		{"seven fields", Spec{Cron: "0 0 0 * * * 2026"}, "cron", "got 7"},
		{"minute too big", Spec{Cron: "60 * * * *"}, "cron", `minute field "60"`},
		{"hour too big", Spec{Cron: "0 24 * * *"}, "cron", `hour field "24"`},
		{"second too big", Spec{Cron: "61 0 0 * * *"}, "cron", `second field "61"`},
		{"day zero", Spec{Cron: "0 0 0 * *"}, "cron", "day-of-month field"},
		{"day 32", Spec{Cron: "0 0 32 * *"}, "cron", "day-of-month field"},
		{"month 13", Spec{Cron: "0 0 * 13 *"}, "cron", "month field"},
		{"unknown month name", Spec{Cron: "0 0 * FOO *"}, "cron", `month field "FOO": "FOO" is not a number or a name (JAN-DEC)`},
		{"out of range", Spec{Cron: "1-60 * * * *"}, "cron", `minute field "1-60": 60 is out of range 0-59`},
		{"question mark in hours", Spec{Cron: "0 ? * * *"}, "cron", "? is allowed only in day-of-month and day-of-week"},
		{"plus sign", Spec{Cron: "+5 * * * *"}, "cron", `"+5" is not a number`},
		{"missing range end", Spec{Cron: "5- * * * *"}, "cron", "missing number"},
		{"bad step", Spec{Cron: "*/x * * * *"}, "cron", `step "x" is not a positive number`},
		{"weekday 8", Spec{Cron: "0 0 * * 8"}, "cron", "day-of-week field"},
		{"not a number", Spec{Cron: "x * * * *"}, "cron", "minute field"},
		{"negative", Spec{Cron: "-1 * * * *"}, "cron", "minute field"},
		{"step too big", Spec{Cron: "*/60 * * * *"}, "cron", "minute field"},
		{"step zero", Spec{Cron: "*/0 * * * *"}, "cron", "minute field"},
		{"empty list item", Spec{Cron: "1,,2 * * * *"}, "cron", "empty list item"},
		{"trailing comma", Spec{Cron: "0 1, * * *"}, "cron", "empty list item"},
		{"hash syntax", Spec{Cron: "H * * * *"}, "cron", "minute field"},
		{"last day syntax", Spec{Cron: "0 0 L * *"}, "cron", "day-of-month field"},
		{"nth weekday syntax", Spec{Cron: "0 0 * * FRI#3"}, "cron", `day-of-week field "FRI#3": "FRI#3" is not a number or a name (SUN-SAT)`},
		{"february 30", Spec{Cron: "0 0 30 2 *"}, "cron", "never due"},
		{"31st of short months", Spec{Cron: "0 0 31 4,6,9,11 *"}, "cron", "never due"},
		{"tz prefix", Spec{Cron: "CRON_TZ=Asia/Tokyo 0 0 * * *"}, "cron", "timezone field"},
		{"legacy tz prefix", Spec{Cron: "TZ=UTC 0 0 * * *"}, "cron", "timezone field"},
		{"unknown macro", Spec{Cron: "@fortnightly"}, "cron", `unknown macro "@fortnightly"`},
		{"macro with argument", Spec{Cron: "@daily 5"}, "cron", "takes no argument"},
		{"every without duration", Spec{Cron: "@every"}, "cron", "@every needs a duration"},
		{"every not a duration", Spec{Cron: "@every soon"}, "cron", "not a duration"},
		{"every with days", Spec{Cron: "@every 1d"}, "cron", "not a duration"},
		{"every too short", Spec{Cron: "@every 500ms"}, "cron", "at least 1s"},
		{"every negative", Spec{Cron: "@every -1h"}, "cron", "at least 1s"},
		{"every zero", Spec{Cron: "@every 0s"}, "cron", "at least 1s"},
		{"unknown zone", Spec{Cron: "@daily", Timezone: "Mars/Base"}, "timezone", `unknown time zone "Mars/Base"`},
		{"local zone", Spec{Cron: "@daily", Timezone: "Local"}, "timezone", `"Local" is not allowed`},
		{"zone path", Spec{Cron: "@daily", Timezone: "../etc/passwd"}, "timezone", "unknown time zone"},
		{"negative jitter", Spec{Cron: "@daily", Jitter: -time.Second}, "jitter", "must not be negative"},
		{"end before start", Spec{Cron: "@daily", Start: start, End: start.Add(-time.Second)}, "end", "before start"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse(tt.spec)
			if err == nil {
				t.Fatalf("Parse(%+v) = %v, want an error", tt.spec, s)
			}
			if s != nil {
				t.Errorf("Parse returned a schedule with the error %v", err)
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field {
				t.Fatalf("error %q: want a *FieldError for %q", err, tt.field)
			}
			if !strings.HasPrefix(err.Error(), tt.field+": ") || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q: want %q and %q", err, tt.field+": ", tt.msg)
			}
		})
	}
}

// TestParseReportsAll checks that Parse reports every bad field at once.
func TestParseReportsAll(t *testing.T) {
	start := tm(t, "2026-01-02T00:00:00Z")
	_, err := Parse(Spec{Cron: "61 * * * *", Timezone: "Mars/Base", Start: start, End: start.Add(-1), Jitter: -1})
	if err == nil {
		t.Fatal("Parse accepted four bad fields")
	}
	want := []string{"cron", "timezone", "end", "jitter"}
	var got []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var fe *FieldError
		if !errors.As(e, &fe) {
			t.Fatalf("%v is not a *FieldError", e)
		}
		got = append(got, fe.Field)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("fields = %v, want %v\n%v", got, want, err)
	}
	if lines := strings.Count(err.Error(), "\n") + 1; lines != 4 {
		t.Errorf("error has %d lines, want 4:\n%v", lines, err)
	}
}

// TestParseAccepts checks specs that must parse, and what they keep.
func TestParseAccepts(t *testing.T) {
	for _, spec := range []Spec{
		{Cron: "0 2 * * *", Timezone: "Asia/Shanghai"},
		{Cron: "  @daily  "},
		{Cron: "@Every 1h30m"},
		{Cron: "@every 1.5s"},
		{Cron: "@every\t90s"},
		{Cron: "0 0 29 2 *"},
		{Cron: "0 0 31 1-12 *"},
		{Cron: "0 0 30 2 MON"}, // day-of-week rescues it: either field matches
		{Cron: "0 0 * * SUN-SAT"},
		{Cron: "0\t0  *  * *"},
		{Cron: "@daily", Timezone: "UTC", Jitter: time.Minute},
		{Cron: "@daily", Start: tm(t, "2026-01-01T00:00:00Z"), End: tm(t, "2026-01-01T00:00:00Z")},
		{Cron: "@daily", End: tm(t, "2026-01-01T00:00:00Z")},
	} {
		s, err := Parse(spec)
		if err != nil {
			t.Errorf("Parse(%+v): %v", spec, err)
			continue
		}
		if s.Spec() != spec {
			t.Errorf("Spec() = %+v, want %+v", s.Spec(), spec)
		}
	}
	if loc := mustParse(t, Spec{Cron: "@daily"}).Location(); loc != time.UTC {
		t.Errorf("empty timezone is %v, want UTC", loc)
	}
}

// TestSpansAllHours checks which hour fields fire in both copies of a
// repeated hour.
func TestSpansAllHours(t *testing.T) {
	for field, want := range map[string]bool{
		"*": true, "?": true, "*/1": true, "*/2": true, "*/5": true, "0-23": true, "0-23/3": true,
		"0/6": true, "12-11": true, "1": false, "1-3": false, "1/2": false, "0-22": false,
		"0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23": false, "*,1": false,
	} {
		if got := spansAllHours(field); got != want {
			t.Errorf("spansAllHours(%q) = %v, want %v", field, got, want)
		}
	}
}
