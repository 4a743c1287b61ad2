package worker

import (
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// The test binary plays two more parts, chosen before any test runs:
//
//	<test binary> task-shim ARGS...          the shim, as `baton task-shim`
//	BATON_WORKER_TEST_HELPER=mini-agent      a minimal agent that starts one
//	                                         task and waits to be killed
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "task-shim" {
		os.Exit(ShimMain(os.Args[2:]))
	}
	if mode := os.Getenv("BATON_WORKER_TEST_HELPER"); mode != "" {
		os.Exit(miniAgent(mode, os.Getenv("BATON_WORKER_TEST_DIR")))
	}
	// Shims are this binary: spare them the race detector's one second
	// sleep at every clean exit.
	_ = os.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	goleak.VerifyTestMain(m)
}

// testShim is the Config.Shim that runs this test binary as the shim.
func testShim(t testing.TB) []string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return []string{exe, "task-shim"}
}

// miniAgent starts a task that writes its PIDs to dir/pids, and waits
// forever. In mode "pdeathsig-only" it also hands the write end of the
// task's control pipe to an unrelated process, so that only the
// parent-death signal can tell the shim that the agent died.
func miniAgent(mode, dir string) int {
	exe, _ := os.Executable()
	p, err := startProcess(procSpec{Shim: []string{exe, "task-shim"}, Dir: dir, Env: os.Environ(),
		Args: []string{"/bin/sh", "-c", `sleep 300 & echo $! > pids.tmp; echo $$ >> pids.tmp; mv pids.tmp pids; wait`}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("shim %d\n", p.PID())
	if mode == "pdeathsig-only" {
		holder := exec.Command("sleep", "300")
		holder.ExtraFiles = []*os.File{p.ctl}
		// Its own group and no parent-death signal: it outlives us.
		holder.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := holder.Start(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Printf("holder %d\n", holder.Process.Pid)
	}
	for {
		time.Sleep(time.Hour)
	}
}

// alive reports whether a process exists and is not a zombie (the init
// of a container may never reap orphans).
func alive(pid int) bool {
	st, ok := procStat(pid)
	return ok && st.state != 'Z' && st.state != 'X'
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// readPIDs waits for a file of PIDs, one a line, written by a task.
func readPIDs(t testing.TB, path string, n int) []int {
	t.Helper()
	var pids []int
	waitFor(t, 10*time.Second, "pid file "+filepath.Base(path), func() bool {
		data, err := os.ReadFile(path)
		if err != nil {
			return false
		}
		pids = nil
		for _, f := range strings.Fields(string(data)) {
			pid, err := strconv.Atoi(f)
			if err != nil {
				return false
			}
			pids = append(pids, pid)
		}
		return len(pids) >= n
	})
	return pids
}

// waitDead waits until every process in pids is gone.
func waitDead(t testing.TB, timeout time.Duration, pids ...int) {
	t.Helper()
	waitFor(t, timeout, fmt.Sprintf("processes %v to die", pids), func() bool {
		for _, pid := range pids {
			if alive(pid) {
				return false
			}
		}
		return true
	})
}

// testLogger writes the agent's logs to the test's output.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo}))
}
