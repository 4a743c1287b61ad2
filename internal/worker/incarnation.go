package worker

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// A worker restarted by a supervisor (systemd, Kubernetes) after a crash
// hands its former attempts over at once instead of leaving them to the
// end of the old lease. It proves the old process gone:
//
//   - it holds an exclusive lock (flock) on WorkDir/worker.lock while it
//     runs: the kernel releases it when the process dies, however it dies,
//     so a new process that takes the lock knows the old one is gone (two
//     live workers on one work directory are refused);
//   - WorkDir/worker.state records the worker ID and the process group of
//     each running task's shim; the new process checks those groups are
//     dead (the shims kill their group when the agent dies) and kills the
//     ones that are not, before anything else;
//   - then it tells the servers the old worker ID stopped (the stop call of
//     a graceful shutdown, with the old worker's credential, kept in
//     worker.state), so they end its attempts at once, lost, and queue the
//     rerunnable ones again, and only then registers.

const (
	lockFile  = "worker.lock"
	stateFile = "worker.state"
)

// incarnationState is what worker.state holds.
type incarnationState struct {
	PID      int    `json:"pid"`                 // the agent's process
	WorkerID string `json:"worker_id,omitempty"` // the last worker ID the servers gave it
	// Credential is that worker's credential, which a restarted process
	// needs to tell the servers its predecessor stopped (the file is 0600
	// in a 0700 directory, as the join token file is).
	Credential string `json:"credential,omitempty"`
	// Groups are the process groups of the running tasks' shims, by
	// attempt ID.
	Groups map[int64]int `json:"groups,omitempty"`
}

// incarnation is this process's hold on the work directory.
type incarnation struct {
	dir  string
	lock *os.File
	log  *slog.Logger

	mu    sync.Mutex
	state incarnationState
}

// errWorkDirInUse: another live process holds the work directory.
var errWorkDirInUse = errors.New("work directory in use by another worker process")

// acquireIncarnation takes the work directory's lock and returns the
// state its previous holder left (zero when there was none).
func acquireIncarnation(dir string, log *slog.Logger) (*incarnation, incarnationState, error) {
	f, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, incarnationState{}, fmt.Errorf("lock work directory: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			prev, _ := readIncarnation(dir)
			return nil, incarnationState{}, fmt.Errorf("%w: %s (pid %d)", errWorkDirInUse, dir, prev.PID)
		}
		return nil, incarnationState{}, fmt.Errorf("lock work directory: %w", err)
	}
	prev, err := readIncarnation(dir)
	if err != nil {
		log.Warn("state of the previous worker process unreadable: its tasks are left to the lease", "error", err)
	}
	return &incarnation{dir: dir, lock: f, log: log,
		state: incarnationState{PID: os.Getpid(), Groups: map[int64]int{}}}, prev, nil
}

func readIncarnation(dir string) (incarnationState, error) {
	var st incarnationState
	data, err := os.ReadFile(filepath.Join(dir, stateFile))
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(data, &st); err != nil {
		return incarnationState{}, fmt.Errorf("%s: %w", stateFile, err)
	}
	return st, nil
}

// release gives the work directory up (at the end of a graceful stop).
func (in *incarnation) release() {
	if in == nil {
		return
	}
	_ = in.lock.Close()
}

// update changes the state and writes it (atomically: a crash leaves the
// old file or the new one).
func (in *incarnation) update(change func(st *incarnationState)) {
	if in == nil {
		return
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	change(&in.state)
	data, err := json.Marshal(in.state)
	if err == nil {
		tmp := filepath.Join(in.dir, stateFile+".tmp")
		if err = os.WriteFile(tmp, data, 0o600); err == nil {
			err = os.Rename(tmp, filepath.Join(in.dir, stateFile))
		}
	}
	if err != nil {
		in.log.Warn("record the worker state: after a crash its tasks are left to the lease", "error", err)
	}
}

func (in *incarnation) setWorker(id, credential string) {
	in.update(func(st *incarnationState) { st.WorkerID, st.Credential = id, credential })
}

func (in *incarnation) addGroup(attemptID int64, pgid int) {
	in.update(func(st *incarnationState) { st.Groups[attemptID] = pgid })
}

func (in *incarnation) removeGroup(attemptID int64) {
	in.update(func(st *incarnationState) { delete(st.Groups, attemptID) })
}

// reapGroups makes sure the task process groups of a previous process are
// dead: it kills those still alive and waits for them, up to wait. It
// returns the groups it could not see die.
func reapGroups(prev incarnationState, wait time.Duration, log *slog.Logger) []int {
	var alive []int
	for attemptID, pgid := range prev.Groups {
		if !oldGroup(pgid, prev.PID) {
			continue
		}
		log.Warn("task of the previous worker process still running: killing it",
			"attempt_id", attemptID, "pgid", pgid)
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		alive = append(alive, pgid)
	}
	deadline := time.Now().Add(wait)
	for len(alive) > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
		alive = slicesDeleteDead(alive)
	}
	return alive
}

func slicesDeleteDead(groups []int) []int {
	var out []int
	for _, g := range groups {
		if groupAlive(g) {
			out = append(out, g)
		}
	}
	return out
}

// groupAlive says whether a process group has members that are not
// zombies (a zombie is dead; it waits for a parent, or an init that does
// not reap, to collect it).
func groupAlive(pgid int) bool {
	if pgid <= 1 || syscall.Kill(-pgid, 0) != nil {
		return false
	}
	if runtime.GOOS != "linux" {
		return true
	}
	procs, err := os.ReadDir("/proc")
	if err != nil {
		return true
	}
	for _, p := range procs {
		if p.Name()[0] < '0' || p.Name()[0] > '9' {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", p.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp ...: comm may hold spaces and parens.
		i := strings.LastIndexByte(string(stat), ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:]))
		if len(f) >= 3 && f[2] == strconv.Itoa(pgid) && f[0] != "Z" && f[0] != "X" {
			return true
		}
	}
	return false
}

// oldGroup says whether process group pgid is alive and is the group of a
// shim started by agent process oldPID, not a group that reused the
// number: its leader's command line names that agent, or the leader is
// gone (a group number is not reused while the group has members). Off
// Linux, without /proc, no group is claimed: the shims kill their group
// when the agent dies.
func oldGroup(pgid, oldPID int) bool {
	if !groupAlive(pgid) || runtime.GOOS != "linux" {
		return false
	}
	cmdline, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pgid), "cmdline"))
	if errors.Is(err, os.ErrNotExist) {
		return true
	}
	return err == nil && strings.Contains(string(cmdline), "\x00-ppid\x00"+strconv.Itoa(oldPID)+"\x00")
}
