package client

import (
	"strconv"
	"time"
)

// decodeFast decodes the answers of the hot calls (a claim, a report, a
// batch start) when they are in the plain form the servers write: names
// exactly as tagged, each once; strings of printable ASCII without escapes;
// integers without fraction or exponent. It reports false for anything
// else, or when out is not a new value of one of those types, having
// changed nothing: decodeJSON then decodes the body as encoding/json does.
// Where it succeeds its result is the one encoding/json gives
// (TestDecodeJSONRoundTrip and FuzzDecodeJSON compare the two), without
// reflection and with each list sized once.
func decodeFast(data []byte, out any) bool {
	r := &fastReader{b: data}
	switch v := out.(type) {
	case *ClaimResponse:
		return answer(r, "assignments", &v.Assignments, (*fastReader).assignment)
	case *ReportBatchResult:
		return answer(r, "results", &v.Results, (*fastReader).reportResult)
	case *StartRunsResponse:
		return answer(r, "runs", &v.Runs, (*fastReader).run)
	}
	return false
}

// answer reads an answer whose one field, name, is a list, into *dst,
// which must be nil; it is set only if the whole answer is read.
func answer[T any](r *fastReader, name string, dst *[]T, elem func(*fastReader, *T) bool) bool {
	var x []T
	if *dst != nil || !r.object(true, func(k []byte) bool {
		return string(k) == name && list(r, &x, elem)
	}) || !r.end() {
		return false
	}
	*dst = x
	return true
}

// fastReader reads JSON in the plain form decodeFast takes. Every method
// reports false where the input leaves that form (or is not JSON).
type fastReader struct {
	b []byte
	i int
	// names caches the strings read, so that the same value (a state, a
	// workflow's name) repeated through a list is one string.
	names map[string]string
}

func (r *fastReader) space() {
	for r.i < len(r.b) {
		switch r.b[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

// next skips white space and takes c if it comes next.
func (r *fastReader) next(c byte) bool {
	r.space()
	if r.i < len(r.b) && r.b[r.i] == c {
		r.i++
		return true
	}
	return false
}

// end: nothing but white space is left.
func (r *fastReader) end() bool {
	r.space()
	return r.i == len(r.b)
}

// null takes a null if one comes next.
func (r *fastReader) null() bool {
	r.space()
	if len(r.b)-r.i >= 4 && string(r.b[r.i:r.i+4]) == "null" {
		r.i += 4
		return true
	}
	return false
}

// raw reads a string and returns its content, not copied.
func (r *fastReader) raw() ([]byte, bool) {
	if !r.next('"') {
		return nil, false
	}
	start := r.i
	for r.i < len(r.b) {
		c := r.b[r.i]
		switch {
		case c == '"':
			r.i++
			return r.b[start : r.i-1], true
		case c < 0x20 || c == '\\' || c >= 0x80:
			return nil, false
		}
		r.i++
	}
	return nil, false
}

func (r *fastReader) str(s *string) bool {
	b, ok := r.raw()
	if !ok {
		return false
	}
	if len(b) > 32 { // not worth keeping
		*s = string(b)
		return true
	}
	if v, ok := r.names[string(b)]; ok {
		*s = v
		return true
	}
	if r.names == nil {
		r.names = make(map[string]string)
	}
	*s = string(b)
	r.names[*s] = *s
	return true
}

// number reads a JSON number and returns its text and whether it has a
// fraction or exponent.
func (r *fastReader) number() (text []byte, integer bool) {
	r.space()
	start := r.i
	if r.i < len(r.b) && r.b[r.i] == '-' {
		r.i++
	}
	switch {
	case r.i < len(r.b) && r.b[r.i] == '0':
		r.i++
	case r.digits() == 0:
		return nil, false
	}
	integer = true
	if r.i < len(r.b) && r.b[r.i] == '.' {
		r.i++
		if r.digits() == 0 {
			return nil, false
		}
		integer = false
	}
	if r.i < len(r.b) && (r.b[r.i] == 'e' || r.b[r.i] == 'E') {
		r.i++
		if r.i < len(r.b) && (r.b[r.i] == '+' || r.b[r.i] == '-') {
			r.i++
		}
		if r.digits() == 0 {
			return nil, false
		}
		integer = false
	}
	return r.b[start:r.i], true
}

func (r *fastReader) digits() int {
	n := 0
	for r.i < len(r.b) && r.b[r.i] >= '0' && r.b[r.i] <= '9' {
		r.i++
		n++
	}
	return n
}

func (r *fastReader) int(n *int64) bool {
	text, ok := r.number()
	if !ok || !intText(text) {
		return false
	}
	v, err := strconv.ParseInt(string(text), 10, 64)
	*n = v
	return err == nil
}

// intText: the number has neither fraction nor exponent.
func intText(text []byte) bool {
	for _, c := range text {
		if c == '.' || c == 'e' || c == 'E' {
			return false
		}
	}
	return len(text) > 0
}

func (r *fastReader) float(f *float64) bool {
	text, ok := r.number()
	if !ok {
		return false
	}
	v, err := strconv.ParseFloat(string(text), 64)
	*f = v
	return err == nil
}

// time reads a string as time.Time's UnmarshalJSON does.
func (r *fastReader) time(t *time.Time) bool {
	r.space()
	start := r.i
	if _, ok := r.raw(); !ok {
		return false
	}
	return t.UnmarshalJSON(r.b[start:r.i]) == nil
}

// object reads an object, calling field for each name with the reader on
// its value. For a struct (once), a name seen twice is refused: where
// encoding/json would merge the two values of a map or list, or match a
// name regardless of case, the reflective path decides.
func (r *fastReader) object(once bool, field func(name []byte) bool) bool {
	if !r.next('{') {
		return false
	}
	if r.next('}') {
		return true
	}
	var seen [24][]byte // the names read
	for n := 0; ; n++ {
		k, ok := r.raw()
		if !ok || !r.next(':') {
			return false
		}
		if once {
			if n == len(seen) {
				return false
			}
			for _, s := range seen[:n] {
				if string(s) == string(k) {
					return false
				}
			}
			seen[n] = k
		}
		if !field(k) {
			return false
		}
		if r.next('}') {
			return true
		}
		if !r.next(',') {
			return false
		}
	}
}

// list reads an array (or null) into *s with elem, counting its elements
// first so that the slice is made once.
func list[T any](r *fastReader, s *[]T, elem func(*fastReader, *T) bool) bool {
	if r.null() {
		return true
	}
	r.space()
	if r.i >= len(r.b) || r.b[r.i] != '[' {
		return false
	}
	*s = make([]T, 0, r.count())
	r.i++
	if r.next(']') {
		return true
	}
	var zero T
	for {
		*s = append(*s, zero)
		if !elem(r, &(*s)[len(*s)-1]) {
			return false
		}
		if r.next(']') {
			return true
		}
		if !r.next(',') {
			return false
		}
	}
}

// count is the number of elements of the array at r.i, by its commas at
// depth one, as a capacity: a string with an escape, which could hide a
// quote, is refused later anyway.
func (r *fastReader) count() int {
	depth, n := 0, 0
	for j := r.i; j < len(r.b); j++ {
		switch r.b[j] {
		case '[', '{':
			depth++
		case ']', '}':
			if depth--; depth == 0 {
				return n
			}
		case ',':
			if depth == 1 {
				n++
			}
		case '"':
			for j++; j < len(r.b) && r.b[j] != '"'; j++ {
			}
		case ' ', '\t', '\n', '\r':
			continue
		}
		if n == 0 && depth >= 1 && j > r.i {
			n = 1 // something is in the array
		}
	}
	return 0
}

// strings reads a map of strings (null leaves it nil).
func (r *fastReader) strings(m *map[string]string) bool {
	if r.null() {
		return true
	}
	x := map[string]string{}
	ok := r.object(false, func(k []byte) bool {
		var v string
		if !r.str(&v) {
			return false
		}
		x[string(k)] = v
		return true
	})
	*m = x
	return ok
}

func (r *fastReader) assignment(a *Assignment) bool {
	return r.object(true, func(k []byte) bool {
		switch string(k) {
		case "attempt_id":
			return r.int(&a.AttemptID)
		case "kind":
			return r.str(&a.Kind)
		case "number":
			return r.int(&a.Number)
		case "run_id":
			return r.int(&a.RunID)
		case "task_id":
			return r.int(&a.TaskID)
		case "task":
			return r.str(&a.Task)
		case "workflow":
			return r.str(&a.Workflow)
		case "command":
			return r.str(&a.Command)
		case "env":
			return r.strings(&a.Env)
		case "timeout":
			return r.int((*int64)(&a.Timeout))
		case "cu":
			return r.float(&a.CU)
		case "checkpoint":
			return r.str(&a.Checkpoint)
		case "mask":
			return list(r, &a.Mask, (*fastReader).str)
		}
		return false // http, sql, spec, resources: the reflective path
	})
}

func (r *fastReader) reportResult(x *ReportResult) bool {
	return r.object(true, func(k []byte) bool {
		switch string(k) {
		case "attempt_id":
			return r.int(&x.AttemptID)
		case "status":
			var n int64
			ok := r.int(&n)
			x.Status = int(n)
			return ok
		case "state":
			return r.str(&x.State)
		}
		return false
	})
}

func (r *fastReader) run(x *Run) bool {
	return r.object(true, func(k []byte) bool {
		switch string(k) {
		case "id":
			return r.int(&x.ID)
		case "workflow":
			return r.str(&x.Workflow)
		case "version":
			return r.int(&x.Version)
		case "state":
			return r.str(&x.State)
		case "reason":
			return r.str(&x.Reason)
		case "params":
			return r.strings(&x.Params)
		case "priority":
			return r.int(&x.Priority)
		case "scheduled_at":
			return r.time(&x.ScheduledAt)
		case "created_by":
			return r.str(&x.CreatedBy)
		case "created_at":
			return r.time(&x.CreatedAt)
		case "started_at":
			return r.time(&x.StartedAt)
		case "finished_at":
			return r.time(&x.FinishedAt)
		case "tasks_total":
			return r.int(&x.TasksTotal)
		case "tasks_left":
			return r.int(&x.TasksLeft)
		case "tasks_failed":
			return r.int(&x.TasksFailed)
		case "parent_run_id":
			return r.int(&x.ParentRunID)
		}
		return false
	})
}
