package server

import (
	"bytes"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/baton-sched/baton/client"
)

// sameAnswer checks that appendAnswer writes v as huma's encoding/json
// does wherever it takes v, and reports whether it did.
func sameAnswer(t testing.TB, v any) bool {
	t.Helper()
	var want bytes.Buffer
	wantErr := huma.DefaultJSONFormat.Marshal(&want, v)
	got, ok := appendAnswer([]byte("prefix"), v)
	if !ok {
		return false
	}
	if wantErr != nil {
		t.Fatalf("appendAnswer wrote %q where encoding/json fails: %v", got, wantErr)
	}
	if !bytes.Equal(got, append([]byte("prefix"), want.Bytes()...)) {
		t.Fatalf("appendAnswer wrote\n%s\nencoding/json\n%s", got[len("prefix"):], want.Bytes())
	}
	return true
}

// answerString is mostly plain, sometimes not: a quote, an escape, a
// control character, HTML, non-ASCII.
func answerString(r *rand.Rand) string {
	if r.IntN(8) == 0 {
		return []string{`a"b`, `c\d`, "e\nf", "<p>&amp;</p>", "é", "\x7f", "\u2028", ""}[r.IntN(8)]
	}
	const plain = "abcxyzABC0189 _-./:@${}[]()'<>&"
	b := make([]byte, r.IntN(24))
	for i := range b {
		b[i] = plain[r.IntN(len(plain))]
	}
	return string(b)
}

func answerMap(r *rand.Rand) map[string]string {
	switch r.IntN(4) {
	case 0:
		return nil
	case 1:
		return map[string]string{}
	}
	m := map[string]string{}
	for range 1 + r.IntN(5) {
		m[answerString(r)] = answerString(r)
	}
	return m
}

func answerFloat(r *rand.Rand) float64 {
	return []float64{0, math.Copysign(0, -1), 1, 0.5, 1e-7, 1e21, 3.25e20, 1.0 / 3, r.Float64() * 1e3,
		-r.Float64(), math.Inf(1), math.NaN()}[r.IntN(12)]
}

func answerTime(r *rand.Rand) time.Time {
	switch r.IntN(6) {
	case 0:
		return time.Time{}
	case 1:
		return time.Unix(r.Int64N(1<<34), r.Int64N(1e9)).In(time.FixedZone("", 60*(r.IntN(1440)-720)))
	case 2:
		return time.Date(10000+r.IntN(10), 1, 2, 3, 4, 5, 0, time.UTC) // encoding/json refuses
	}
	return time.UnixMilli(r.Int64N(1 << 42)).UTC()
}

func answerAssignment(r *rand.Rand) client.Assignment {
	a := client.Assignment{AttemptID: r.Int64() - r.Int64(), Kind: answerString(r), Number: r.Int64N(10),
		RunID: r.Int64(), TaskID: r.Int64(), Task: answerString(r), Workflow: answerString(r),
		Command: answerString(r), Env: answerMap(r), Timeout: time.Duration(r.Int64N(3) * r.Int64()),
		CU: answerFloat(r), Checkpoint: answerString(r), Mask: strings.Fields(answerString(r))}
	switch r.IntN(8) {
	case 0:
		a.HTTP = &client.HTTPRequest{Method: "GET", URL: answerString(r)}
	case 1:
		a.Resources = []client.AssignedResource{{Name: answerString(r), Version: 1}}
	case 2:
		if err := a.SetPayload(map[string]any{"k": answerString(r)}); err != nil {
			panic(err)
		}
	}
	return a
}

func answerRun(r *rand.Rand) client.Run {
	return client.Run{ID: r.Int64(), Workflow: answerString(r), Version: r.Int64N(5), State: answerString(r),
		Reason: answerString(r), Params: answerMap(r), Priority: r.Int64N(20) - 10, ScheduledAt: answerTime(r),
		CreatedBy: answerString(r), CreatedAt: answerTime(r), StartedAt: answerTime(r), FinishedAt: answerTime(r),
		TasksTotal: r.Int64N(9), TasksLeft: r.Int64N(9), TasksFailed: r.Int64N(9), ParentRunID: r.Int64N(3)}
}

// TestAppendAnswerIsEncodingJSON encodes random answers, plain and not,
// both ways: where appendAnswer takes one, its bytes are encoding/json's;
// and it takes every plain one.
func TestAppendAnswerIsEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	taken := map[string]int{}
	for range 3000 {
		n := r.IntN(4)
		var cr client.ClaimResponse
		var rr client.ReportBatchResult
		var sr client.StartRunsResponse
		if r.IntN(10) > 0 { // else nil lists, written null
			cr.Assignments, rr.Results, sr.Runs = []client.Assignment{}, []client.ReportResult{}, []client.Run{}
		}
		for range n {
			cr.Assignments = append(cr.Assignments, answerAssignment(r))
			rr.Results = append(rr.Results, client.ReportResult{AttemptID: r.Int64(), Status: 200 + r.IntN(300),
				State: answerString(r)})
			sr.Runs = append(sr.Runs, answerRun(r))
		}
		for name, v := range map[string]any{"claim": cr, "claim pointer": &cr, "results": rr, "results pointer": &rr,
			"runs": sr, "runs pointer": &sr} {
			if sameAnswer(t, v) {
				taken[name]++
			}
		}
	}
	for _, name := range []string{"claim", "claim pointer", "results", "results pointer", "runs", "runs pointer"} {
		if taken[name] < 300 {
			t.Errorf("appendAnswer took %d of 3000 %s answers, want most plain ones", taken[name], name)
		}
	}
	// Plain answers, as the servers write them, always take the fast path.
	plain := client.ClaimResponse{Assignments: []client.Assignment{{AttemptID: 1, Kind: "noop", Number: 1, RunID: 2,
		TaskID: 3, Task: "t", Workflow: "w", CU: 1, Env: map[string]string{"B": "2", "A": "1"}, Mask: []string{"s3cret"}}}}
	run := client.StartRunsResponse{Runs: []client.Run{{ID: 1, Workflow: "w", State: "running",
		Params: map[string]string{}, CreatedAt: time.UnixMilli(1_765_000_000_123).UTC()}}}
	for _, v := range []any{plain, run, client.ReportBatchResult{Results: []client.ReportResult{{AttemptID: 1, Status: 200}}}} {
		if !sameAnswer(t, v) {
			t.Errorf("appendAnswer refused the plain answer %+v", v)
		}
	}
	if _, ok := appendAnswer(nil, client.Run{}); ok {
		t.Error("appendAnswer took a type it does not know")
	}
	if _, ok := appendAnswer(nil, (*client.ClaimResponse)(nil)); ok {
		t.Error("appendAnswer took a nil answer")
	}
}

// TestAppendAnswerKnowsEveryField: a field added to an answer's types must
// be taught to appendAnswer, which would otherwise leave it out. Every
// field set (through reflection, so a new one is set too) is written as
// encoding/json writes it; and the field counts are the ones appendAnswer
// was written for.
func TestAppendAnswerKnowsEveryField(t *testing.T) {
	for typ, n := range map[reflect.Type]int{
		reflect.TypeFor[client.Assignment](): 17, reflect.TypeFor[client.ReportResult](): 3,
		reflect.TypeFor[client.Run](): 16, reflect.TypeFor[client.ClaimResponse](): 1,
		reflect.TypeFor[client.ReportBatchResult](): 1, reflect.TypeFor[client.StartRunsResponse](): 1,
	} {
		if typ.NumField() != n {
			t.Errorf("%s has %d fields, appendAnswer knows %d: teach it the new ones", typ, typ.NumField(), n)
		}
	}
	var a client.Assignment
	var res client.ReportResult
	var run client.Run
	for _, v := range []any{&a, &res, &run} {
		fill(reflect.ValueOf(v).Elem())
	}
	for _, v := range []any{client.ClaimResponse{Assignments: []client.Assignment{a}},
		client.ReportBatchResult{Results: []client.ReportResult{res}}, client.StartRunsResponse{Runs: []client.Run{run}}} {
		if !sameAnswer(t, v) {
			t.Errorf("appendAnswer refused %+v", v)
		}
	}
}

// fill sets every field of struct v that a plain answer may hold to a
// value that is not zero; pointers, raw JSON and lists of structs (blocks
// that leave the fast path) stay zero.
func fill(v reflect.Value) {
	for i := range v.NumField() {
		f := v.Field(i)
		switch {
		case f.Type() == reflect.TypeFor[time.Time]():
			f.Set(reflect.ValueOf(time.UnixMilli(1_765_000_000_000 + int64(i)).UTC()))
		case f.Kind() == reflect.String:
			f.SetString("v" + v.Type().Field(i).Name)
		case f.CanInt():
			f.SetInt(int64(i + 1))
		case f.CanFloat():
			f.SetFloat(float64(i) + 0.5)
		case f.Kind() == reflect.Bool:
			f.SetBool(true)
		case f.Type() == reflect.TypeFor[map[string]string]():
			f.Set(reflect.ValueOf(map[string]string{"k": "v"}))
		case f.Type() == reflect.TypeFor[[]string]():
			f.Set(reflect.ValueOf([]string{"x"}))
		}
	}
}

// FuzzAppendAnswer: for any strings, numbers and times, appendAnswer
// writes what encoding/json writes, or refuses.
func FuzzAppendAnswer(f *testing.F) {
	f.Add("noop", "task", 1.0, int64(0), int64(1_765_000_000_000))
	f.Add("a\"b", "<&>", 1e-7, int64(-1), int64(-62_135_596_800_001))
	f.Add("\xff", "\u2028", math.Inf(1), int64(1<<62), int64(253_402_300_800_000))
	f.Fuzz(func(t *testing.T, s1, s2 string, cu float64, n, ms int64) {
		at := time.UnixMilli(ms).UTC()
		sameAnswer(t, client.ClaimResponse{Assignments: []client.Assignment{{AttemptID: n, Kind: s1, Task: s2,
			CU: cu, Env: map[string]string{s1: s2}, Mask: []string{s2}, Timeout: time.Duration(n)}}})
		sameAnswer(t, client.StartRunsResponse{Runs: []client.Run{{ID: n, Workflow: s1, Reason: s2,
			Params: map[string]string{s2: s1}, CreatedAt: at, StartedAt: at.Add(time.Duration(n))}}})
		sameAnswer(t, client.ReportBatchResult{Results: []client.ReportResult{{AttemptID: n, Status: int(n), State: s1}}})
	})
}

// BenchmarkAnswerEncode: a claim of 100 noop assignments, as huma encodes
// it (encoding/json) and as the servers now do.
func BenchmarkAnswerEncode(b *testing.B) {
	cr := client.ClaimResponse{}
	for i := range 100 {
		cr.Assignments = append(cr.Assignments, client.Assignment{AttemptID: int64(1e6 + i), Kind: "noop", Number: 1,
			RunID: int64(5e5 + i), TaskID: int64(7e5 + i), Task: "work", Workflow: "bench-noop", CU: 1,
			Timeout: time.Hour})
	}
	var buf bytes.Buffer
	b.Run("encoding/json", func(b *testing.B) {
		for b.Loop() {
			buf.Reset()
			if err := huma.DefaultJSONFormat.Marshal(&buf, cr); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("appendAnswer", func(b *testing.B) {
		for b.Loop() {
			buf.Reset()
			if err := jsonFormat.Marshal(&buf, cr); err != nil {
				b.Fatal(err)
			}
		}
	})
}
