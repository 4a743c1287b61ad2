package main

import (
	"strings"
	"testing"
)

func TestWorkerShutdownGraceFlag(t *testing.T) {
	f := newCLIFixture(t)
	r := f.run("worker", "--shutdown-grace", "-5s")
	if r.code() == 0 || r.err == nil || !strings.Contains(r.err.Error(), "shutdown_grace: must be a positive duration") {
		t.Errorf("worker --shutdown-grace -5s: %v", r.err)
	}
}
