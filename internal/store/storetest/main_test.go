package storetest

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a store leaves goroutines behind after
// Close (the Postgres listener, pool health checks, SQLite connections).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
