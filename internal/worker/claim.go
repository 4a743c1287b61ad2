package worker

import (
	"context"
	"fmt"
	"path/filepath"
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
	for ctx.Err() == nil {
		_, err := a.claimOnce(ctx)
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
func (a *Agent) claimOnce(ctx context.Context) (int, error) {
	id, req, wait := a.claimRequest()
	if wait != nil {
		select {
		case <-ctx.Done():
		case <-wait:
		}
		return 0, nil
	}
	i := a.srv.preferred()
	moved, cancel := a.srv.untilFailed(ctx, i)
	defer cancel()
	tctx, cancelTry := context.WithTimeout(moved, a.cfg.ClaimWait+a.claimMargin())
	defer cancelTry()
	asgs, err := a.srv.clients[i].Claim(withTryTimeout(tctx, a.cfg.ClaimWait+a.claimMargin()), id, req)
	if err != nil {
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
