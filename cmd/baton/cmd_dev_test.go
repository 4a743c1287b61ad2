package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/config"
	"github.com/baton-sched/baton/internal/store"
)

// devProcess is `baton dev` running in the test, as the README starts it.
type devProcess struct {
	out    *syncBuffer
	url    string
	admin  string // the admin token dev wrote in its data directory
	cancel context.CancelFunc
	done   chan error
}

// startDev runs `baton dev` with o until the test ends (or stop).
func startDev(t *testing.T, o devOptions) *devProcess {
	t.Helper()
	cfg, err := config.Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Addr = "127.0.0.1:0"
	cfg.LogLevel = "error"
	ctx, cancel := context.WithCancel(context.Background())
	d := &devProcess{out: &syncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	go func() { d.done <- runDev(ctx, d.out, cfg, o) }()
	t.Cleanup(func() {
		if err := d.stop(); err != nil {
			t.Errorf("dev: %v", err)
		}
	})
	d.url = waitFor(t, d.out, regexp.MustCompile(`running at (http://\S+)`))
	admin, err := os.ReadFile(filepath.Join(o.dataDir, "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	d.admin = strings.TrimSpace(string(admin))
	return d
}

// stop interrupts dev and waits for it to end; later calls return nil.
func (d *devProcess) stop() error {
	d.cancel()
	err, ok := <-d.done
	if ok {
		close(d.done)
	}
	return err
}

// client is an API client of dev with its admin token.
func (d *devProcess) client(t *testing.T, opts ...client.Option) *client.Client {
	t.Helper()
	c, err := client.New([]string{d.url}, append([]client.Option{client.WithToken(d.admin)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestDevRunsTheExamples starts `baton dev` as the README's first command
// does, with real workers running real shell tasks, and checks the examples
// succeed: hello (started by --run), the 1 -> 50 -> 1 fan-out with outputs
// passed downstream, and the flaky task carried by retries.
func TestDevRunsTheExamples(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	d := startDev(t, devOptions{dataDir: dataDir, apply: []string{"../../examples"}, runs: []string{"hello"}, workers: 3})
	out, c := d.out, d.client(t) // the CLI's way: the admin token dev wrote
	if !strings.Contains(out.String(), "started run 1 of hello") {
		t.Fatalf("dev output lacks the --run start:\n%s", out)
	}
	// The one-time login link logs a browser in to the web UI.
	link := waitFor(t, out, regexp.MustCompile(`one-time login link \(10 minutes\): (\S+)`))
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if resp, err := noFollow.Get(link); err != nil || resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) != 1 {
		t.Errorf("login link %s: %v %v, want a 303 with the session cookie", link, resp, err)
	} else {
		resp.Body.Close()
	}
	waitSucceeded(t, c, 1)
	checkModes(t, map[string]os.FileMode{dataDir: 0o700, filepath.Join(dataDir, "baton.db"): 0o600,
		filepath.Join(dataDir, "work", "a", "attempts"): 0o700, filepath.Join(dataDir, "secret.key"): 0o600,
		filepath.Join(dataDir, "admin.token"): 0o600, filepath.Join(dataDir, "join.token"): 0o600})
	for _, name := range []string{"fanout", "retries"} {
		run, err := c.StartRun(context.Background(), name, client.StartRunRequest{})
		if err != nil {
			t.Fatal(err)
		}
		detail := waitSucceeded(t, c, run.ID)
		if name == "fanout" {
			zones := map[string]bool{}
			for _, task := range detail.Tasks {
				zones[task.LastAttempt.Zone] = true
			}
			if len(detail.Tasks) != 52 || len(zones) < 2 {
				t.Errorf("fanout: %d tasks over zones %v, want 52 over several zones", len(detail.Tasks), zones)
			}
			logs, err := c.Logs(context.Background(), run.ID, "gather", 0, 0)
			if err != nil || len(logs.Chunks) == 0 || !strings.Contains(logs.Chunks[0].Data, "gathered batch-") {
				t.Errorf("gather output %+v %v, want the batch output of split", logs, err)
			}
		}
	}
}

// checkModes checks the permission bits of files and directories.
func checkModes(t *testing.T, want map[string]os.FileMode) {
	t.Helper()
	for path, mode := range want {
		fi, err := os.Stat(path)
		if err != nil {
			t.Errorf("%v", err)
		} else if fi.Mode().Perm() != mode {
			t.Errorf("%s has mode %v, want %v", path, fi.Mode().Perm(), mode)
		}
	}
}

func waitFor(t *testing.T, out *syncBuffer, re *regexp.Regexp) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			return m[1]
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("dev never printed %v; output:\n%s", re, out)
	return ""
}

func waitSucceeded(t *testing.T, c *client.Client, id int64) client.RunDetail {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		r, err := c.Run(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if r.Terminal() {
			if r.State != "succeeded" {
				var why []string
				for _, task := range r.Tasks {
					if task.State != "succeeded" && task.LastAttempt != nil {
						why = append(why, fmt.Sprintf("%s: %s (%s: %s)", task.Name, task.State,
							task.LastAttempt.State, task.LastAttempt.Reason))
					}
				}
				t.Fatalf("run %d of %s ended %s: %s\n%s", id, r.Workflow, r.State, r.Reason, strings.Join(why, "\n"))
			}
			return r
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("run %d did not finish in time", id)
	return client.RunDetail{}
}

// TestDevSecondInterruptKillsTasks stops `baton dev` with a task running
// that ignores SIGTERM: the first interrupt says what it waits for, the
// second kills the task at once and reports it ended, well before the
// 30 s grace (and the kill grace after it) would have run out.
func TestDevSecondInterruptKillsTasks(t *testing.T) {
	defs := t.TempDir()
	def := "name: stuck\ntasks:\n  - name: hold\n    run: trap '' TERM; sleep 600\n"
	if err := os.WriteFile(filepath.Join(defs, "stuck.yaml"), []byte(def), 0o600); err != nil {
		t.Fatal(err)
	}
	again := make(chan os.Signal, 1)
	dataDir := filepath.Join(t.TempDir(), "data")
	d := startDev(t, devOptions{dataDir: dataDir, apply: []string{defs}, runs: []string{"stuck"}, workers: 1, again: again})
	out, c := d.out, d.client(t)
	deadline := time.Now().Add(30 * time.Second)
	for { // the attempt started: the worker holds it (a task is running from its dispatch on)
		r, err := c.Run(context.Background(), 1)
		if err == nil && len(r.Tasks) == 1 && r.Tasks[0].LastAttempt != nil && r.Tasks[0].LastAttempt.State == "running" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the task never started: %+v %v", r, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	stopped := make(chan error, 1)
	go func() { stopped <- d.stop() }()
	waitFor(t, out, regexp.MustCompile(`(waiting for 1 running task\(s\) to finish .* press Ctrl-C again)`))
	again <- os.Interrupt
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatalf("dev: %v", err)
		}
	case <-time.After(25 * time.Second): // the grace alone is 30 s
		t.Fatalf("the second interrupt did not stop dev:\n%s", out)
	}
	st, err := openStore(context.Background(), "sqlite:"+filepath.Join(dataDir, "baton.db"), false, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var attempts []store.Attempt
	err = st.Read(context.Background(), func(tx store.Tx) error {
		attempts, err = tx.Attempts().ListRun(context.Background(), 1)
		return err
	})
	if err != nil || len(attempts) != 1 || attempts[0].State == "running" || attempts[0].State == "dispatched" {
		t.Errorf("attempts after the second interrupt %+v %v, want the one attempt reported ended", attempts, err)
	}
}
