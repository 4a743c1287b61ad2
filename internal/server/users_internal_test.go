package server

import (
	"context"
	"testing"
	"time"

	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/storetest"
)

func TestThrottleBacksOffExponentiallyAndForgets(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	th := newThrottle()
	th.now = func() time.Time { return now }
	for i := range userFreeFailures {
		if d := th.wait("user:a", userFreeFailures); d != 0 {
			t.Fatalf("after %d failures: wait %v, want none", i, d)
		}
		th.fail("user:a")
	}
	// Each failure past the free ones doubles the wait: 30s, 60s, 120s...
	for _, want := range []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute} {
		if d := th.wait("user:a", userFreeFailures); d != want {
			t.Fatalf("wait %v, want %v", d, want)
		}
		now = now.Add(want - time.Second)
		if d := th.wait("user:a", userFreeFailures); d != time.Second {
			t.Fatalf("a second before the end: wait %v", d)
		}
		now = now.Add(time.Second)
		th.fail("user:a")
	}
	for range 20 {
		th.fail("user:a")
	}
	if d := th.wait("user:a", userFreeFailures); d != throttleMax {
		t.Errorf("many failures: wait %v, want the cap %v", d, throttleMax)
	}
	if d := th.wait("user:b", userFreeFailures); d != 0 {
		t.Errorf("another key waits %v", d)
	}
	now = now.Add(throttleForget)
	if d := th.wait("user:a", userFreeFailures); d != 0 {
		t.Errorf("after an hour without failures: wait %v", d)
	}
	th.fail("user:a")
	if d := th.wait("user:a", userFreeFailures); d != 0 {
		t.Errorf("the count restarted from the old one: wait %v", d)
	}
	th.reset("user:a")
	if len(th.m) != 0 {
		t.Errorf("reset left %v", th.m)
	}
}

func TestThrottlePruneBoundsMemory(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	th := newThrottle()
	th.now = func() time.Time { return now }
	for i := range throttleLimit {
		th.m[string(rune(i))+"k"] = strikes{n: 1, last: now}
	}
	for range userFreeFailures {
		th.fail("user:locked")
	}
	if len(th.m) >= throttleLimit {
		t.Errorf("%d keys kept, want fewer than %d", len(th.m), throttleLimit)
	}
	if d := th.wait("user:locked", userFreeFailures); d == 0 {
		t.Error("pruning forgot a locked-out key")
	}
}

func TestPruneSessionsKeepsLiveOnes(t *testing.T) {
	st := storetest.OpenSQLite(t)
	s := New(engine.New(st, engine.Config{}), Config{})
	defer s.Stop()
	ctx := context.Background()
	for _, nt := range []store.NewToken{
		{Name: "session:gone", Kind: store.TokenSession, Hash: "g", Role: "viewer", Subject: "user:a", ExpiresAt: 1},
		{Name: "session:live", Kind: store.TokenSession, Hash: "l", Role: "viewer", Subject: "user:a",
			ExpiresAt: time.Now().Add(time.Hour).UnixMilli()},
	} {
		if err := st.InTx(ctx, func(tx store.Tx) error { _, err := tx.Tokens().Insert(ctx, nt); return err }); err != nil {
			t.Fatal(err)
		}
	}
	s.pruneSessions(ctx)
	for hash, want := range map[string]bool{"g": false, "l": true} {
		err := st.Read(ctx, func(tx store.Tx) error { _, err := tx.Tokens().ByHash(ctx, hash); return err })
		if (err == nil) != want {
			t.Errorf("session %s kept = %v, want %v", hash, err == nil, want)
		}
	}
}
