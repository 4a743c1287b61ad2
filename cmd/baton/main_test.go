package main

import (
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/baton-sched/baton/internal/worker"
)

func TestMain(m *testing.M) {
	// Workers started by tests run each task under this test binary acting
	// as `baton task-shim`.
	if len(os.Args) > 1 && os.Args[1] == "task-shim" {
		os.Exit(worker.ShimMain(os.Args[2:]))
	}
	// Shims are this race-enabled binary; spare each the race detector's
	// one-second sleep at exit.
	os.Setenv("GORACE", "atexit_sleep_ms=0")
	goleak.VerifyTestMain(m)
}
