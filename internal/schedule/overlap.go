package schedule

import "fmt"

// Overlap says what happens when a schedule is due while a run it started
// earlier is still active. The names are Temporal's.
type Overlap string

// Overlap policies; Decide gives their exact meaning.
const (
	// OverlapSkip drops the new run. It is the default.
	OverlapSkip Overlap = "skip"
	// OverlapBufferOne keeps one new run waiting until the active run ends
	// and drops any other.
	OverlapBufferOne Overlap = "buffer_one"
	// OverlapBufferAll keeps every new run waiting; they start one at a
	// time, oldest first, each when the one before it ends.
	OverlapBufferAll Overlap = "buffer_all"
	// OverlapCancelOther cancels the active runs and starts the new one.
	OverlapCancelOther Overlap = "cancel_other"
	// OverlapAllowAll starts the new run alongside the active ones.
	OverlapAllowAll Overlap = "allow_all"
)

// DefaultOverlap is the policy of a schedule that names none.
const DefaultOverlap = OverlapSkip

// ParseOverlap reads an overlap policy; the empty string is DefaultOverlap.
func ParseOverlap(s string) (Overlap, error) {
	switch o := Overlap(s); o {
	case "":
		return DefaultOverlap, nil
	case OverlapSkip, OverlapBufferOne, OverlapBufferAll, OverlapCancelOther, OverlapAllowAll:
		return o, nil
	}
	return "", fmt.Errorf("overlap: unknown policy %q (use skip, buffer_one, buffer_all, cancel_other or allow_all)", s)
}

// Action is what to do with a run a schedule is due to start.
type Action int

// Actions. The zero Action is none of them.
const (
	// Start starts the run now.
	Start Action = iota + 1
	// Buffer keeps the run waiting until the active run ends.
	Buffer
	// Drop does not start the run: the due time is recorded as a skipped
	// tick.
	Drop
	// CancelAndStart cancels the active runs, then starts the run.
	CancelAndStart
)

// String returns the action's name in lower case, e.g. "cancel_and_start".
func (a Action) String() string {
	switch a {
	case Start:
		return "start"
	case Buffer:
		return "buffer"
	case Drop:
		return "drop"
	case CancelAndStart:
		return "cancel_and_start"
	}
	return fmt.Sprintf("Action(%d)", int(a))
}

// Decide says what to do with a newly due run of a schedule that has active
// runs still going and buffered runs waiting:
//
//	policy        active == 0   active > 0, buffered == 0   active > 0, buffered > 0
//	skip          Start         Drop                        Drop
//	buffer_one    Start         Buffer                      Drop
//	buffer_all    Start         Buffer                      Buffer
//	cancel_other  Start         CancelAndStart              CancelAndStart
//	allow_all     Start         Start                       Start
//
// Buffered runs go first: whenever no run is active and some are buffered,
// the caller starts the oldest buffered run before asking about a new one
// (which then sees active == 1). Decide is asked only about new runs; a
// buffered run is started, never decided again. An unknown policy decides
// as skip.
func Decide(policy Overlap, active, buffered int) Action {
	if active <= 0 {
		return Start
	}
	switch policy {
	case OverlapAllowAll:
		return Start
	case OverlapCancelOther:
		return CancelAndStart
	case OverlapBufferAll:
		return Buffer
	case OverlapBufferOne:
		if buffered <= 0 {
			return Buffer
		}
	}
	return Drop
}
