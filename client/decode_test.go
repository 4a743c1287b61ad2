package client

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	jsonv1 "github.com/go-json-experiment/json/v1"
)

// The answers' decoder must read every body as encoding/json does: the
// worker protocol's bodies, edge values, and bad input (the same error).

// sameDecoding decodes data into a new value of v's type with both
// decoders and fails unless they agree on the value and on the error: both
// none, both a syntax error (with the same message if exact), or both
// another error.
func sameDecoding(t testing.TB, data []byte, v any, exact bool) {
	t.Helper()
	typ := reflect.TypeOf(v)
	want, got := reflect.New(typ), reflect.New(typ)
	werr := json.Unmarshal(data, want.Interface())
	gerr := decodeJSON(data, got.Interface())
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("%s %q: encoding/json error %v, decodeJSON error %v", typ, data, werr, gerr)
	}
	if werr != nil {
		// A type error names the field by its path, with the index of a
		// list element, so only syntax errors' messages are compared.
		var wsyntax *json.SyntaxError
		var gsyntax *jsonv1.SyntaxError
		if errors.As(werr, &wsyntax) != errors.As(gerr, &gsyntax) || (exact && wsyntax != nil && werr.Error() != gerr.Error()) {
			t.Fatalf("%s %q: error %q (%T), want encoding/json's %q (%T)", typ, data, gerr, gerr, werr, werr)
		}
		return
	}
	if !reflect.DeepEqual(want.Interface(), got.Interface()) {
		t.Fatalf("%s %q:\ndecodeJSON    %+v\nencoding/json %+v", typ, data, got.Elem(), want.Elem())
	}
}

// protocolTypes are the bodies of the hot calls, both ways.
var protocolTypes = []any{ReportBatch{}, ReportBatchResult{}, ClaimRequest{}, ClaimResponse{}, HeartbeatRequest{},
	HeartbeatResponse{}, Registration{}, StartRunsRequest{}, StartRunsResponse{}, LogBatch{}, Error{}}

func TestDecodeJSONEdgeValues(t *testing.T) {
	bodies := []string{
		`{}`, `null`, `{"reports":null}`, `{"reports":[]}`, `{"assignments":[]}`,
		// Names matched regardless of case, the last of repeated names
		// kept, unknown names ignored, as encoding/json does.
		`{"Reports":[{"ATTEMPT_ID":7,"Kind":"start"}]}`,
		`{"reports":[{"attempt_id":7,"attempt_id":8,"unknown":{"a":[1,2]}}]}`,
		`{"reports":[{"attempt_id":1,"kind":"finish","state":"succeeded","outputs":{"a":"b","é":"ü😀","":""}}]}`,
		`{"reports":[{"attempt_id":1,"outputs":{}}]}`, `{"reports":[{"attempt_id":1,"outputs":null}]}`,
		`{"reports":[{"attempt_id":1,"outputs":{"a":null}}]}`,
		`{"reports":[{"reason":"\u00e9\ud83d\ude00\n\t\"\\ \u2028"}]}`,
		"{\"reports\":[{\"reason\":\"\xff\xfe invalid UTF-8\"}]}",
		`{"assignments":[{"attempt_id":9,"kind":"noop","env":{"A":"1"},"timeout":1500000000,"cu":0.5,` +
			`"mask":["s3cr3t"],"spec":{"x":[1,{"y":null}]},"http":{"method":"GET","url":"http://x","expect_status":[200]},` +
			`"resources":[{"name":"r","version":2,"sha256":"ab","size":3,"kind":"file"}]}]}`,
		`{"max":1000,"free_cu":12.5,"wait":30000000000,"kinds":["shell","noop"]}`,
		`{"running":[1,2,9007199254740993],"ending":[],"complete":true}`,
		`{"kill":[],"preempt":null,"state":"draining","lease_ttl":15000000000}`,
		`{"worker":{"id":"w"},"lease_ttl":1,"heartbeat_interval":2,"credential":"c"}`,
		`{"runs":[{"id":1,"params":{"day":"x"},"created_at":"2026-12-06T15:04:05.123456789Z"}]}`,
		`{"status":409,"title":"Conflict","detail":"attempt is superseded"}`,
		// Bad input: the same errors.
		``, `{`, `{"reports":[`, `nope`, `{"reports":[]} x`, `{"reports":5}`, `{"reports":[{"attempt_id":"x"}]}`,
		`{"reports":[{"attempt_id":1.5}]}`, `{"max":1e400}`, `{"running":[-1,` + strings.Repeat("1,", 1000) + `2]}`,
		`{"wait":"1s"}`, `{"runs":[{"created_at":"yesterday"}]}`, `[]`, `"x"`, `{"reports":[{"outputs":[1]}]}`,
	}
	for _, b := range bodies {
		for _, v := range protocolTypes {
			sameDecoding(t, []byte(b), v, true)
		}
	}
}

// randString is a string of printable, unicode, escaped and invalid bytes.
func randString(r *rand.Rand) string {
	const alphabet = "aZ09 _-./:\"\\\n\t\x00\x7fé😀\u2028<>&"
	var b strings.Builder
	for range r.IntN(20) {
		if r.IntN(30) == 0 {
			b.WriteByte(byte(0x80 + r.IntN(0x80))) // invalid UTF-8
			continue
		}
		rs := []rune(alphabet)
		b.WriteRune(rs[r.IntN(len(rs))])
	}
	return b.String()
}

func randMap(r *rand.Rand) map[string]string {
	switch r.IntN(3) {
	case 0:
		return nil
	case 1:
		return map[string]string{}
	}
	m := map[string]string{}
	for range 1 + r.IntN(4) {
		m[randString(r)] = randString(r)
	}
	return m
}

// randRun is a run with random values, some of them zero, some times in
// another zone.
func randRun(r *rand.Rand) Run {
	at := func() time.Time {
		if r.IntN(3) == 0 {
			return time.Time{}
		}
		return time.Unix(r.Int64N(1<<34), r.Int64N(1e9)).In(time.FixedZone("", 60*(r.IntN(1440)-720)))
	}
	return Run{ID: r.Int64(), Workflow: randString(r), Version: r.Int64N(5), State: randString(r),
		Reason: randString(r), Params: randMap(r), Priority: r.Int64N(20) - 10, ScheduledAt: at(),
		CreatedBy: randString(r), CreatedAt: at(), StartedAt: at(), FinishedAt: at(), TasksTotal: r.Int64N(9),
		TasksLeft: r.Int64N(9), TasksFailed: r.Int64N(9), ParentRunID: r.Int64N(3)}
}

// TestDecodeJSONRoundTrip encodes random reports, results and assignments
// with encoding/json and decodes them with both decoders.
func TestDecodeJSONRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 2))
	for range 300 {
		var rb ReportBatch
		var rr ReportBatchResult
		var cr ClaimResponse
		var sr StartRunsResponse
		for range r.IntN(50) {
			rb.Reports = append(rb.Reports, Report{AttemptID: r.Int64() - r.Int64(), Kind: randString(r),
				State: randString(r), ExitCode: r.Int64N(256), Reason: randString(r), Outputs: randMap(r),
				Checkpoint: randString(r)})
			rr.Results = append(rr.Results, ReportResult{AttemptID: r.Int64(), Status: 200 + r.IntN(300),
				State: randString(r)})
			a := Assignment{AttemptID: r.Int64(), Kind: randString(r), Number: r.Int64N(10), RunID: r.Int64(),
				TaskID: r.Int64(), Task: randString(r), Workflow: randString(r), Command: randString(r),
				Env: randMap(r), Timeout: time.Duration(r.Int64()), CU: r.Float64() * 1e3, Checkpoint: randString(r),
				Mask: strings.Fields(randString(r))}
			if r.IntN(3) == 0 {
				a.HTTP = &HTTPRequest{Method: "POST", URL: randString(r), Headers: randMap(r), Body: randString(r),
					ExpectStatus: []int{200, r.IntN(600)}}
			}
			if r.IntN(3) == 0 {
				if err := a.SetPayload(map[string]any{"k": randString(r), "n": r.Float64()}); err != nil {
					t.Fatal(err)
				}
			}
			cr.Assignments = append(cr.Assignments, a)
			sr.Runs = append(sr.Runs, randRun(r))
		}
		for _, v := range []any{rb, rr, cr, sr} {
			data, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			sameDecoding(t, data, v, true)
		}
	}
}

// FuzzDecodeJSON: on any input both decoders agree. The message of a
// syntax error may differ in its wording where encoding/json's is odd (a
// control character "in string literal" is "in string").
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"reports":[{"attempt_id":1,"kind":"finish","outputs":{"a":"b"}}]}`,
		`{"assignments":[{"attempt_id":9,"env":{"A":"1"},"spec":{"x":1},"mask":["m"]}]}`, `{"running":[1],"complete":true}`,
		`{"results":[{"attempt_id":1,"status":409}]}`, `{"REPORTS":[{"Attempt_Id":1}]}`, `{"reports":[{"attempt_id":1e3}]}`,
		`{"runs":[{"id":1,"params":{"a":"b"},"created_at":"2026-12-06T15:04:05.1Z","tasks_total":1}]}`,
		`{"assignments":[{"attempt_id":9,"kind":"noop","cu":0.5,"mask":["a","b"]},{"attempt_id":10,"cu":1e2}]}`,
		`{"assignments":[{"attempt_id":9,"env":{"A":"1"},"env":{"B":"2"}}]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, v := range []any{ReportBatch{}, ReportBatchResult{}, ClaimResponse{}, StartRunsResponse{}, HeartbeatRequest{}} {
			sameDecoding(t, data, v, false)
		}
	})
}

// BenchmarkDecodeProtocol decodes the bodies of a claim of 100 noop tasks,
// their 200 reports, the answer to them and the answer to a batch start of
// 100 runs (go test -bench DecodeProtocol -benchmem ./client; "stdlib" is
// encoding/json, "reflective" the path decodeJSON takes for a body
// decodeFast does not).
func BenchmarkDecodeProtocol(b *testing.B) {
	var rb ReportBatch
	var rr ReportBatchResult
	var cr ClaimResponse
	var sr StartRunsResponse
	for i := range int64(100) {
		rb.Reports = append(rb.Reports, Report{AttemptID: 1e6 + i, Kind: "start"},
			Report{AttemptID: 1e6 + i, Kind: "finish", State: "succeeded"})
		rr.Results = append(rr.Results, ReportResult{AttemptID: 1e6 + i, Status: 200, State: "running"},
			ReportResult{AttemptID: 1e6 + i, Status: 200, State: "succeeded"})
		cr.Assignments = append(cr.Assignments, Assignment{AttemptID: 1e6 + i, Kind: "noop", Number: 1, RunID: 2e6 + i,
			TaskID: 3e6 + i, Task: "t", Workflow: "bench-noop", CU: 1})
		sr.Runs = append(sr.Runs, Run{ID: 2e6 + i, Workflow: "bench-noop", Version: 1, State: "queued",
			CreatedBy: "bench", CreatedAt: time.Date(2026, 12, 7, 9, 1, 2, 345678900, time.UTC), TasksTotal: 1, TasksLeft: 1})
	}
	for _, c := range []struct {
		name string
		v    any
	}{{"reports", rb}, {"results", rr}, {"claim", cr}, {"runs", sr}} {
		data, err := json.Marshal(c.v)
		if err != nil {
			b.Fatal(err)
		}
		typ := reflect.TypeOf(c.v)
		for _, d := range []struct {
			name   string
			decode func([]byte, any) error
		}{{"stdlib", json.Unmarshal}, {"reflective", jsonv1.Unmarshal}, {"decodeJSON", decodeJSON}} {
			b.Run(c.name+"/"+d.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if err := d.decode(data, reflect.New(typ).Interface()); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// TestDecodeFastTakesPlainAnswers: the answers of a claim, a report and a
// batch start as the servers write them take the fast path, which gives
// what encoding/json gives; bodies out of its form are left to the
// reflective path, which then decides alone.
func TestDecodeFastTakesPlainAnswers(t *testing.T) {
	at := time.Date(2026, 12, 7, 9, 1, 2, 345678900, time.UTC)
	plain := []any{
		ClaimResponse{Assignments: []Assignment{{AttemptID: 1 << 40, Kind: "noop", Number: 1, RunID: 7, TaskID: 9,
			Task: "t", Workflow: "w", Command: "echo hi", Env: map[string]string{"A": "1", "B": ""},
			Timeout: time.Minute, CU: 0.25, Mask: []string{"x"}}, {AttemptID: 2, Kind: "shell", CU: 1}}},
		ClaimResponse{Assignments: []Assignment{}}, ClaimResponse{},
		ReportBatchResult{Results: []ReportResult{{AttemptID: 5, Status: 200, State: "succeeded"}, {AttemptID: 6, Status: 409}}},
		StartRunsResponse{Runs: []Run{{ID: 3, Workflow: "w", Version: 2, State: "queued", Params: map[string]string{"day": "x"},
			Priority: -1, ScheduledAt: at, CreatedBy: "bench", CreatedAt: at, TasksTotal: 1, TasksLeft: 1},
			{ID: 4, State: "failed", Reason: "1 task(s) failed", StartedAt: at.In(time.FixedZone("", -90*60)),
				FinishedAt: at.Add(time.Hour), TasksTotal: 2, TasksFailed: 1, ParentRunID: 3}}},
	}
	for _, v := range plain {
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if bytes := []byte(strings.ReplaceAll(string(data), `,"`, ", \n\t\"")); !decodeFast(bytes, reflect.New(reflect.TypeOf(v)).Interface()) {
			t.Errorf("%T %s, spaced out: not taken by the fast path", v, bytes)
		}
		got := reflect.New(reflect.TypeOf(v))
		if !decodeFast(data, got.Interface()) {
			t.Errorf("%T %s: not taken by the fast path", v, data)
			continue
		}
		want := reflect.New(reflect.TypeOf(v))
		if err := json.Unmarshal(data, want.Interface()); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Interface(), want.Interface()) {
			t.Errorf("%T %s:\nfast          %+v\nencoding/json %+v", v, data, got.Elem(), want.Elem())
		}
	}
	left := []struct {
		body string
		v    any
	}{
		{`{"assignments":[{"attempt_id":1,"Kind":"noop"}]}`, &ClaimResponse{}},                   // name in another case
		{`{"assignments":[{"attempt_id":1,"spec":{"x":1}}]}`, &ClaimResponse{}},                  // a field it does not read
		{`{"assignments":[{"attempt_id":1,"env":{"A":"1"},"env":{"B":"2"}}]}`, &ClaimResponse{}}, // merged by encoding/json
		{`{"assignments":[{"attempt_id":1.0}]}`, &ClaimResponse{}},                               // not an integer
		{`{"assignments":[{"task":"caf\u00e9"}]}`, &ClaimResponse{}},                             // an escape
		{"{\"assignments\":[{\"task\":\"caf\xc3\xa9\"}]}", &ClaimResponse{}},                     // not ASCII
		{`{"results":[{"attempt_id":1,"state":null}]}`, &ReportBatchResult{}},                    // null kept out
		{`{"results":[]} x`, &ReportBatchResult{}},                                               // trailing bytes
		{`{"runs":[{"id":99999999999999999999}]}`, &StartRunsResponse{}},                         // out of range
		{`{"runs":[]}`, &StartRunsResponse{Runs: []Run{{ID: 1}}}},                                // into a value not new
		{`{"runs":[]}`, &HeartbeatResponse{}},                                                    // not a hot answer
	}
	for _, c := range left {
		before := reflect.ValueOf(c.v).Elem().Interface()
		if decodeFast([]byte(c.body), c.v) {
			t.Errorf("%s into %T: taken by the fast path", c.body, c.v)
		}
		if !reflect.DeepEqual(before, reflect.ValueOf(c.v).Elem().Interface()) {
			t.Errorf("%s into %T: changed by the fast path that refused it", c.body, c.v)
		}
	}
}
