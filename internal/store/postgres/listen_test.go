package postgres_test

import (
	"testing"
	"time"

	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/storetest"
)

// A store's own NotifyWork commit fires its signal once, as it commits:
// the notification's echo through its LISTEN connection does not wake its
// claims a second time. (Another store's notifications do:
// storetest.TestPostgresWorkSignalAcrossServers.)
func TestOwnNotificationFiresOnce(t *testing.T) {
	s := storetest.OpenPostgres(t)
	ctx := t.Context()
	until := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(time.Minute); !cond(); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within a minute", what)
			}
		}
	}
	// The listener fires once when it has connected: nothing else fires
	// before the first commit.
	until("the listener's first wake-up", func() bool { return s.Wakeups() >= 1 })
	before := s.Wakeups()
	ch := s.WorkSignal()
	if err := s.InTx(ctx, func(tx store.Tx) error { tx.NotifyWork(); return nil }); err != nil {
		t.Fatalf("commit with NotifyWork: %v", err)
	}
	select {
	case <-ch:
	default:
		t.Fatal("the commit did not fire the signal")
	}
	until("the notification heard back", func() bool { return s.Echoes() == 1 })
	if got := s.Wakeups() - before; got != 1 {
		t.Errorf("wake-ups from one commit: %d, want 1", got)
	}
}
