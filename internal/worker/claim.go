package worker

import (
	"cmp"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/baton-sched/baton/client"
)

// claimLoop long-polls for work while the worker may take some. A claim
// that failed on one server is tried on the next at once; only when every
// server failed in a row does the loop back off.
func (a *Agent) claimLoop(ctx context.Context) {
	bo := newBackoff(a.cfg.MinBackoff, a.cfg.MaxBackoff)
	failed := 0
	var unsure time.Time // see claimOnce
	for ctx.Err() == nil {
		_, err := a.claimOnce(ctx, &unsure)
		if err == nil {
			bo.reset()
			failed = 0
			continue
		}
		if ctx.Err() != nil {
			return
		}
		if failed++; failed%a.srv.len() != 0 {
			a.log.Info("claim failed: trying the next server", "error", err)
			continue
		}
		wait := bo.wait()
		a.log.Warn("claim failed", "retry_in", wait.Round(time.Millisecond), "error", err)
		_ = client.Wait(ctx, wait)
	}
}

// claimMargin is how much longer than the long-poll's wait a claim try
// may take before the worker gives up on that server.
func (a *Agent) claimMargin() time.Duration {
	return min(a.cfg.RequestTimeout, max(a.cfg.ClaimWait/10, time.Second))
}

// claimOnce waits until the worker may claim (registered, lease valid, not
// draining or stopping, room for more), then long-polls the preferred
// server once and starts what it got. The try is abandoned when it takes
// longer than the long-poll plus claimMargin, and at once when a try on
// that server fails (a heartbeat found it down or hung). It returns the number of attempts
// started.
//
// A claim that failed may have committed on its server all the same, its
// answer lost on the way (the server killed, the connection cut, a slow
// server given up on): until *unsure, which such a failure (no answer, a
// 5xx) moves to the dispatch timeout (twice the lease TTL) from now,
// claims list every attempt the worker holds, so that the servers send
// those attempts again (client.ClaimRequest.Redeliver) instead of losing
// them.
func (a *Agent) claimOnce(ctx context.Context, unsure *time.Time) (int, error) {
	id, req, wait := a.claimRequest()
	if wait != nil {
		select {
		case <-ctx.Done():
		case <-wait:
		}
		return 0, nil
	}
	if time.Now().Before(*unsure) {
		a.listHeld(id, &req)
	}
	i := a.srv.preferred()
	moved, cancel := a.srv.untilFailed(ctx, i)
	defer cancel()
	tctx, cancelTry := context.WithTimeout(moved, a.cfg.ClaimWait+a.claimMargin())
	defer cancelTry()
	asgs, err := a.srv.clients[i].Claim(withTryTimeout(tctx, a.cfg.ClaimWait+a.claimMargin()), id, req)
	if err != nil {
		switch {
		case retryable(err): // no answer, or no good one: the claim may have committed
			*unsure = time.Now().Add(a.dispatchTimeout())
		case req.Redeliver: // refused (a server older than the field, say): claim as before
			*unsure = time.Time{}
		}
		if moved.Err() != nil && ctx.Err() == nil {
			return 0, nil // the heartbeats found that server failing: move on
		}
		if retryable(err) {
			a.srv.fail(i)
		}
		return 0, fmt.Errorf("claim on %s as %s: %w", a.srv.urls[i], id, err)
	}
	return a.accept(id, asgs), nil
}

// listHeld makes req list every attempt worker id holds, as the
// heartbeat does.
func (a *Agent) listHeld(id string, req *client.ClaimRequest) {
	req.Redeliver = true
	req.Held = a.held(id)
}

// held lists, in order, every attempt of worker id the agent holds: the
// attempts first, then the finish reports on their way (an attempt leaves
// a.attempts only after its finish report is queued, so none is missed).
// It is never nil.
func (a *Agent) held(id string) []int64 {
	ids := append(a.heldIDs(id), a.reports.finishing(id)...)
	slices.Sort(ids)
	return slices.Compact(ids)
}

// heldIDs lists the attempts of worker id the agent holds, ended or not.
func (a *Agent) heldIDs(id string) []int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	ids := []int64{}
	for aid, at := range a.attempts {
		if at.workerID == id {
			ids = append(ids, aid)
		}
	}
	return ids
}

// dispatchTimeout is how long the servers wait for an attempt's start
// before they judge its claim's answer lost: twice the lease TTL.
func (a *Agent) dispatchTimeout() time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	return 2 * cmp.Or(a.ttl, 30*time.Second)
}

// claimRequest says what to claim now or, when the worker may not claim,
// returns a channel that is closed when that may have changed.
func (a *Agent) claimRequest() (string, client.ClaimRequest, <-chan struct{}) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.workerID == "" || !a.leaseOK || a.draining || a.stopping {
		return "", client.ClaimRequest{}, a.changed.wait()
	}
	n, used := 0, 0.0
	for _, at := range a.attempts {
		if !at.exited {
			n++
			used += at.asg.CU
		}
	}
	slots, free := a.cfg.MaxTasks-n, a.cfg.Capacity-used
	if slots <= 0 || free <= 1e-9 {
		return "", client.ClaimRequest{}, a.changed.wait()
	}
	return a.workerID, client.ClaimRequest{Max: slots, FreeCU: free, Wait: a.cfg.ClaimWait, Kinds: executorKinds()}, nil
}

// accept starts the attempts claimed as worker id. Assignments for a
// session that ended meanwhile are left to the servers to sweep.
func (a *Agent) accept(id string, asgs []client.Assignment) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, asg := range asgs {
		switch {
		case a.workerID != id:
			a.log.Warn("assignment for a former worker ID ignored", "worker_id", id, "attempt_id", asg.AttemptID)
			continue
		case a.attempts[asg.AttemptID] != nil:
			a.log.Warn("assignment received twice ignored", "attempt_id", asg.AttemptID)
			continue
		}
		if a.cfg.Trace != nil {
			a.cfg.Trace(StageReceived, asg.AttemptID)
		}
		at := &attempt{asg: asg, workerID: id,
			dir: filepath.Join(a.cfg.WorkDir, "attempts", strconv.FormatInt(asg.AttemptID, 10))}
		a.attempts[asg.AttemptID] = at
		a.attemptWG.Add(1)
		go a.runAttempt(at)
		n++
	}
	a.changed.notify()
	return n
}
