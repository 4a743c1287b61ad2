package storetest

import (
	"testing"
	"time"

	"github.com/baton-sched/baton/internal/store/postgres"
)

// PostgreSQL's cumulative statistics, which tests read to see what a
// statement did (index entries read, updates heap-only): a backend
// reports its counts within a second or so of its commit.

// statPair reads two counters of PostgreSQL's statistics with query.
func statPair(t *testing.T, s *postgres.Store, query string) (a, b int64) {
	t.Helper()
	if err := s.Pool().QueryRow(t.Context(), query).Scan(&a, &b); err != nil {
		t.Fatal(err)
	}
	return a, b
}

// waitStats polls PostgreSQL's statistics until reported says what it
// waits for is in, for at most 10 seconds.
func waitStats(t *testing.T, what string, reported func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !reported(); {
		if time.Now().After(deadline) {
			t.Fatalf("%s never reached the statistics", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
