package workflow

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/baton-sched/baton/internal/schedule"
)

// TestParseSchedules checks both ways of writing schedules, and that the
// JSON the engine stores reads back the same, with schedules only.
func TestParseSchedules(t *testing.T) {
	shanghai := time.FixedZone("", 8*3600)
	var most []Schedule
	for i := range maxSchedules {
		most = append(most, Schedule{Name: fmt.Sprintf("s%d", i), Cron: fmt.Sprintf("%d * * * *", i%60)})
	}
	tests := []struct {
		name string
		src  string
		want []Schedule
	}{
		{
			"shorthand",
			"name: x\nparams: {day: today}\nschedule:\n  cron: 0 2 * * *\ntasks: [{name: a, run: a}]\n",
			[]Schedule{{Name: "default", Cron: "0 2 * * *"}},
		},
		{
			"shorthand with a name and every field",
			`name: x
params:
  day:
  region: eu
  batch: 500
schedule:
  name: nightly
  cron: 30 1 * * MON-FRI
  timezone: America/New_York
  start: 2026-01-01T00:00:00Z
  end: "2027-01-01T00:00:00+08:00"
  jitter: 5m
  catchup: all
  catchup_window: 2d
  overlap: buffer_one
  params: {day: "2026-01-01", batch: 1.50, region: true}
  paused: true
tasks:
  - name: a
    run: ./a ${{ params.day }}
`,
			[]Schedule{{
				Name: "nightly", Cron: "30 1 * * MON-FRI", Timezone: "America/New_York",
				Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2027, 1, 1, 0, 0, 0, 0, shanghai),
				Jitter: Duration(5 * time.Minute), Catchup: "all", CatchupWindow: Duration(48 * time.Hour), Overlap: "buffer_one",
				Params: map[string]string{"day": "2026-01-01", "batch": "1.50", "region": "true"}, Paused: true,
			}},
		},
		{
			"list",
			`name: x
params:
  day:
  region: eu
  batch: 500
schedules:
  - name: hourly
    cron: "@hourly"
    params: {day: today}
  - name: every-30s
    cron: "@every 30s"
    start: 2026-03-08T01:59:59.5-05:00
    overlap: allow_all
    catchup: none
    catchup_window: 10s
    params: {day: now, batch: 1000}
  - name: seconds
    cron: "*/15 * 9-17 * * 1-5"
    timezone: Asia/Shanghai
    catchup: latest
    catchup_window: "0"
    overlap: cancel_other
    jitter: "0"
    paused: false
    params: {day: 7, region: us}
tasks:
  - name: a
    run: ./a ${{ params.day }}
`,
			[]Schedule{
				{Name: "hourly", Cron: "@hourly", Params: map[string]string{"day": "today"}},
				{
					Name: "every-30s", Cron: "@every 30s", Start: time.Date(2026, 3, 8, 6, 59, 59, 5e8, time.UTC),
					Overlap: "allow_all", Catchup: "none", CatchupWindow: Duration(10 * time.Second),
					Params: map[string]string{"day": "now", "batch": "1000"},
				},
				{
					Name: "seconds", Cron: "*/15 * 9-17 * * 1-5", Timezone: "Asia/Shanghai", Catchup: "latest", Overlap: "cancel_other",
					Params: map[string]string{"day": "7", "region": "us"},
				},
			},
		},
		{
			"empty list",
			"name: x\nschedules: []\ntasks: [{name: a, run: a}]\n",
			nil,
		},
		{
			"the most schedules",
			"name: x\ntasks: [{name: a, run: a}]\nschedules:\n" + manySchedules(maxSchedules),
			most,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustParse(t, tt.src)
			if diff := cmp.Diff(tt.want, got.Schedules); diff != "" {
				t.Errorf("Parse mismatch (-want +got):\n%s", diff)
			}

			b, err := json.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			var keys map[string]json.RawMessage
			if err := json.Unmarshal(b, &keys); err != nil {
				t.Fatal(err)
			}
			if _, ok := keys["schedule"]; ok {
				t.Errorf("stored JSON has the shorthand schedule: %s", b)
			}
			if _, ok := keys["schedules"]; ok != (len(got.Schedules) > 0) {
				t.Errorf("stored JSON schedules present = %v, want %v: %s", ok, len(got.Schedules) > 0, b)
			}
			back, err := Parse("stored.json", b)
			if err != nil {
				t.Fatalf("Parse(json.Marshal(def)): %v\n%s", err, b)
			}
			if diff := cmp.Diff(got, back); diff != "" {
				t.Errorf("JSON round trip mismatch (-parsed +stored):\n%s", diff)
			}
			var viaStd Definition
			if err := json.Unmarshal(b, &viaStd); err != nil {
				t.Fatalf("json.Unmarshal: %v", err)
			}
			if diff := cmp.Diff(got, &viaStd); diff != "" {
				t.Errorf("json.Unmarshal mismatch (-parsed +stored):\n%s", diff)
			}
		})
	}
}

// TestScheduleJSONShorthand checks that JSON input may use the shorthand
// too, and that a stored schedule keeps its written offset.
func TestScheduleJSONShorthand(t *testing.T) {
	src := `{"name": "x", "tasks": [{"name": "a", "run": "a"}],
	"schedule": {"cron": "0 0 * * *", "start": "2026-01-01T08:00:00+08:00", "jitter": "90s"}}`
	d, err := Parse("x.json", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := []Schedule{{Name: "default", Cron: "0 0 * * *", Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Jitter: Duration(90 * time.Second)}}
	if diff := cmp.Diff(want, d.Schedules); diff != "" {
		t.Errorf("Parse mismatch (-want +got):\n%s", diff)
	}
	b, err := json.Marshal(d.Schedules)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `[{"name":"default","cron":"0 0 * * *","start":"2026-01-01T08:00:00+08:00","jitter":"1m30s"}]`; got != want {
		t.Errorf("stored schedules = %s, want %s", got, want)
	}
}

// TestScheduleSpec checks that Spec hands package schedule the timing
// exactly, so that a parsed schedule computes its due times.
func TestScheduleSpec(t *testing.T) {
	d := mustParse(t, `name: x
schedule:
  cron: 30 2 * * *
  timezone: America/New_York
  start: 2026-03-07T00:00:00Z
  end: 2026-03-09T12:00:00Z
  jitter: 1m
tasks: [{name: a, run: a}]
`)
	s := d.Schedules[0]
	want := schedule.Spec{
		Cron: "30 2 * * *", Timezone: "America/New_York",
		Start: time.Date(2026, 3, 7, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC),
		Jitter: time.Minute,
	}
	if diff := cmp.Diff(want, s.Spec()); diff != "" {
		t.Errorf("Spec mismatch (-want +got):\n%s", diff)
	}
	sch, err := schedule.Parse(s.Spec())
	if err != nil {
		t.Fatalf("schedule.Parse(Spec()): %v", err)
	}
	var got []string
	for _, due := range sch.Between(s.Start, s.End, 10) {
		got = append(got, due.Format(time.RFC3339))
	}
	// 02:30 does not exist on 2026-03-08 in New York: it fires at 03:00.
	wantDue := []string{"2026-03-07T02:30:00-05:00", "2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00"}
	if diff := cmp.Diff(wantDue, got); diff != "" {
		t.Errorf("due times (-want +got):\n%s", diff)
	}
}

// TestScheduleReportedOnce checks that a value both the schema and the
// decoder (or package schedule) reject is reported once, and that one bad
// schedule does not hide the problems of another.
func TestScheduleReportedOnce(t *testing.T) {
	src := `name: x
params:
  day:
schedules:
  - name: a
    catchup: lastest
    overlap: ""
    jitter: -1m
    params: {day: mon}
  - name: a
    cron: 61 * * * *
    timezone: Nowhere/City
    start: 2026-02-01T00:00:00Z
    end: 2026-01-01T00:00:00Z
tasks: [{name: a, run: a}]
`
	_, err := Parse("x.yaml", []byte(src))
	want := `x.yaml:5: schedules[0]: missing required field "cron"
x.yaml:6: schedules[0].catchup: invalid value "lastest": must be one of "none", "latest", "all" (did you mean "latest"?)
x.yaml:7: schedules[0].overlap: invalid value "": must be one of "skip", "buffer_one", "buffer_all", "cancel_other", "allow_all"
x.yaml:8: schedules[0].jitter: invalid duration "-1m": must not be negative
x.yaml:10: schedules[1].name: duplicate schedule name "a" (first used by schedules[0])
x.yaml:10: schedules[1].params: missing required parameter "day" (it has no default)
x.yaml:11: schedules[1].cron: minute field "61": 61 is out of range 0-59
x.yaml:12: schedules[1].timezone: unknown time zone "Nowhere/City"
x.yaml:14: schedules[1].end: before start (2026-01-01T00:00:00Z < 2026-02-01T00:00:00Z)`
	if err == nil || err.Error() != want {
		t.Errorf("Parse error:\n%v\nwant:\n%s", err, want)
	}
}

// TestScheduleInStep checks that schema.json, Schedule and package
// schedule agree on the fields, the policies and the limit.
func TestScheduleInStep(t *testing.T) {
	var s struct {
		Properties struct {
			Schedules struct {
				MaxItems int `json:"maxItems"`
			} `json:"schedules"`
		} `json:"properties"`
		Defs struct {
			Schedule struct {
				Properties map[string]json.RawMessage `json:"properties"`
			} `json:"schedule"`
			Catchup struct {
				Enum []string `json:"enum"`
			} `json:"catchup"`
			Overlap struct {
				Enum []string `json:"enum"`
			} `json:"overlap"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(Schema(), &s); err != nil {
		t.Fatal(err)
	}
	if s.Properties.Schedules.MaxItems != maxSchedules {
		t.Errorf("schema schedules maxItems %d, Go %d", s.Properties.Schedules.MaxItems, maxSchedules)
	}
	var structFields []string
	rt := reflect.TypeFor[Schedule]()
	for i := range rt.NumField() {
		name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
		structFields = append(structFields, name)
	}
	slices.Sort(structFields)
	if diff := cmp.Diff(slices.Sorted(maps.Keys(s.Defs.Schedule.Properties)), structFields); diff != "" {
		t.Errorf("schema schedule properties and Schedule's JSON fields differ (-schema +Schedule):\n%s", diff)
	}

	if diff := cmp.Diff(s.Defs.Catchup.Enum, catchupPolicies); diff != "" {
		t.Errorf("schema catchup and catchupPolicies differ (-schema +Go):\n%s", diff)
	}
	if diff := cmp.Diff(s.Defs.Overlap.Enum, overlapPolicies); diff != "" {
		t.Errorf("schema overlap and overlapPolicies differ (-schema +Go):\n%s", diff)
	}
	for _, p := range catchupPolicies {
		if c, err := schedule.ParseCatchup(p); err != nil || string(c) != p {
			t.Errorf("schedule.ParseCatchup(%q) = %q, %v", p, c, err)
		}
	}
	for _, p := range overlapPolicies {
		if o, err := schedule.ParseOverlap(p); err != nil || string(o) != p {
			t.Errorf("schedule.ParseOverlap(%q) = %q, %v", p, o, err)
		}
	}
	if c, _ := schedule.ParseCatchup(""); !slices.Contains(catchupPolicies, string(c)) {
		t.Errorf("default catchup %q is not a listed policy", c)
	}
	if o, _ := schedule.ParseOverlap(""); !slices.Contains(overlapPolicies, string(o)) {
		t.Errorf("default overlap %q is not a listed policy", o)
	}
}
