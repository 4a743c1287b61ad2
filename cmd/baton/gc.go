package main

import (
	"os"
	"runtime/debug"
)

// gcPercent is the garbage collector's target growth of the heap between
// collections when GOGC is not set: 200 % instead of Go's 100 %. A
// server's live heap is small (tens of MB) and most of what it allocates
// (request and answer bodies, rows) dies within a request, so collecting
// half as often costs little memory and took about a seventh of the
// process's CPU a task off a busy server (docs/performance.md, "Where a
// task's WAL goes").
const gcPercent = 200

// tuneGC applies gcPercent unless the environment sets GOGC, which the
// runtime honours as usual (GOMEMLIMIT too).
func tuneGC() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(gcPercent)
	}
}
