package chaos

import (
	"bufio"
	"cmp"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// WitnessCommand is a task command that runs for steps × tick and leaves
// evidence of it in file: a "start" line, a "tick" line after each step
// and an "end" line, each with the run ID, task name, attempt ID and the
// time in milliseconds. A killed attempt simply stops ticking, so its last
// line tells when it last ran, to within one tick.
func WitnessCommand(file string, steps int, tick time.Duration) string {
	return fmt.Sprintf(`w='%s'; id="$BATON_RUN_ID $BATON_TASK $BATON_ATTEMPT_ID"; `+
		`echo "start $id $(date +%%s%%3N)" >> "$w"; i=0; `+
		`while [ $i -lt %d ]; do sleep %s; echo "tick $id $(date +%%s%%3N)" >> "$w"; i=$((i+1)); done; `+
		`echo "end $id $(date +%%s%%3N)" >> "$w"`,
		file, steps, strconv.FormatFloat(tick.Seconds(), 'f', -1, 64))
}

// Span is what the witness file says of one attempt.
type Span struct {
	RunID     int64
	Task      string
	AttemptID int64
	Start     time.Time // its start line
	Last      time.Time // its last line: when it was last seen running
	Ticks     int
	Ended     bool // it wrote its end line: the command ran to completion
}

// Witness is the spans of every attempt that wrote to a witness file.
type Witness struct {
	Spans []Span // by start time
}

// ReadWitness parses a witness file; a missing file is an empty witness.
func ReadWitness(path string) (Witness, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return Witness{}, nil
	}
	if err != nil {
		return Witness{}, fmt.Errorf("read witness: %w", err)
	}
	defer f.Close()
	byAttempt := map[int64]*Span{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		fields := strings.Fields(sc.Text())
		if len(fields) != 5 {
			return Witness{}, fmt.Errorf("witness line %d: %q is not KIND RUN TASK ATTEMPT MS", n, sc.Text())
		}
		run, err1 := strconv.ParseInt(fields[1], 10, 64)
		attempt, err2 := strconv.ParseInt(fields[3], 10, 64)
		ms, err3 := strconv.ParseInt(fields[4], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil {
			return Witness{}, fmt.Errorf("witness line %d: %q has a bad number", n, sc.Text())
		}
		at := time.UnixMilli(ms)
		s := byAttempt[attempt]
		if s == nil {
			s = &Span{RunID: run, Task: fields[2], AttemptID: attempt, Start: at}
			byAttempt[attempt] = s
		}
		switch fields[0] {
		case "start":
			s.Start = at
		case "tick":
			s.Ticks++
		case "end":
			s.Ended = true
		default:
			return Witness{}, fmt.Errorf("witness line %d: unknown kind %q", n, fields[0])
		}
		if at.After(s.Last) {
			s.Last = at
		}
	}
	if err := sc.Err(); err != nil {
		return Witness{}, fmt.Errorf("read witness: %w", err)
	}
	var w Witness
	for _, s := range byAttempt {
		w.Spans = append(w.Spans, *s)
	}
	slices.SortFunc(w.Spans, func(a, b Span) int {
		return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.AttemptID, b.AttemptID))
	})
	return w, nil
}

// Attempts returns the spans of one task of one run, by start time.
func (w Witness) Attempts(runID int64, task string) []Span {
	var out []Span
	for _, s := range w.Spans {
		if s.RunID == runID && s.Task == task {
			out = append(out, s)
		}
	}
	return out
}

// Overlap is how long an attempt was still seen running after the next
// attempt of its task started; negative when there was a gap.
type Overlap struct {
	RunID           int64
	Task            string
	First, Second   int64 // attempt IDs
	By              time.Duration
	FirstLastSeen   time.Time
	SecondStartedAt time.Time
}

func (o Overlap) String() string {
	return fmt.Sprintf("run %d task %s: attempt %d last seen %v after attempt %d started",
		o.RunID, o.Task, o.First, o.By, o.Second)
}

// Overlaps lists, for every task with several attempts, each attempt
// against every later one.
func (w Witness) Overlaps() []Overlap {
	type key struct {
		run  int64
		task string
	}
	groups := map[key][]Span{}
	for _, s := range w.Spans {
		k := key{s.RunID, s.Task}
		groups[k] = append(groups[k], s)
	}
	var out []Overlap
	for _, spans := range groups {
		for i, a := range spans {
			for _, b := range spans[i+1:] {
				out = append(out, Overlap{RunID: a.RunID, Task: a.Task, First: a.AttemptID, Second: b.AttemptID,
					By: a.Last.Sub(b.Start), FirstLastSeen: a.Last, SecondStartedAt: b.Start})
			}
		}
	}
	slices.SortFunc(out, func(a, b Overlap) int { return cmp.Compare(b.By, a.By) })
	return out
}

// MaxOverlap is the largest overlap, ok false when no task ran twice.
func (w Witness) MaxOverlap() (Overlap, bool) {
	o := w.Overlaps()
	if len(o) == 0 {
		return Overlap{}, false
	}
	return o[0], true
}
