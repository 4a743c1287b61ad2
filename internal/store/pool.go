package store

import "time"

// PoolStats is the use of one pool of database connections.
type PoolStats struct {
	Name  string // "main" (PostgreSQL); "write" and "read" (SQLite)
	Max   int64  // connections it may open
	InUse int64
	Idle  int64
	// Waits counts the acquisitions that found no free connection and
	// waited; Wait is their total wait.
	Waits int64
	Wait  time.Duration
}

// Pooled is a store that reports the use of its connection pools (both
// drivers are).
type Pooled interface {
	PoolStats() []PoolStats
}
