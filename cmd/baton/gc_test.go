package main

import (
	"os"
	"runtime/debug"
	"testing"
)

func TestTuneGC(t *testing.T) {
	before := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(before) })

	t.Setenv("GOGC", "") // registers the restore of GOGC's value
	os.Unsetenv("GOGC")
	tuneGC()
	if got := debug.SetGCPercent(100); got != gcPercent {
		t.Errorf("GOGC unset: GC percent %d, want %d", got, gcPercent)
	}

	t.Setenv("GOGC", "50")
	debug.SetGCPercent(50) // what the runtime read from GOGC at start
	tuneGC()
	if got := debug.SetGCPercent(100); got != 50 {
		t.Errorf("GOGC=50: GC percent %d, want GOGC's 50 kept", got)
	}
}
