package worker

import (
	"context"
	"fmt"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/client/vocab"
	"github.com/baton-sched/baton/internal/version"
)

// sessionLoop registers the worker, then heartbeats every
// HeartbeatInterval; when the servers say the worker is gone it registers
// again under a new ID. A heartbeat that failed is tried again after a
// hedge delay, not a whole interval: the first renewal after an outage
// must come as early as it can (see leaseMargin).
func (a *Agent) sessionLoop(ctx context.Context) {
	failing := 0
	for ctx.Err() == nil {
		if a.ID() == "" {
			if !a.register(ctx) {
				return
			}
			continue
		}
		res := a.heartbeatOnce(ctx)
		next := res.Sent.Add(res.Interval)
		switch {
		case res.Err != nil && ctx.Err() == nil:
			failing++
			if failing == 1 || failing%10 == 0 {
				a.log.Warn("heartbeat failed", "worker_id", res.WorkerID, "failures", failing, "error", res.Err)
			}
			// Every try timed out or failed: try again soon. Refused
			// otherwise: at the next interval.
			if retryable(res.Err) {
				next = time.Now().Add(res.Hedge)
			}
		case res.Err == nil && failing > 0:
			a.log.Info("heartbeat succeeded again", "worker_id", res.WorkerID, "failures", failing)
			failing = 0
			// Reports and logs held back by the outage go out now, not
			// at the end of their backoff.
			a.reports.retryNow()
			poke(a.logs.retry)
		}
		_ = client.Wait(ctx, time.Until(next))
	}
}

// register registers the worker, retrying with backoff until a server
// answers. It returns false when ctx ended or the agent is stopping first.
func (a *Agent) register(ctx context.Context) bool {
	req := client.RegisterRequest{Name: a.cfg.Name, Zone: a.cfg.Zone, Group: a.cfg.Group,
		Labels: a.cfg.Labels, Capacity: a.cfg.Capacity, Version: a.cfg.Version}
	bo := newBackoff(a.cfg.MinBackoff, a.cfg.MaxBackoff)
	for {
		a.mu.Lock()
		stopping := a.stopping
		a.mu.Unlock()
		if stopping {
			return false
		}
		err := a.stopPrevious(ctx)
		var reg client.Registration
		sent := time.Now()
		if err == nil {
			reg, err = a.client.Register(withTryTimeout(ctx, a.registerTry()), req)
		}
		if err == nil {
			cred, _ := a.srv.creds.Get(reg.Worker.ID)
			a.inc.setWorker(reg.Worker.ID, cred)
			a.mu.Lock()
			a.beginSessionLocked(reg, sent)
			ttl, interval := a.ttl, a.interval
			a.mu.Unlock()
			a.log.Info("worker registered", "worker_id", reg.Worker.ID, "zone", reg.Worker.Zone,
				"group", reg.Worker.Group, "capacity", a.cfg.Capacity, "lease_ttl", ttl,
				"heartbeat_interval", interval, "version", a.cfg.Version, "server_version", reg.ServerVersion)
			if reg.ServerVersion != "" && !version.Compatible(reg.ServerVersion, a.cfg.Version) {
				a.log.Warn("server version more than one minor version from the worker's: upgrade servers first, then workers",
					"version", a.cfg.Version, "server_version", reg.ServerVersion)
			}
			if ttl <= leaseMargin(ttl) {
				a.log.Error("lease TTL too short: the worker can never trust its lease and will claim nothing",
					"lease_ttl", ttl, "margin", leaseMargin(ttl))
			} else if interval != reg.HeartbeatInterval {
				a.log.Warn("heartbeat interval too long for the lease: using a shorter one",
					"servers_interval", reg.HeartbeatInterval, "heartbeat_interval", interval)
			}
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		wait := bo.wait()
		a.log.Warn("register worker failed; retrying", "retry_in", wait.Round(time.Millisecond), "error", err)
		if client.Wait(ctx, wait) != nil {
			return false
		}
	}
}

// registerTry bounds a registration's try on one server: a hung server
// must not hold a starting worker for long when another may answer.
func (a *Agent) registerTry() time.Duration { return min(a.cfg.RequestTimeout, 3*time.Second) }

// stopPrevious tells the servers that the worker ID of the previous
// process on the work directory stopped, so that they end its attempts at
// once; an error means try again.
func (a *Agent) stopPrevious(ctx context.Context) error {
	if a.prevID == "" {
		return nil
	}
	err := a.client.StopWorker(withTryTimeout(ctx, a.registerTry()), a.prevID, nil)
	if err != nil && retryable(err) {
		return fmt.Errorf("tell the servers the previous worker process stopped: %w", err)
	}
	if err != nil {
		a.log.Warn("servers refused the stop of the previous worker process", "previous_worker_id", a.prevID, "error", err)
	} else {
		a.log.Info("servers told the previous worker process stopped", "previous_worker_id", a.prevID)
	}
	a.prevID = ""
	return nil
}

// heartbeatResult says what one heartbeat did.
type heartbeatResult struct {
	WorkerID string
	Sent     time.Time     // when the acknowledged request was sent (else the first)
	Interval time.Duration // when to send the next one, from Sent
	Hedge    time.Duration // how long a try waits before another is sent
	Left     time.Duration // how long the lease is valid after it
	Gone     bool          // the servers declared the worker lost
	Kill     []int64       // attempts the servers said to kill
	Err      error
}

// beatTryHedges is how many hedge delays one heartbeat try may take (at
// least minBeatTry): long enough for a loaded server to answer late and
// still renew, short enough that a try stuck on a connection a blip
// killed is sent again on a new one soon after the blip.
const (
	beatTryHedges = 4
	minBeatTry    = 500 * time.Millisecond
)

// beatTimingLocked is the hedge delay (a heartbeat try not answered
// within it is also sent to the next server) and the time one try may
// take.
func (a *Agent) beatTimingLocked() (hedge, try time.Duration) {
	hedge = max(a.interval/4, 10*time.Millisecond)
	return hedge, max(beatTryHedges*hedge, minBeatTry)
}

// heartbeatOnce renews the lease with the running attempts and applies the
// answer: renew the lease (here and in the shims), kill what the servers
// no longer want, follow the draining state; on 410 Gone kill everything
// and forget the worker ID so that the session loop registers again.
func (a *Agent) heartbeatOnce(ctx context.Context) heartbeatResult {
	a.mu.Lock()
	id, ttl := a.workerID, a.ttl
	running := a.runningLocked(id)
	var ending []int64 // exited, finish report not yet queued
	for aid, at := range a.attempts {
		if at.exited && at.workerID == id {
			ending = append(ending, aid)
		}
	}
	res := heartbeatResult{WorkerID: id, Interval: a.interval}
	hedge, try := a.beatTimingLocked()
	res.Hedge = hedge
	a.mu.Unlock()

	res.Sent = time.Now()
	// Every attempt the worker holds: running, or ended with its finish
	// report not yet acknowledged (an attempt leaves a.attempts only after
	// its report is queued, so reading the attempts first and the queue
	// second misses none); the servers end any other started attempt.
	req := client.HeartbeatRequest{Running: running, Ending: ending, Complete: true}
	req.Ending = append(req.Ending, a.reports.finishing(id)...)
	beat, sent, err := a.sendHeartbeat(ctx, ttl, id, req, hedge, try)
	if !sent.IsZero() {
		res.Sent = sent
	}
	switch {
	case client.IsGone(err):
		res.Gone = true
		a.loseSession(id)
		return res
	case err != nil:
		res.Err = err
		return res
	}

	a.mu.Lock()
	if a.workerID != id {
		a.mu.Unlock()
		return res
	}
	res.Left = a.renewLocked(res.Sent, beat.LeaseTTL)
	if draining := beat.State == vocab.WorkerDraining; draining != a.draining {
		a.draining = draining
		a.log.Info("worker draining state changed", "worker_id", id, "draining", draining)
	}
	for _, aid := range beat.Kill {
		if at := a.attempts[aid]; at != nil && at.workerID == id {
			a.log.Info("servers say the attempt is no longer live: killing it", "attempt_id", aid)
			a.killLocked(at, causeSuperseded, false)
			res.Kill = append(res.Kill, aid)
		}
	}
	for _, aid := range beat.Preempt {
		if at := a.attempts[aid]; at != nil && at.workerID == id && at.cause == causeNone && !at.exited {
			a.log.Info("servers moved the attempt elsewhere: stopping it", "attempt_id", aid)
			a.killLocked(at, causePreempted, false)
		}
	}
	a.changed.notify()
	a.mu.Unlock()
	a.pushLease(res.Left)
	return res
}

// loseSession handles the servers' 410 Gone for worker id: its attempts
// were all handed on, so every task is killed and its result dropped, and
// the worker registers again.
func (a *Agent) loseSession(id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.workerID != id {
		return
	}
	killed := a.runningLocked("")
	a.log.Warn("servers declared the worker lost: killing its tasks and registering again",
		"worker_id", id, "attempts", killed)
	a.workerID, a.leaseOK, a.draining = "", false, false
	for _, aid := range killed {
		a.killLocked(a.attempts[aid], causeSuperseded, true)
	}
	a.changed.notify()
}

// beatAnswer is the outcome of one heartbeat try.
type beatAnswer struct {
	server int
	sent   time.Time
	beat   client.HeartbeatResponse
	err    error
}

// sendHeartbeat sends one heartbeat, hedged: the first try goes to the
// preferred server; every hedge delay without an answer (and at once after
// a server failed) another try goes to the next server that has none of
// this heartbeat in flight, each try bounded by try (a try stuck on a
// connection that died in a blip is sent again once it gives up). The
// first answer wins (a success, or a refusal that holds on every server
// such as 410 Gone); its server becomes the preferred one. Tries still in
// flight then run on, within ctx (the session) and their bound: cancelling
// an HTTP/1.1 request closes its connection (a TLS handshake for the next
// one), and the try still tells whether its server fails: a server that
// fails is left (see servers.fail), one merely slower is not. A slow
// server never gets several tries of one heartbeat at once. It returns
// when the winning try was sent, or an error once deadline passed.
func (a *Agent) sendHeartbeat(ctx context.Context, deadline time.Duration, id string, req client.HeartbeatRequest, hedge, try time.Duration) (client.HeartbeatResponse, time.Time, error) {
	wait := time.NewTimer(deadline)
	defer wait.Stop()
	start := a.srv.preferred()
	n := a.srv.len()
	answers := make(chan beatAnswer, n) // one try per server in flight: never blocks
	busy := make([]bool, n)             // a try of this heartbeat is in flight there
	next := 0
	send := func() {
		for range n {
			i := (start + next) % n
			next++
			if busy[i] {
				continue
			}
			busy[i] = true
			go func() {
				tctx, cancel := context.WithTimeout(ctx, try)
				defer cancel()
				ans := beatAnswer{server: i, sent: time.Now()}
				ans.beat, ans.err = a.srv.clients[i].Beat(tctx, id, req)
				if ans.err != nil && retryable(ans.err) && ctx.Err() == nil {
					a.srv.fail(i)
				}
				answers <- ans
			}()
			return
		}
	}
	send()
	tick := time.NewTicker(hedge)
	defer tick.Stop()
	hedged := tick.C
	if a.cfg.NoHedge {
		hedged = nil // the next server only after a try failed
	}
	var lastErr error
	for {
		select {
		case <-ctx.Done():
			return client.HeartbeatResponse{}, time.Time{}, fmt.Errorf("heartbeat: %w", ctx.Err())
		case <-wait.C:
			if lastErr == nil {
				lastErr = context.DeadlineExceeded
			}
			return client.HeartbeatResponse{}, time.Time{}, fmt.Errorf("heartbeat: no server answered in time: %w", lastErr)
		case <-hedged:
			send()
		case ans := <-answers:
			busy[ans.server] = false
			if ans.err == nil || !retryable(ans.err) {
				if ans.err == nil {
					a.srv.prefer(ans.server)
				}
				return ans.beat, ans.sent, ans.err
			}
			lastErr = fmt.Errorf("%s: %w", a.srv.urls[ans.server], ans.err)
			send() // a server that failed at once: the next one now
		}
	}
}
