package worker

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// procSpec says how to start a task's process under the shim.
type procSpec struct {
	Shim  []string // the command that runs the shim
	Args  []string // the program the shim runs, and its arguments
	Dir   string
	Env   []string
	Lease time.Duration // how long the lease is valid from now; 0 for none
}

// process is a task's process group: the shim (its leader) and everything
// the task started. The caller must read Output to EOF (or close it) and
// call wait once.
type process struct {
	cmd    *exec.Cmd
	pgid   int
	ctl    *os.File // write end of the control pipe
	status *os.File // read end of the status pipe

	// Output is the read end of the task's output pipe. Standard output
	// and standard error share it, as with 2>&1: two pipes read by two
	// readers cannot tell in which order lines were written.
	Output *os.File

	mu        sync.Mutex
	reaped    bool
	killTimer *time.Timer
}

// exitResult is how a task's process ended.
type exitResult struct {
	Code         int            // exit code as a shell reports it: 128+n for signal n
	Signal       syscall.Signal // the signal that killed the task, if one did
	LeaseExpired bool           // the shim killed the group for lack of a lease
	ShimError    string         // the shim could not run the task
}

// reason describes the end in words, e.g. "exit status 3".
func (r exitResult) reason() string {
	switch {
	case r.ShimError != "":
		return r.ShimError
	case r.Signal != 0:
		return "killed by signal " + strconv.Itoa(int(r.Signal))
	default:
		return "exit status " + strconv.Itoa(r.Code)
	}
}

// startProcess starts the shim as the leader of a new process group, with
// the parent-death signal set, and the control and status pipes as fd 3
// and 4.
func startProcess(spec procSpec) (p *process, err error) {
	var closeOnErr []*os.File
	defer func() {
		if err != nil {
			for _, f := range closeOnErr {
				_ = f.Close()
			}
		}
	}()
	pipe := func() (r, w *os.File, err error) {
		r, w, err = os.Pipe()
		if err == nil {
			closeOnErr = append(closeOnErr, r, w)
		}
		return r, w, err
	}
	ctlR, ctlW, err := pipe()
	if err != nil {
		return nil, fmt.Errorf("control pipe: %w", err)
	}
	stR, stW, err := pipe()
	if err != nil {
		return nil, fmt.Errorf("status pipe: %w", err)
	}
	outR, outW, err := pipe()
	if err != nil {
		return nil, fmt.Errorf("output pipe: %w", err)
	}
	args := append(slices.Clone(spec.Shim[1:]),
		"-ppid", strconv.Itoa(os.Getpid()), "-lease", spec.Lease.String(), "--")
	cmd := exec.Command(spec.Shim[0], append(args, spec.Args...)...)
	cmd.Dir, cmd.Env = spec.Dir, spec.Env
	cmd.Stdout, cmd.Stderr = outW, outW
	cmd.ExtraFiles = []*os.File{ctlR, stW} // fd 3 and 4
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: shimPdeathsig}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start task shim: %w", err)
	}
	for _, f := range []*os.File{ctlR, stW, outW} {
		_ = f.Close() // the shim holds its own copies
	}
	return &process{cmd: cmd, pgid: cmd.Process.Pid, ctl: ctlW, status: stR, Output: outR}, nil
}

// PID is the shim's PID, which is also the group's ID.
func (p *process) PID() int { return p.pgid }

// renew tells the shim the lease is valid for d more. It never blocks for
// long: a shim that does not read is hung or stopped.
func (p *process) renew(d time.Duration) error {
	if d <= 0 {
		return nil
	}
	_ = p.ctl.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	_, err := fmt.Fprintf(p.ctl, "lease %d\n", d.Milliseconds())
	return err
}

// signal sends sig to the whole group, unless the shim was reaped already
// (its PID may then be reused).
func (p *process) signal(sig syscall.Signal) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.reaped {
		_ = syscall.Kill(-p.pgid, sig)
	}
}

// terminate asks the group to stop with SIGTERM and kills it with SIGKILL
// after grace.
func (p *process) terminate(grace time.Duration) {
	p.signal(syscall.SIGTERM)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.killTimer == nil && !p.reaped {
		p.killTimer = time.AfterFunc(grace, p.kill)
	}
}

// kill kills the whole group at once.
func (p *process) kill() { p.signal(syscall.SIGKILL) }

// wait waits for the shim to exit, kills anything left in its group,
// closes the control pipe (the shim is gone) and says how the task ended.
func (p *process) wait() exitResult {
	_ = p.cmd.Wait()
	p.mu.Lock()
	// Anything still in the group outlived a shim killed on its own: the
	// group ID cannot be reused while a member exists, so this is safe.
	_ = syscall.Kill(-p.pgid, syscall.SIGKILL)
	p.reaped = true
	if p.killTimer != nil {
		p.killTimer.Stop()
	}
	p.mu.Unlock()
	_ = p.ctl.Close()

	var res exitResult
	if ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		res.Signal = ws.Signal()
		res.Code = 128 + int(ws.Signal())
	} else {
		res.Code = p.cmd.ProcessState.ExitCode()
	}
	// The shim wrote its status before it exited; nobody else holds the
	// pipe, but never wait long for it.
	_ = p.status.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	data, err := io.ReadAll(p.status)
	if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
		res.ShimError = "read task shim status: " + err.Error()
	}
	_ = p.status.Close()
	for _, line := range strings.Split(string(data), "\n") {
		verb, arg, _ := strings.Cut(line, " ")
		switch verb {
		case "signal":
			if n, err := strconv.Atoi(arg); err == nil {
				res.Signal = syscall.Signal(n)
			}
		case "lease-expired":
			res.LeaseExpired = true
		case "error":
			res.ShimError = arg
		}
	}
	return res
}

// pump copies r to write until EOF or until r is closed.
func pump(r io.Reader, write func([]byte)) {
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			write(buf[:n])
		}
		if err != nil {
			return
		}
	}
}

// taskEnv builds a task's environment: the worker's own, then the
// assignment's, then Baton's variables, later ones winning.
func taskEnv(base []string, layers ...map[string]string) []string {
	idx := make(map[string]int, len(base))
	out := make([]string, 0, len(base)+8)
	set := func(k, v string) {
		if k == "" || strings.ContainsAny(k, "=\x00") {
			return // not a variable name the kernel can pass
		}
		kv := k + "=" + v
		if i, ok := idx[k]; ok {
			out[i] = kv
			return
		}
		idx[k] = len(out)
		out = append(out, kv)
	}
	for _, kv := range base {
		if k, v, ok := strings.Cut(kv, "="); ok {
			set(k, v)
		}
	}
	for _, layer := range layers {
		keys := make([]string, 0, len(layer))
		for k := range layer {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			set(k, layer[k])
		}
	}
	return out
}
