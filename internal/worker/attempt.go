package worker

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/client/vocab"
	"github.com/baton-sched/baton/internal/resource"
)

// endCause is why the agent ended an attempt before its task did.
type endCause int

const (
	causeNone       endCause = iota
	causeTimeout             // ran past its timeout: timed_out
	causeShutdown            // the worker shut down: lost
	causeFenced              // the worker's lease ran out: fenced
	causePreempted           // the servers asked to move it (drain --reschedule): cancelled
	causeSuperseded          // the servers say it is no longer live: no report
)

// attempt is one claimed attempt on this worker. The fields after dir are
// guarded by Agent.mu.
type attempt struct {
	asg      client.Assignment
	workerID string // the session that claimed it
	dir      string

	proc   *process
	cancel func() // ends an http attempt's request
	exited bool   // the task's processes are gone (or never started)
	cause  endCause
}

// outputFile is where the task writes its outputs ($BATON_OUTPUT).
func (at *attempt) outputFile() string { return filepath.Join(at.dir, ".baton-output") }

// killLocked ends an attempt for cause: at once with SIGKILL when hard,
// else SIGTERM and SIGKILL after KillGrace. The first cause is the one
// reported: an attempt the worker fenced (or timed out, or stopped) is
// reported so even when the servers later say it was superseded; they
// refuse that report, which leaves its trace in the audit trail.
func (a *Agent) killLocked(at *attempt, cause endCause, hard bool) {
	if at == nil {
		return
	}
	if at.cause == causeNone && !at.exited {
		at.cause = cause
	}
	if at.cancel != nil && !at.exited {
		at.cancel()
		return
	}
	if at.proc == nil || at.exited {
		return // not started yet: runAttempt checks the cause after starting
	}
	if hard {
		at.proc.kill()
	} else {
		at.proc.terminate(a.cfg.KillGrace)
	}
}

// superseded handles a 409 from the servers (report or logs): the attempt
// is no longer live, so it is killed at once and its result dropped.
func (a *Agent) superseded(attemptID int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if at := a.attempts[attemptID]; at != nil {
		if !at.exited {
			a.log.Warn("attempt superseded: killing it", "attempt_id", attemptID)
		}
		a.killLocked(at, causeSuperseded, true)
	}
}

// runAttempt takes one attempt from claim to its finish report.
func (a *Agent) runAttempt(at *attempt) {
	defer a.attemptWG.Done()
	id := at.asg.AttemptID
	log := attemptLog(a.log, &at.asg, false)
	defer func() {
		a.mu.Lock()
		at.exited = true
		delete(a.attempts, id)
		a.changed.notify()
		a.mu.Unlock()
	}()

	lease, cause := a.awaitStart(at)
	if cause != causeNone {
		a.mu.Lock()
		at.exited = true
		a.changed.notify()
		a.mu.Unlock()
		if r, ok := notStartedReport(at, cause); ok {
			log.Info("attempt not started", "state", r.State, "reason", r.Reason)
			a.reports.add(at.workerID, r)
		}
		return
	}
	executorOf(at.asg.Kind).Run(a, at, lease, log)
}

// runShell runs a shell attempt's command under the shim and reports how
// it ended.
func (a *Agent) runShell(at *attempt, lease time.Duration, log *slog.Logger) {
	id := at.asg.AttemptID
	a.logs.open(id, at.workerID, newMasker(at.asg.Mask))
	res, outputs, err := a.execute(at, lease, log)
	if err != nil {
		log.Error("start task", "error", err)
		a.logs.note(id, err.Error())
		res = exitResult{ShimError: err.Error()}
		a.mu.Lock()
		at.exited = true
		a.changed.notify()
		a.mu.Unlock()
	}
	select { // finish after the attempt's last log chunk, unless Stop gave up
	case <-a.logs.close(id):
	case <-a.flushAbort:
	}
	a.mu.Lock()
	cause := at.cause
	a.mu.Unlock()
	r, ok := finishReport(at, cause, res, outputs)
	if !ok {
		log.Info("attempt superseded: result dropped", "exit", res.reason())
	} else {
		log.Info("attempt finished", "state", r.State, "reason", r.Reason, "exit_code", r.ExitCode)
		a.reports.add(at.workerID, r)
	}
	if !a.cfg.KeepAttemptDirs {
		if err := resource.RemoveAll(at.dir); err != nil {
			log.Warn("remove attempt directory", "error", err)
		}
	}
}

// awaitStart waits until the attempt may start: the session that claimed
// it still holds a valid lease. It returns the lease left, or the cause
// that keeps the attempt from starting.
func (a *Agent) awaitStart(at *attempt) (time.Duration, endCause) {
	a.mu.Lock()
	timeout := time.NewTimer(a.ttl) // the servers sweep unstarted attempts after a while
	a.mu.Unlock()
	defer timeout.Stop()
	for {
		a.mu.Lock()
		switch {
		case at.cause != causeNone:
			a.mu.Unlock()
			return 0, at.cause
		case a.stopping:
			a.mu.Unlock()
			return 0, causeShutdown
		case a.workerID != at.workerID:
			a.mu.Unlock()
			return 0, causeSuperseded
		case a.leaseOK:
			if left := a.leaseLeftLocked(time.Now()); left > 0 {
				a.mu.Unlock()
				return left, causeNone
			}
		}
		ch := a.changed.wait()
		a.mu.Unlock()
		select {
		case <-ch:
		case <-timeout.C:
			return 0, causeFenced
		}
	}
}

// execute runs the attempt's task to its end: it starts the process,
// reports the start, streams the output, enforces the timeout, and reads
// the outputs. err means the task could not be started.
func (a *Agent) execute(at *attempt, lease time.Duration, log *slog.Logger) (exitResult, map[string]string, error) {
	id := at.asg.AttemptID
	if err := resource.RemoveAll(at.dir); err != nil {
		return exitResult{}, nil, fmt.Errorf("prepare attempt directory: %w", err)
	}
	if err := os.MkdirAll(at.dir, 0o700); err != nil {
		return exitResult{}, nil, fmt.Errorf("prepare attempt directory: %w", err)
	}
	if len(at.asg.Resources) > 0 {
		if err := a.resources.materialise(at.workerID, at.asg.Resources, at.dir); err != nil {
			return exitResult{}, nil, err
		}
		// The fetch took time: the shim's lease is what is left now.
		a.mu.Lock()
		lease = a.leaseLeftLocked(time.Now())
		ok := a.leaseOK
		a.mu.Unlock()
		if !ok || lease <= 0 {
			return exitResult{}, nil, errors.New("lease lost while the resources were fetched")
		}
	}
	cp := &checkpointer{a: a, at: at}
	if err := cp.restore(); err != nil {
		return exitResult{}, nil, err
	}
	env := taskEnv(os.Environ(), at.asg.Env, map[string]string{
		"BATON_RUN_ID": strconv.FormatInt(at.asg.RunID, 10), "BATON_WORKFLOW": at.asg.Workflow,
		"BATON_TASK": at.asg.Task, "BATON_ATTEMPT": strconv.FormatInt(at.asg.Number, 10),
		"BATON_ATTEMPT_ID": strconv.FormatInt(id, 10), "BATON_OUTPUT": at.outputFile(),
		"BATON_CHECKPOINT": at.checkpointFile(), "BATON_WORKDIR": at.dir,
	})
	p, err := startProcess(procSpec{Shim: a.cfg.Shim, Args: []string{"/bin/sh", "-c", at.asg.Command},
		Dir: at.dir, Env: env, Lease: lease})
	if err != nil {
		return exitResult{}, nil, err
	}
	a.inc.addGroup(id, p.PID())
	a.mu.Lock()
	at.proc = p
	switch at.cause { // killed while it was starting
	case causeTimeout, causeShutdown, causePreempted:
		p.terminate(a.cfg.KillGrace)
	case causeFenced, causeSuperseded:
		p.kill()
	}
	a.mu.Unlock()
	log.Info("attempt started", "pid", p.PID(), "cu", at.asg.CU, "timeout", at.asg.Timeout)
	a.reports.add(at.workerID, client.Report{AttemptID: id, Kind: "start"})

	exited, watched := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(watched)
		cp.watch(a.cfg.CheckpointInterval, exited)
	}()
	var pumps sync.WaitGroup
	pumps.Go(func() { pump(p.Output, func(b []byte) { a.logs.write(id, "stdout", b) }) })
	if at.asg.Timeout > 0 {
		t := time.AfterFunc(at.asg.Timeout, func() {
			log.Warn("attempt timed out: terminating it", "timeout", at.asg.Timeout)
			a.mu.Lock()
			a.killLocked(at, causeTimeout, false)
			a.mu.Unlock()
		})
		defer t.Stop()
	}
	res := p.wait()
	a.inc.removeGroup(id)
	close(exited) // the last checkpoint goes before the finish
	<-watched
	// The group is dead, so the pipes reach EOF, unless a process that left
	// the group holds them: do not wait for it for long.
	drained := make(chan struct{})
	go func() {
		pumps.Wait()
		close(drained)
	}()
	select {
	case <-drained:
	case <-time.After(time.Second):
		log.Warn("task output still open after its processes ended: a process left its group")
	}
	_ = p.Output.Close()
	<-drained

	a.mu.Lock()
	at.exited = true
	cause := at.cause
	a.changed.notify()
	a.mu.Unlock()

	outputs, problems, err := readOutputs(at.outputFile(), a.cfg.MaxOutputBytes)
	switch {
	case errors.Is(err, errOutputsTooLarge) && cause == causeNone && res.ShimError == "" && res.Code == 0 && res.Signal == 0:
		res.ShimError = err.Error() // the task fails, with that reason
	case err != nil:
		problems = append(problems, err.Error())
	}
	for _, msg := range append(problems, endNote(cause, res, at.asg.Timeout)...) {
		a.logs.note(id, msg)
	}
	return res, outputs, nil
}

// endNote explains in the task's log why the agent ended it.
func endNote(cause endCause, res exitResult, timeout time.Duration) []string {
	switch {
	case cause == causeTimeout:
		return []string{fmt.Sprintf("task timed out after %v (%s)", timeout, res.reason())}
	case cause == causeFenced || res.LeaseExpired:
		return []string{"worker lost its lease: task killed (" + res.reason() + ")"}
	case cause == causeShutdown:
		return []string{"worker shut down: task killed (" + res.reason() + ")"}
	case cause == causePreempted:
		return []string{"task stopped to run elsewhere (worker drained with reschedule): " + res.reason()}
	case res.ShimError != "":
		return []string{res.ShimError}
	}
	return nil
}

// finishReport is the report of an attempt that ended, its secrets
// masked in outputs and reason; ok is false when the result is to be
// dropped.
func finishReport(at *attempt, cause endCause, res exitResult, outputs map[string]string) (client.Report, bool) {
	r, ok := finishState(at, cause, res, outputs)
	if m := newMasker(at.asg.Mask); m != nil {
		m.maskMap(r.Outputs)
		r.Reason = m.string(r.Reason)
	}
	return r, ok
}

func finishState(at *attempt, cause endCause, res exitResult, outputs map[string]string) (client.Report, bool) {
	r := client.Report{AttemptID: at.asg.AttemptID, Kind: "finish", ExitCode: int64(res.Code)}
	switch {
	case cause == causeFenced || res.LeaseExpired:
		r.State, r.Reason = vocab.AttemptFenced, "worker lease expired"
	case cause == causeSuperseded:
		return r, false
	case cause == causeShutdown:
		r.State, r.Reason = vocab.AttemptLost, "worker shut down"
	case cause == causePreempted:
		r.State, r.Reason = vocab.AttemptCancelled, "preempted: stopped to run elsewhere ("+res.reason()+")"
	case cause == causeTimeout:
		r.State, r.Reason = vocab.AttemptTimedOut, fmt.Sprintf("timed out after %v", at.asg.Timeout)
	case res.ShimError != "":
		r.State, r.Reason = vocab.AttemptFailed, res.ShimError
	case res.Code == 0 && res.Signal == 0:
		r.State, r.Outputs = vocab.AttemptSucceeded, outputs
	default:
		r.State, r.Reason = vocab.AttemptFailed, res.reason()
	}
	return r, true
}

// notStartedReport is the report of an attempt that never started.
func notStartedReport(at *attempt, cause endCause) (client.Report, bool) {
	r := client.Report{AttemptID: at.asg.AttemptID, Kind: "finish"}
	switch cause {
	case causeShutdown:
		r.State, r.Reason = vocab.AttemptLost, "worker shut down"
	case causeFenced:
		r.State, r.Reason = vocab.AttemptFenced, "not started: the worker had no valid lease"
	case causePreempted:
		r.State, r.Reason = vocab.AttemptCancelled, "preempted before it started"
	default:
		return r, false
	}
	return r, true
}
