package worker

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// task is a process started under the test shim, with its output captured.
type task struct {
	*process
	dir    string
	output strings.Builder
	pumps  sync.WaitGroup
}

func startTask(t *testing.T, command string, lease time.Duration) *task {
	t.Helper()
	dir := t.TempDir()
	p, err := startProcess(procSpec{Shim: testShim(t), Args: []string{"/bin/sh", "-c", command},
		Dir: dir, Env: os.Environ(), Lease: lease})
	if err != nil {
		t.Fatal(err)
	}
	tk := &task{process: p, dir: dir}
	tk.pumps.Go(func() { _, _ = io.Copy(&tk.output, p.Output) })
	t.Cleanup(func() {
		p.kill()
		_ = p.Output.Close()
	})
	return tk
}

// finish waits for the task to end and for its output.
func (tk *task) finish() exitResult {
	res := tk.wait()
	tk.pumps.Wait()
	return res
}

func TestProcessExitStatus(t *testing.T) {
	tests := []struct {
		command    string
		wantCode   int
		wantSignal syscall.Signal
		wantReason string
	}{
		{"exit 0", 0, 0, "exit status 0"},
		{"exit 3", 3, 0, "exit status 3"},
		{"kill -9 $$", 137, syscall.SIGKILL, "killed by signal 9"},
		{"kill -TERM $$", 143, syscall.SIGTERM, "killed by signal 15"},
		{"exec /nonexistent/program", 127, 0, "exit status 127"},
	}
	for _, tt := range tests {
		t.Run(tt.command, func(t *testing.T) {
			res := startTask(t, tt.command, 0).finish()
			if res.Code != tt.wantCode || res.Signal != tt.wantSignal || res.reason() != tt.wantReason {
				t.Errorf("got code %d, signal %d, reason %q; want %d, %d, %q",
					res.Code, res.Signal, res.reason(), tt.wantCode, tt.wantSignal, tt.wantReason)
			}
			if res.LeaseExpired || res.ShimError != "" {
				t.Errorf("unexpected lease expiry or shim error: %+v", res)
			}
		})
	}
}

func TestProcessOutputAndWorkingDirectory(t *testing.T) {
	// Standard error joins standard output in the order written.
	tk := startTask(t, `for i in 1 2 3; do echo out$i; echo err$i >&2; done; pwd`, 0)
	if res := tk.finish(); res.Code != 0 {
		t.Fatalf("exit: %+v", res)
	}
	dir, _ := filepath.EvalSymlinks(tk.dir)
	if got, want := tk.output.String(), "out1\nerr1\nout2\nerr2\nout3\nerr3\n"+dir+"\n"; got != want {
		t.Errorf("output = %q, want %q", got, want)
	}
}

// The shim ignores SIGTERM and passes the task's own exit code through.
func TestProcessShimSurvivesSIGTERM(t *testing.T) {
	tk := startTask(t, `trap 'exit 7' TERM; touch ready; sleep 60 & wait`, 0)
	waitFor(t, 10*time.Second, "task ready", func() bool {
		_, err := os.Stat(filepath.Join(tk.dir, "ready"))
		return err == nil
	})
	tk.terminate(time.Minute)
	if res := tk.finish(); res.Code != 7 || res.Signal != 0 {
		t.Errorf("got %+v, want exit 7", res)
	}
}

func TestProcessTerminateKillsGroup(t *testing.T) {
	tests := []struct {
		name    string
		command string
		signal  syscall.Signal
	}{
		{"SIGTERM", `sleep 60 & echo $! > gc; wait`, syscall.SIGTERM},
		{"SIGKILL after grace", `trap '' TERM; sleep 60 & echo $! > gc; wait`, syscall.SIGKILL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tk := startTask(t, tt.command, 0)
			gc := readPIDs(t, filepath.Join(tk.dir, "gc"), 1)[0]
			tk.terminate(200 * time.Millisecond)
			res := tk.finish()
			if res.Signal != tt.signal {
				t.Errorf("ended by %+v, want signal %d", res, tt.signal)
			}
			waitDead(t, 5*time.Second, gc)
		})
	}
}

// A task's background jobs die with it.
func TestProcessKillsStragglers(t *testing.T) {
	tk := startTask(t, `sleep 60 & echo $! > gc; exit 4`, 0)
	res := tk.finish()
	if res.Code != 4 {
		t.Errorf("got %+v, want exit 4", res)
	}
	waitDead(t, 5*time.Second, readPIDs(t, filepath.Join(tk.dir, "gc"), 1)[0])
}

func TestShimLease(t *testing.T) {
	t.Run("expires without renewal", func(t *testing.T) {
		tk := startTask(t, `sleep 60 & echo $! > gc; wait`, 300*time.Millisecond)
		gc := readPIDs(t, filepath.Join(tk.dir, "gc"), 1)[0]
		res := tk.finish()
		if !res.LeaseExpired || res.Signal != syscall.SIGKILL {
			t.Errorf("got %+v, want killed for lack of a lease", res)
		}
		waitDead(t, 5*time.Second, gc)
	})
	t.Run("renewals keep it alive", func(t *testing.T) {
		tk := startTask(t, `touch started; while [ ! -e done ]; do sleep 0.05; done`, 300*time.Millisecond)
		waitFor(t, 10*time.Second, "task started", func() bool {
			_, err := os.Stat(filepath.Join(tk.dir, "started"))
			return err == nil
		})
		// Renew for three times the lease, then let the task end.
		end := time.Now().Add(900 * time.Millisecond)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for now := range tick.C {
			if err := tk.renew(300 * time.Millisecond); err != nil {
				t.Fatalf("renew: %v", err)
			}
			if now.After(end) {
				break
			}
		}
		if err := os.WriteFile(filepath.Join(tk.dir, "done"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if res := tk.finish(); res.Code != 0 || res.LeaseExpired {
			t.Errorf("got %+v, want exit 0", res)
		}
	})
}

func TestShimControlPipeEOFKillsGroup(t *testing.T) {
	tk := startTask(t, `sleep 60 & echo $! > gc; wait`, 0)
	gc := readPIDs(t, filepath.Join(tk.dir, "gc"), 1)[0]
	_ = tk.ctl.Close()
	if res := tk.finish(); res.Signal != syscall.SIGKILL {
		t.Errorf("got %+v, want SIGKILL", res)
	}
	waitDead(t, 5*time.Second, gc)
}

// Killing the agent, even with SIGKILL, kills its tasks: through EOF on
// the control pipe and, on its own, through the parent-death signal.
func TestShimKillsTaskWhenAgentDies(t *testing.T) {
	for _, mode := range []string{"mini-agent", "pdeathsig-only"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			exe, _ := os.Executable()
			helper := exec.Command(exe)
			helper.Env = append(os.Environ(), "BATON_WORKER_TEST_HELPER="+mode, "BATON_WORKER_TEST_DIR="+dir)
			helper.Stderr = os.Stderr
			out, err := helper.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := helper.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = helper.Process.Kill(); _ = helper.Wait() })
			procs := map[string]int{}
			sc := bufio.NewScanner(out)
			for len(procs) < map[string]int{"mini-agent": 1, "pdeathsig-only": 2}[mode] && sc.Scan() {
				name, pid, _ := strings.Cut(sc.Text(), " ")
				procs[name], _ = strconv.Atoi(pid)
			}
			if holder := procs["holder"]; holder != 0 {
				t.Cleanup(func() { _ = syscall.Kill(holder, syscall.SIGKILL) })
			}
			taskPIDs := readPIDs(t, filepath.Join(dir, "pids"), 2)
			pids := append(taskPIDs, procs["shim"])
			for _, pid := range pids {
				if !alive(pid) {
					t.Fatalf("process %d not running before the agent was killed", pid)
				}
			}
			if err := helper.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			_ = helper.Wait()
			waitDead(t, 10*time.Second, pids...)
			if holder := procs["holder"]; holder != 0 && !alive(holder) {
				t.Errorf("the control pipe holder died: the test did not isolate the parent-death signal")
			}
		})
	}
}

// A shim whose parent is not the agent that meant to start it (the agent
// died before the shim ran) does not run the task.
func TestShimChecksParent(t *testing.T) {
	dir := t.TempDir()
	ctlR, ctlW, _ := os.Pipe()
	stR, stW, _ := os.Pipe()
	defer ctlW.Close()
	defer stR.Close()
	shim := testShim(t)
	cmd := exec.Command(shim[0], shim[1], "-ppid", "1", "--", "/bin/sh", "-c", "touch ran")
	cmd.Dir = dir
	cmd.ExtraFiles = []*os.File{ctlR, stW}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err := cmd.Run()
	ctlR.Close()
	stW.Close()
	if cmd.ProcessState.ExitCode() != shimExitUsage {
		t.Errorf("shim exit: %v, want code %d", err, shimExitUsage)
	}
	status, _ := io.ReadAll(stR)
	if !strings.Contains(string(status), "error the worker agent exited") {
		t.Errorf("status = %q", status)
	}
	if _, err := os.Stat(filepath.Join(dir, "ran")); err == nil {
		t.Error("the task ran")
	}
}

func TestTaskEnv(t *testing.T) {
	got := taskEnv([]string{"PATH=/bin", "HOME=/root", "BATON_TASK=stale", "broken"},
		map[string]string{"HOME": "/home/task", "A": "1", "bad=key": "x"},
		map[string]string{"BATON_TASK": "extract"})
	want := []string{"PATH=/bin", "HOME=/home/task", "BATON_TASK=extract", "A=1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("env (-want +got):\n%s", diff)
	}
}
