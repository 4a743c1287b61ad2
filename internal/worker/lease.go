package worker

import (
	"context"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/client/vocab"
)

// The worker's lease, as the agent sees it. The servers renew it, on the
// database's clock, when a heartbeat arrives; the agent cannot know that
// moment, only when it sent the heartbeat, which is earlier. So the agent
// trusts its lease until
//
//	deadline = sent time of the last acknowledged heartbeat + TTL − margin
//
// and kills its tasks itself when the deadline passes (self-fencing),
// before the servers can hand them to another worker. Times are monotonic.
//
// The margin covers only what can make the worker's deadline come later
// than the servers' expiry in real time: its clock running slow (rate
// drift, well under 0.1%), its timer firing late on a loaded machine and
// the kill taking effect. It is not a count of missed heartbeats: a
// heartbeat try goes to the next server every hedge delay (a quarter of an
// interval), and one that hangs is sent again once it gave up (after the
// try time t = max(4 hedges, 500ms)), so a partition of length P never
// fences when
//
//	P < TTL − interval − t − margin − 2 × round trip
//
// (the last acknowledged heartbeat before the partition was sent less
// than interval + round trip before it began). With the defaults (TTL 4s,
// interval 500ms) that is about 2.8s. docs/concepts.md has the argument.

// leaseMargin is how long before the servers' view of the lease ends the
// agent stops trusting it.
func leaseMargin(ttl time.Duration) time.Duration { return max(ttl/20, 200*time.Millisecond) }

// defaultLeaseTTL is assumed when a server does not say.
const defaultLeaseTTL = 4 * time.Second

func (a *Agent) leaseDeadlineLocked() time.Time {
	return a.renewedAt.Add(a.ttl - leaseMargin(a.ttl))
}

// leaseLeftLocked is how long the lease stays valid, 0 when it is not.
func (a *Agent) leaseLeftLocked(now time.Time) time.Duration {
	if !a.leaseOK {
		return 0
	}
	return max(a.leaseDeadlineLocked().Sub(now), 0)
}

// beginSessionLocked adopts a registration sent at sent: the servers gave
// the new worker a fresh lease.
func (a *Agent) beginSessionLocked(reg client.Registration, sent time.Time) {
	a.workerID = reg.Worker.ID
	a.ttl = reg.LeaseTTL
	if a.ttl <= 0 {
		a.ttl = defaultLeaseTTL
	}
	// At least two heartbeats per local lease, whatever the servers say.
	a.interval = reg.HeartbeatInterval
	if limit := (a.ttl - leaseMargin(a.ttl)) / 2; a.interval <= 0 || a.interval > limit {
		a.interval = max(limit, 10*time.Millisecond)
	}
	a.renewedAt = sent
	a.leaseOK = time.Now().Before(a.leaseDeadlineLocked())
	a.draining = reg.Worker.State == vocab.WorkerDraining
	a.changed.notify()
}

// renewLocked extends the lease after a heartbeat sent at sent succeeded,
// and says how long it is valid now. A lease that ran out before the
// answer came fences the running tasks first: the servers may have moved
// them on in between.
func (a *Agent) renewLocked(sent time.Time, ttl time.Duration) time.Duration {
	now := time.Now()
	a.checkLeaseLocked(now)
	if ttl > 0 {
		a.ttl = ttl
	}
	if sent.After(a.renewedAt) {
		a.renewedAt = sent
	}
	wasOK := a.leaseOK
	a.leaseOK = now.Before(a.leaseDeadlineLocked())
	if a.leaseOK && !wasOK {
		a.log.Info("lease renewed: claiming again", "worker_id", a.workerID)
	}
	a.changed.notify()
	return a.leaseLeftLocked(now)
}

// checkLeaseLocked fences the session's tasks if the lease ran out.
func (a *Agent) checkLeaseLocked(now time.Time) {
	if !a.leaseOK || now.Before(a.leaseDeadlineLocked()) {
		return
	}
	a.leaseOK = false
	fenced := a.runningLocked(a.workerID)
	a.log.Warn("lease expired: killing the running tasks (self-fencing)", "worker_id", a.workerID,
		"last_renewal_ago", now.Sub(a.renewedAt).Round(time.Millisecond), "attempts", fenced)
	for _, id := range fenced {
		a.killLocked(a.attempts[id], causeFenced, true)
	}
	a.changed.notify()
}

// pushLease tells the shims of the running tasks how long the lease is
// valid, so that they kill their task by themselves if the agent hangs.
func (a *Agent) pushLease(left time.Duration) {
	if left <= 0 {
		return
	}
	a.mu.Lock()
	var procs []*process
	for _, at := range a.attempts {
		if at.proc != nil && !at.exited {
			procs = append(procs, at.proc)
		}
	}
	a.mu.Unlock()
	for _, p := range procs {
		if err := p.renew(left); err != nil {
			a.log.Debug("renew lease of task shim", "pid", p.PID(), "error", err)
		}
	}
}

// watchLease fences the running tasks as soon as the lease deadline
// passes, even when a heartbeat hangs.
func (a *Agent) watchLease(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		a.mu.Lock()
		a.checkLeaseLocked(time.Now())
		ok, deadline := a.leaseOK, a.leaseDeadlineLocked()
		ch := a.changed.wait()
		a.mu.Unlock()
		var expiry <-chan time.Time
		if ok {
			timer.Reset(time.Until(deadline))
			expiry = timer.C
		}
		select {
		case <-ctx.Done():
			return
		case <-ch:
		case <-expiry:
		}
		timer.Stop()
	}
}
