package engine

import (
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/baton-sched/baton/internal/store"
)

// Report kinds.
const (
	ReportStart  = "start"
	ReportFinish = "finish"
	// ReportCheckpoint uploads the attempt's $BATON_CHECKPOINT file; the
	// task's next attempt starts with it.
	ReportCheckpoint = "checkpoint"
)

// MaxCheckpoint bounds a checkpoint, in bytes before base64.
const MaxCheckpoint = 64 << 10

// Report is one thing a worker says about one of its attempts.
type Report struct {
	AttemptID int64
	Kind      string // ReportStart or ReportFinish
	// For ReportFinish: the attempt's end state (succeeded, failed,
	// timed_out, lost when the worker gave the task up, fenced when it
	// killed the task for lack of a lease, cancelled when it stopped the
	// task on a preempt order), exit code, reason and outputs.
	State    string
	ExitCode int64
	Reason   string
	Outputs  map[string]string
	// Checkpoint is, for ReportCheckpoint, the file's content in base64.
	Checkpoint string
}

// ReportStatus says what became of one report.
type ReportStatus string

const (
	// Accepted: the report was applied, or had been already (a resend).
	Accepted ReportStatus = "accepted"
	// Fenced: the attempt is no longer the task's live attempt (or not this
	// worker's); the report was refused and the worker must kill it.
	Fenced ReportStatus = "fenced"
)

// ReportResult answers one report.
type ReportResult struct {
	AttemptID int64
	Status    ReportStatus
	State     string // the attempt's state now
}

var finishStates = map[string]bool{
	store.AttemptSucceeded: true, store.AttemptFailed: true, store.AttemptTimedOut: true,
	store.AttemptLost: true, store.AttemptFenced: true, store.AttemptCancelled: true,
}

// Report applies a batch of a worker's reports in one transaction. Each
// report is judged by its fencing token (the attempt ID): only the task's
// live attempt on this worker may change anything; any other is Fenced.
// Resent reports are accepted again without effect, so a worker may retry
// a batch whose answer it never got.
func (e *Engine) Report(ctx context.Context, workerID string, reports []Report) ([]ReportResult, error) {
	reports = slices.Clone(reports)
	var overCap []int // checkpoints turned into failed finishes
	for i, r := range reports {
		switch {
		case r.Kind == ReportStart:
		case r.Kind == ReportCheckpoint:
			reason, err := checkpointProblem(r.Checkpoint)
			if err != nil {
				return nil, invalid("reports[%d].checkpoint: not base64: %v", i, err)
			}
			if reason != "" {
				reports[i] = Report{AttemptID: r.AttemptID, Kind: ReportFinish, State: store.AttemptFailed, Reason: reason}
				overCap = append(overCap, i)
			}
		case r.Kind == ReportFinish && finishStates[r.State]:
			reports[i] = e.capOutputs(r)
		case r.Kind == ReportFinish:
			return nil, invalid("reports[%d].state: %q is not a finish state", i, r.State)
		default:
			return nil, invalid("reports[%d].kind: %q is not start, checkpoint or finish", i, r.Kind)
		}
	}
	var out []ReportResult
	err := e.inGatedTx(ctx, GateReport, "worker:"+workerID, func(o *op) error {
		var err error
		out, err = o.report(workerID, reports)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("report for worker %s: %w", workerID, err)
	}
	for _, i := range overCap { // the attempt is no longer live: the worker kills it
		out[i].Status = Fenced
	}
	return out, nil
}

// checkpointProblem says why a checkpoint of the right form cannot be
// stored (it is past MaxCheckpoint), or "". err: it is not base64, which
// no worker sends.
func checkpointProblem(b64 string) (string, error) {
	if n := base64.StdEncoding.DecodedLen(len(b64)); n > MaxCheckpoint+2 {
		return fmt.Sprintf("checkpoint of about %d bytes is larger than the limit of %d bytes: the attempt failed",
			n, MaxCheckpoint), nil
	}
	n, err := base64.StdEncoding.DecodeString(b64)
	switch {
	case err != nil:
		return "", err
	case len(n) > MaxCheckpoint:
		return fmt.Sprintf("checkpoint of %d bytes is larger than the limit of %d bytes: the attempt failed",
			len(n), MaxCheckpoint), nil
	}
	return "", nil
}

// capOutputs drops the outputs of a finish report past MaxOutputBytes
// (keys and values together): a succeeded attempt becomes failed, naming
// the limit, so that no task downstream reads partial outputs. The report
// itself always gets through.
func (e *Engine) capOutputs(r Report) Report {
	size := 0
	for k, v := range r.Outputs {
		size += len(k) + len(v)
	}
	limit := e.cfg.MaxOutputBytes
	if int64(size) <= limit {
		return r
	}
	why := fmt.Sprintf("outputs of %d bytes (%d keys) are larger than max_output_bytes (%d): outputs dropped",
		size, len(r.Outputs), limit)
	r.Outputs = nil
	if r.State == store.AttemptSucceeded {
		r.State, r.Reason = store.AttemptFailed, why
	} else {
		r.Reason = strings.TrimPrefix(r.Reason+"; "+why, "; ")
	}
	return r
}

// report applies a batch: the starts in one statement, then the finishes
// in one statement (an attempt whose start and finish come together is
// updated once), then the tasks of the finished attempts. A report that
// changed nothing is judged on its own: a resend, or fenced.
func (o *op) report(workerID string, reports []Report) ([]ReportResult, error) {
	// A start records one event, a start and finish of a one-task run
	// three (attempt, task, run): room for them at once, not by doubling.
	o.events = slices.Grow(o.events, len(reports)+len(reports)/2)
	out := make([]ReportResult, len(reports))
	applied := make([]bool, len(reports))
	// Checkpoints first, while their attempts are live; a later one of an
	// attempt replaces an earlier one of the same batch.
	if err := o.checkpoints(workerID, reports, out, applied); err != nil {
		return nil, err
	}
	first := map[[2]int64]int{} // (kind, attempt) -> the report applied for it
	for i, r := range reports {
		if r.Kind == ReportCheckpoint {
			continue
		}
		k := [2]int64{0, r.AttemptID}
		if r.Kind == ReportFinish {
			k[0] = 1
		}
		if _, dup := first[k]; !dup {
			first[k] = i
		}
	}
	var starts []int64
	var finishes []store.AttemptFinish
	for k, i := range first {
		r := reports[i]
		_, finishing := first[[2]int64{1, k[1]}]
		switch {
		case k[0] == 1:
			_, starting := first[[2]int64{0, k[1]}]
			finishes = append(finishes, store.AttemptFinish{State: r.State, Reason: r.Reason, ExitCode: r.ExitCode,
				ID: r.AttemptID, Start: starting})
		case !finishing:
			starts = append(starts, r.AttemptID)
		}
	}
	slices.Sort(starts)
	slices.SortFunc(finishes, func(a, b store.AttemptFinish) int { return cmp.Compare(a.ID, b.ID) })
	started, err := o.Attempts().StartMany(o.ctx, starts, workerID)
	if err != nil {
		return nil, err
	}
	// and those whose start came with their finish
	startedNow := append(make([]store.Attempt, 0, len(started)+len(finishes)), started...)
	for _, a := range started {
		i := first[[2]int64{0, a.ID}]
		applied[i], out[i] = true, ReportResult{AttemptID: a.ID, Status: Accepted, State: a.State}
		o.record(store.NewEvent{Kind: "attempt.running", RunID: a.RunID, TaskID: a.TaskID, Task: a.Task, AttemptID: a.ID,
			WorkerID: workerID, Zone: a.Zone, OldState: store.AttemptDispatched, NewState: store.AttemptRunning})
	}
	// Successes end their tasks in the same statement; the others are
	// settled after.
	won, finished, err := o.finishReported(workerID, reports, first, finishes)
	if err != nil {
		return nil, err
	}
	outputs := map[int64]map[string]string{}
	byReport := func(a, b store.Attempt) int {
		return cmp.Compare(first[[2]int64{1, a.ID}], first[[2]int64{1, b.ID}])
	}
	slices.SortFunc(won, func(a, b store.AttemptWon) int { return byReport(a.Attempt, b.Attempt) })
	slices.SortFunc(finished, byReport)
	ended := make([]store.Attempt, 0, len(won)+len(finished))
	for _, w := range won {
		ended = append(ended, w.Attempt)
	}
	ended = append(ended, finished...)
	slices.SortFunc(ended, byReport)
	for _, a := range ended {
		i := first[[2]int64{1, a.ID}]
		applied[i], out[i] = true, ReportResult{AttemptID: a.ID, Status: Accepted, State: a.State}
		if s, ok := first[[2]int64{0, a.ID}]; ok { // its start came with it
			applied[s], out[s] = true, out[i]
			startedNow = append(startedNow, a)
		}
		outputs[a.ID] = reports[i].Outputs
		o.record(store.NewEvent{Kind: "attempt." + a.State, RunID: a.RunID, TaskID: a.TaskID, Task: a.Task,
			AttemptID: a.ID, WorkerID: workerID, Zone: a.Zone, OldState: endedFrom(a), NewState: a.State,
			Reason: a.Reason})
	}
	for i, r := range reports {
		if applied[i] {
			continue
		}
		want := r.State
		if r.Kind == ReportStart {
			want = store.AttemptRunning
		}
		res, err := o.judgeResend(workerID, r, want)
		if err != nil {
			return nil, fmt.Errorf("attempt %d: %w", r.AttemptID, err)
		}
		out[i] = res
	}
	if err := o.observeStarts(startedNow); err != nil {
		return nil, err
	}
	if err := o.settle(finished, outputs); err != nil {
		return nil, err
	}
	if err := o.settleWon(won, outputs); err != nil {
		return nil, err
	}
	return out, nil
}

// finishReported ends the reported attempts: the successes with their
// tasks (won), the others alone (finished, their tasks settled after).
func (o *op) finishReported(workerID string, reports []Report, first map[[2]int64]int,
	finishes []store.AttemptFinish) (won []store.AttemptWon, finished []store.Attempt, err error) {
	var wins []store.AttemptSuccess
	others := finishes[:0:0]
	for _, f := range finishes {
		if f.State != store.AttemptSucceeded {
			others = append(others, f)
			continue
		}
		outputs, err := encodeOutputs(reports[first[[2]int64{1, f.ID}]].Outputs)
		if err != nil {
			return nil, nil, err
		}
		wins = append(wins, store.AttemptSuccess{Reason: f.Reason, ExitCode: f.ExitCode, Outputs: outputs, ID: f.ID,
			Start: f.Start})
	}
	if won, err = o.Attempts().Succeed(o.ctx, workerID, wins); err != nil {
		return nil, nil, err
	}
	finished, err = o.Attempts().FinishMany(o.ctx, workerID, others)
	return won, finished, err
}

// checkpoints stores the batch's checkpoints. One of an attempt that is
// not live is accepted if the attempt ended on this worker (a resend),
// else refused.
func (o *op) checkpoints(workerID string, reports []Report, out []ReportResult, applied []bool) error {
	last := map[int64]int{}
	for i, r := range reports {
		if r.Kind == ReportCheckpoint {
			last[r.AttemptID] = i
		}
	}
	for i, r := range reports {
		if r.Kind != ReportCheckpoint {
			continue
		}
		applied[i], out[i] = true, ReportResult{AttemptID: r.AttemptID, Status: Accepted}
		if last[r.AttemptID] != i {
			continue
		}
		ok, err := o.Tasks().SaveCheckpoint(o.ctx, workerID, r.AttemptID, r.Checkpoint)
		if err != nil || ok {
			return err
		}
		a, err := o.Attempts().Get(o.ctx, r.AttemptID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err != nil || a.WorkerID != workerID || superseded(a.State) {
			out[i].Status = Fenced
			if err != nil {
				o.refused(nil, workerID)
			} else {
				o.refused(&a, workerID)
			}
		}
		out[i].State = a.State
	}
	return nil
}

// endedFrom is the state an attempt that just ended was in before: running
// if its start was recorded earlier, else dispatched. An attempt whose
// start and end were recorded by the same update (start and end stamped
// with the transaction's one time) went from dispatched to its end in one
// transition. (A start recorded earlier has an earlier time: its report
// was resent only after the first try timed out.)
func endedFrom(a store.Attempt) string {
	if a.StartedAt == 0 || a.StartedAt == a.FinishedAt {
		return store.AttemptDispatched
	}
	return store.AttemptRunning
}

// judgeResend answers a report that changed nothing. A resend of what is
// already recorded is accepted; anything else comes from a superseded
// attempt and is refused, with an event.
func (o *op) judgeResend(workerID string, r Report, want string) (ReportResult, error) {
	a, err := o.Attempts().Get(o.ctx, r.AttemptID)
	if errors.Is(err, store.ErrNotFound) {
		o.refused(nil, workerID)
		return ReportResult{AttemptID: r.AttemptID, Status: Fenced}, nil
	}
	if err != nil {
		return ReportResult{}, err
	}
	resent := a.State == want
	if r.Kind == ReportStart { // a start resent after the attempt went on
		resent = a.StartedAt > 0 && !superseded(a.State)
	}
	if a.WorkerID == workerID && resent {
		return ReportResult{AttemptID: a.ID, Status: Accepted, State: a.State}, nil
	}
	o.refused(&a, workerID)
	o.record(store.NewEvent{Kind: "attempt.report_refused", RunID: a.RunID, TaskID: a.TaskID, Task: a.Task, AttemptID: a.ID,
		WorkerID: workerID, OldState: a.State,
		Reason: fmt.Sprintf("%s report from worker %s for an attempt that is %s", r.Kind, workerID, a.State)})
	return ReportResult{AttemptID: a.ID, Status: Fenced, State: a.State}, nil
}

// observeStarts measures the attempts that just started: from claim to
// running, and for a task requeued after a lost attempt (it avoids the
// lost attempt's worker), from that requeue to running again.
func (o *op) observeStarts(started []store.Attempt) error {
	var again []int64
	for _, a := range started {
		o.observe(histClaimToRunning, "", a.StartedAt-a.DispatchedAt)
		if a.Number > 1 {
			again = append(again, a.TaskID)
		}
	}
	if len(again) == 0 {
		return nil
	}
	tasks, err := o.Tasks().GetMany(o.ctx, again)
	if err != nil {
		return err
	}
	byID := make(map[int64]store.Task, len(tasks))
	for _, t := range tasks {
		byID[t.ID] = t
	}
	for _, a := range started {
		if t, ok := byID[a.TaskID]; ok && a.Number > 1 && t.Lost > 0 && t.AvoidWorker != "" && t.ReadyAt > 0 {
			o.observe(histFailover, "", a.StartedAt-t.ReadyAt)
		}
	}
	return nil
}
