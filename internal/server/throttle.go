package server

import (
	"sync"
	"time"
)

// Login throttling. Failed logins are counted per user name and per
// client address, in this server's memory: behind a load balancer that
// spreads logins over n servers, an attacker gets up to n times the
// allowance. After the free failures, each further attempt must wait
// throttleBase, doubled at every failure, up to throttleMax; an attempt
// made while waiting is refused (429 with Retry-After) without looking at
// the password, so even the right one is refused. A successful login
// clears the user's count (not the address's); counts are forgotten after
// throttleForget without a failure.
const (
	userFreeFailures = 5
	// An address may be shared by many people (NAT, a proxy in front of
	// the servers), so it is allowed more.
	addrFreeFailures = 20
	throttleBase     = 30 * time.Second
	throttleMax      = 15 * time.Minute
	throttleForget   = time.Hour
	throttleLimit    = 100000 // keys kept; beyond, the oldest are dropped
)

type strikes struct {
	n    int
	last time.Time
}

// throttle counts failed logins by key ("user:alice", "addr:10.0.0.1").
type throttle struct {
	mu  sync.Mutex
	now func() time.Time
	m   map[string]strikes
}

func newThrottle() *throttle {
	return &throttle{now: time.Now, m: map[string]strikes{}}
}

// wait returns how long key must still wait before its next attempt,
// given its free failures; 0 if it may try now.
func (t *throttle) wait(key string, free int) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	s, ok := t.m[key]
	now := t.now()
	if !ok || s.n < free || now.Sub(s.last) >= throttleForget {
		return 0
	}
	d := throttleMax
	if over := s.n - free; over < 10 {
		d = min(throttleBase<<over, throttleMax)
	}
	return max(0, s.last.Add(d).Sub(now))
}

// fail counts a failed attempt of each key.
func (t *throttle) fail(keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if len(t.m) >= throttleLimit {
		t.prune(now)
	}
	for _, k := range keys {
		s := t.m[k]
		if now.Sub(s.last) >= throttleForget {
			s.n = 0
		}
		t.m[k] = strikes{n: s.n + 1, last: now}
	}
}

// reset forgets the failures of key.
func (t *throttle) reset(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.m, key)
}

// prune drops the keys not failed for throttleForget, then, if too many
// remain, those that are not waiting.
func (t *throttle) prune(now time.Time) {
	for k, s := range t.m {
		if now.Sub(s.last) >= throttleForget {
			delete(t.m, k)
		}
	}
	for k, s := range t.m {
		if len(t.m) < throttleLimit/2 {
			return
		}
		if s.n < userFreeFailures {
			delete(t.m, k)
		}
	}
}
