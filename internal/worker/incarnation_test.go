package worker

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestIncarnationLock(t *testing.T) {
	dir := t.TempDir()
	log := testLogger(t)
	first, prev, err := acquireIncarnation(dir, log)
	if err != nil {
		t.Fatal(err)
	}
	if prev.WorkerID != "" || len(prev.Groups) != 0 {
		t.Errorf("previous state of a new directory: %+v", prev)
	}
	first.setWorker("w-1", "baton_credential")
	first.addGroup(7, 12345)
	if _, _, err := acquireIncarnation(dir, log); !errors.Is(err, errWorkDirInUse) {
		t.Fatalf("second lock: %v, want errWorkDirInUse", err)
	}
	first.release() // as the kernel does when the process dies
	second, prev, err := acquireIncarnation(dir, log)
	if err != nil {
		t.Fatal(err)
	}
	defer second.release()
	if prev.WorkerID != "w-1" || prev.Credential != "baton_credential" || prev.Groups[7] != 12345 || prev.PID == 0 {
		t.Errorf("previous state %+v, want w-1, its credential, group 12345", prev)
	}
	if fi, err := os.Stat(filepath.Join(dir, stateFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("state file (it holds a credential): %v %v, want mode 0600", fi, err)
	}
}

// A worker process that dies (here: gives its lock up without stopping)
// and a new one started on the same work directory: the new one kills the
// old tasks still running, tells the servers the old worker ID stopped
// and then registers, at once, not after the old lease.
func TestAgentRestartHandsOver(t *testing.T) {
	x := newAgentTest(t, nil)
	pids := x.sleeper(101)
	oldID := x.a.ID()
	// The crash, as far as the lock is concerned; the old agent also
	// claims nothing more.
	x.a.mu.Lock()
	x.a.stopping = true
	x.a.changed.notify()
	x.a.mu.Unlock()
	x.a.inc.release()
	start := time.Now()
	b, err := New(x.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Stop)
	waitDead(t, 5*time.Second, pids...)
	waitFor(t, 5*time.Second, "the new process registered", func() bool { return b.ID() != "" })
	if d := time.Since(start); d > testTTL {
		t.Errorf("hand-over took %v, longer than the lease %v", d, testTTL)
	}
	stops := get(x.fake, func(f *fakeServer) []string { return slices.Clone(f.stops) })
	if !slices.Equal(stops, []string{oldID}) {
		t.Errorf("stops %v, want the old worker %s", stops, oldID)
	}
	if regs := get(x.fake, func(f *fakeServer) int { return len(f.registrations) }); regs != 2 {
		t.Errorf("%d registrations, want 2", regs)
	}
	// The new process claims and runs work; the servers refuse the old ID.
	x.fake.set(func(f *fakeServer) { f.gone[oldID] = true })
	x.fake.enqueue(x.assignment(102, `true`))
	if fin := x.fake.waitReport(t, 102, "finish"); fin.WorkerID != b.ID() {
		t.Errorf("attempt 102 finished by %s, want the new process %s", fin.WorkerID, b.ID())
	}
}
