package server

import (
	"io"
	"math"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/baton-sched/baton/client"
)

// appendAnswer encodes the answers of the hot calls (a claim, a report, a
// batch start) by hand when every string in them is printable ASCII
// without a quote or backslash, every float is written in plain decimal
// and every time is a UTC time of years 0–9999: byte for byte what
// encoding/json writes (HTML left unescaped, as huma asks, and a final
// newline; TestAppendAnswerIsEncodingJSON compares the two). It reports
// false for anything else (another type, an http, sql, spec or resources
// block), and the caller encodes v as before.
func appendAnswer(b []byte, v any) ([]byte, bool) {
	w := answerWriter{b: b, ok: true}
	switch x := v.(type) {
	case client.ClaimResponse:
		writeList(&w, "assignments", x.Assignments, w.assignment)
	case client.ReportBatchResult:
		writeList(&w, "results", x.Results, w.reportResult)
	case client.StartRunsResponse:
		writeList(&w, "runs", x.Runs, w.run)
	case *client.ClaimResponse:
		return appendPointed(b, x)
	case *client.ReportBatchResult:
		return appendPointed(b, x)
	case *client.StartRunsResponse:
		return appendPointed(b, x)
	default:
		return b, false
	}
	return append(w.b, '\n'), w.ok
}

// appendPointed is appendAnswer of *p; nil is left to encoding/json.
func appendPointed[T any](b []byte, p *T) ([]byte, bool) {
	if p == nil {
		return b, false
	}
	return appendAnswer(b, *p)
}

// answerBuffers holds the buffers answers are encoded into; one that grew
// past maxPooledAnswer is left to the collector.
var answerBuffers = sync.Pool{New: func() any { return new([]byte) }}

const maxPooledAnswer = 1 << 20

// marshalAnswer writes v with appendAnswer if it can; it reports false,
// having written nothing, if it cannot.
func marshalAnswer(w io.Writer, v any) (bool, error) {
	p := answerBuffers.Get().(*[]byte)
	defer func() {
		if cap(*p) <= maxPooledAnswer {
			answerBuffers.Put(p)
		}
	}()
	b, ok := appendAnswer((*p)[:0], v)
	*p = b
	if !ok {
		return false, nil
	}
	_, err := w.Write(b)
	return true, err
}

// answerWriter appends JSON; ok turns false at the first value outside the
// plain form, after which what it appends does not matter.
type answerWriter struct {
	b  []byte
	ok bool
}

// writeList writes {"name":[...]} with elem for each element; a nil list
// (null) is left to encoding/json.
func writeList[T any](w *answerWriter, name string, xs []T, elem func(*T)) {
	if xs == nil {
		w.ok = false
		return
	}
	w.b = append(w.b, `{"`...)
	w.b = append(w.b, name...)
	w.b = append(w.b, `":[`...)
	for i := range xs {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		elem(&xs[i])
	}
	w.b = append(w.b, "]}"...)
}

// key writes the name of a field, with the comma before it unless first.
func (w *answerWriter) key(name string, first bool) {
	if !first {
		w.b = append(w.b, ',')
	}
	w.b = append(w.b, '"')
	w.b = append(w.b, name...)
	w.b = append(w.b, `":`...)
}

func (w *answerWriter) str(s string) {
	for i := range len(s) {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			w.ok = false
			return
		}
	}
	w.b = append(w.b, '"')
	w.b = append(w.b, s...)
	w.b = append(w.b, '"')
}

func (w *answerWriter) int(n int64) { w.b = strconv.AppendInt(w.b, n, 10) }

// float writes f as encoding/json does for the values it writes without
// an exponent.
func (w *answerWriter) float(f float64) {
	if a := math.Abs(f); math.IsNaN(f) || math.IsInf(f, 0) || (a != 0 && (a < 1e-6 || a >= 1e21)) {
		w.ok = false
		return
	}
	w.b = strconv.AppendFloat(w.b, f, 'f', -1, 64)
}

func (w *answerWriter) time(t time.Time) {
	if t.Location() != time.UTC || t.Year() < 0 || t.Year() > 9999 {
		w.ok = false
		return
	}
	w.b = append(w.b, '"')
	w.b = t.AppendFormat(w.b, time.RFC3339Nano)
	w.b = append(w.b, '"')
}

// strings writes a map with its keys in order, as encoding/json does; nil
// is null.
func (w *answerWriter) strings(m map[string]string) {
	if m == nil {
		w.b = append(w.b, "null"...)
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	w.b = append(w.b, '{')
	for i, k := range keys {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.str(k)
		w.b = append(w.b, ':')
		w.str(m[k])
	}
	w.b = append(w.b, '}')
}

func (w *answerWriter) assignment(a *client.Assignment) {
	if a.HTTP != nil || a.SQL != nil || len(a.Spec) > 0 || len(a.Resources) > 0 {
		w.ok = false
		return
	}
	w.b = append(w.b, '{')
	w.key("attempt_id", true)
	w.int(a.AttemptID)
	w.key("kind", false)
	w.str(a.Kind)
	w.key("number", false)
	w.int(a.Number)
	w.key("run_id", false)
	w.int(a.RunID)
	w.key("task_id", false)
	w.int(a.TaskID)
	w.key("task", false)
	w.str(a.Task)
	w.key("workflow", false)
	w.str(a.Workflow)
	w.key("command", false)
	w.str(a.Command)
	if len(a.Env) > 0 {
		w.key("env", false)
		w.strings(a.Env)
	}
	if a.Timeout != 0 {
		w.key("timeout", false)
		w.int(int64(a.Timeout))
	}
	w.key("cu", false)
	w.float(a.CU)
	if a.Checkpoint != "" {
		w.key("checkpoint", false)
		w.str(a.Checkpoint)
	}
	if len(a.Mask) > 0 {
		w.key("mask", false)
		w.b = append(w.b, '[')
		for i, m := range a.Mask {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			w.str(m)
		}
		w.b = append(w.b, ']')
	}
	w.b = append(w.b, '}')
}

func (w *answerWriter) reportResult(r *client.ReportResult) {
	w.b = append(w.b, '{')
	w.key("attempt_id", true)
	w.int(r.AttemptID)
	w.key("status", false)
	w.int(int64(r.Status))
	if r.State != "" {
		w.key("state", false)
		w.str(r.State)
	}
	w.b = append(w.b, '}')
}

func (w *answerWriter) run(r *client.Run) {
	w.b = append(w.b, '{')
	w.key("id", true)
	w.int(r.ID)
	w.key("workflow", false)
	w.str(r.Workflow)
	w.key("version", false)
	w.int(r.Version)
	w.key("state", false)
	w.str(r.State)
	if r.Reason != "" {
		w.key("reason", false)
		w.str(r.Reason)
	}
	w.key("params", false)
	w.strings(r.Params)
	w.key("priority", false)
	w.int(r.Priority)
	if !r.ScheduledAt.IsZero() {
		w.key("scheduled_at", false)
		w.time(r.ScheduledAt)
	}
	w.key("created_by", false)
	w.str(r.CreatedBy)
	w.key("created_at", false)
	w.time(r.CreatedAt)
	if !r.StartedAt.IsZero() {
		w.key("started_at", false)
		w.time(r.StartedAt)
	}
	if !r.FinishedAt.IsZero() {
		w.key("finished_at", false)
		w.time(r.FinishedAt)
	}
	w.key("tasks_total", false)
	w.int(r.TasksTotal)
	w.key("tasks_left", false)
	w.int(r.TasksLeft)
	w.key("tasks_failed", false)
	w.int(r.TasksFailed)
	if r.ParentRunID != 0 {
		w.key("parent_run_id", false)
		w.int(r.ParentRunID)
	}
	w.b = append(w.b, '}')
}
