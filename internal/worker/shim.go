package worker

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The shim protocol between the agent (executor.go) and the shim. The agent
// starts the shim as the leader of a new process group, with fd 3 the read
// end of the control pipe and fd 4 the write end of the status pipe.
//
// Control (agent → shim), one message a line:
//
//	lease <ms>     the lease is valid for <ms> more milliseconds
//
// Status (shim → agent), one message a line, written before the shim exits:
//
//	signal <n>     the task was killed by signal n (the shim exits 128+n)
//	lease-expired  no renewal arrived in time: the shim killed the group
//	error <text>   the shim could not run the task
const (
	shimCtlFD    = 3
	shimStatusFD = 4

	// shimPdeathsig is the signal the kernel sends the shim when the agent
	// dies. It is a catchable one, so the shim can kill its group first.
	shimPdeathsig = syscall.SIGHUP

	// Exit codes of the shim's own failures, as shells and `env` use them.
	shimExitUsage    = 125
	shimExitNoExec   = 126
	shimExitNotFound = 127
)

// ShimMain runs the task shim and returns its exit code. `baton task-shim`
// calls it with the arguments after the subcommand; nobody else should run
// it. The arguments are
//
//	-ppid <pid> -lease <duration> -- <program> [args...]
//
// The shim runs the program as its child in its own process group and
// guarantees that the whole group dies when
//   - the agent dies (the parent-death signal arrives or the control pipe
//     reaches EOF), even when the agent was killed with SIGKILL;
//   - the lease runs out without a renewal on the control pipe (the agent
//     is hung or stopped, so the servers may soon hand the task to another
//     worker);
//   - the program exits (its leftover background processes are killed).
//
// The shim ignores SIGTERM, which the agent sends to the whole group, and
// otherwise exits with the program's exit status, 128+n when the program
// was killed by signal n.
func ShimMain(args []string) int {
	fs := flag.NewFlagSet("task-shim", flag.ContinueOnError)
	ppid := fs.Int("ppid", 0, "PID of the agent that starts the shim")
	lease := fs.Duration("lease", 0, "how long the lease is valid from the start (0: no lease)")
	if err := fs.Parse(args); err != nil {
		return shimExitUsage
	}
	argv := fs.Args()
	if len(argv) == 0 || *ppid <= 0 {
		fmt.Fprintln(os.Stderr, "usage: task-shim -ppid PID [-lease DURATION] -- PROGRAM [ARGS...]")
		return shimExitUsage
	}
	if err := checkShimFDs(); err != nil {
		fmt.Fprintf(os.Stderr, "task-shim: %v\n", err)
		return shimExitUsage
	}
	status := os.NewFile(shimStatusFD, "status")
	// The pgid guard matters: killing the group must never reach the agent.
	if pgid := syscall.Getpgrp(); pgid != os.Getpid() {
		writeStatus(status, "error task-shim is not the leader of its process group")
		return shimExitUsage
	}
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, shimPdeathsig, syscall.SIGTERM)
	// The agent may have died before the parent-death signal was armed or
	// before the handler above was installed: check by hand once.
	if os.Getppid() != *ppid {
		writeStatus(status, "error the worker agent exited before the task started")
		return shimExitUsage
	}
	renewals, ctlClosed := readControl(os.NewFile(shimCtlFD, "control"))

	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		writeStatus(status, "error start "+argv[0]+": "+err.Error())
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist) {
			return shimExitNotFound
		}
		return shimExitNoExec
	}
	exited := make(chan *os.ProcessState, 1)
	go func() {
		_ = cmd.Wait()
		exited <- cmd.ProcessState
	}()

	expiry := time.NewTimer(*lease)
	if *lease <= 0 {
		expiry.Stop()
	}
	for {
		select {
		case st := <-exited:
			killStragglers()
			ws, _ := st.Sys().(syscall.WaitStatus)
			if ws.Signaled() {
				writeStatus(status, "signal "+strconv.Itoa(int(ws.Signal())))
				return 128 + int(ws.Signal())
			}
			return ws.ExitStatus()
		case d := <-renewals:
			expiry.Reset(d)
		case <-expiry.C:
			writeStatus(status, "lease-expired")
			killOwnGroup()
		case <-ctlClosed:
			killOwnGroup()
		case sig := <-sigs:
			// SIGTERM is for the task, not for us. A SIGHUP that is not the
			// parent-death signal (the task signalled its group) is ignored.
			if sig == shimPdeathsig && os.Getppid() != *ppid {
				killOwnGroup()
			}
		}
	}
}

// checkShimFDs makes sure the agent passed the control and status pipes,
// and keeps them from leaking into the task.
func checkShimFDs() error {
	for _, fd := range []int{shimCtlFD, shimStatusFD} {
		var st syscall.Stat_t
		if err := syscall.Fstat(fd, &st); err != nil {
			return fmt.Errorf("fd %d: %w (task-shim is started by the worker agent only)", fd, err)
		}
		syscall.CloseOnExec(fd)
	}
	return nil
}

// readControl parses the control pipe. ctlClosed is closed at EOF or on
// any read error: the agent is gone.
func readControl(ctl *os.File) (renewals <-chan time.Duration, ctlClosed <-chan struct{}) {
	ch := make(chan time.Duration, 1)
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		sc := bufio.NewScanner(ctl)
		for sc.Scan() {
			verb, arg, _ := strings.Cut(sc.Text(), " ")
			ms, err := strconv.ParseInt(arg, 10, 64)
			if verb != "lease" || err != nil {
				continue
			}
			select { // keep only the newest renewal
			case <-ch:
			default:
			}
			ch <- time.Duration(ms) * time.Millisecond
		}
	}()
	return ch, closed
}

// writeStatus tells the agent something. The status pipe only ever holds a
// few bytes, so this cannot block; an error means the agent is gone.
func writeStatus(status *os.File, msg string) {
	_, _ = status.Write([]byte(msg + "\n"))
}

// killOwnGroup kills the shim's process group, the shim included. It does
// not return: the kernel delivers the SIGKILL to the shim before kill(2)
// returns to it.
func killOwnGroup() {
	_ = syscall.Kill(-os.Getpid(), syscall.SIGKILL)
	os.Exit(128 + int(syscall.SIGKILL))
}

// killStragglers kills what is left of the group after the task's main
// process exited (background jobs it did not wait for), all but the shim.
// It scans /proc until no live member is left, for at most two seconds.
func killStragglers() {
	self := os.Getpid()
	deadline := time.Now().Add(2 * time.Second)
	for pause := time.Millisecond; time.Now().Before(deadline); pause = min(2*pause, 50*time.Millisecond) {
		members := groupMembers(self, self)
		if len(members) == 0 {
			return
		}
		for _, pid := range members {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(pause)
	}
}

// groupMembers lists the live (not zombie) processes of process group
// pgid, except the one with PID except.
func groupMembers(pgid, except int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == except {
			continue
		}
		st, ok := procStat(pid)
		if ok && st.pgrp == pgid && st.state != 'Z' && st.state != 'X' {
			out = append(out, pid)
		}
	}
	return out
}

// procStatus is what /proc/<pid>/stat says about a process.
type procStatus struct {
	state byte
	ppid  int
	pgrp  int
}

// procStat reads /proc/<pid>/stat; ok is false when the process is gone.
func procStat(pid int) (procStatus, bool) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStatus{}, false
	}
	// "pid (comm) state ppid pgrp ...": comm may hold spaces and parens.
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 {
		return procStatus{}, false
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 3 || len(f[0]) != 1 {
		return procStatus{}, false
	}
	ppid, err1 := strconv.Atoi(f[1])
	pgrp, err2 := strconv.Atoi(f[2])
	if err1 != nil || err2 != nil {
		return procStatus{}, false
	}
	return procStatus{state: f[0][0], ppid: ppid, pgrp: pgrp}, true
}
