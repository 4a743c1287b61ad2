package main

import (
	"bufio"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/spf13/cobra"

	"github.com/baton-sched/baton/client"
)

func TestWorkersAndEvents(t *testing.T) {
	f := newCLIFixture(t)
	f.apply(map[string]string{"hello": helloDef})
	wid := f.startWorker("w1", "zone-a")
	f.mustRun("run", "hello", "--wait")

	r := f.mustRun("workers")
	if !strings.Contains(r.stdout, "LAST SEEN") {
		t.Errorf("workers header: %q", r.stdout)
	}
	if fields := strings.Fields(lineWith(r.stdout, wid)); len(fields) < 7 ||
		fields[1] != "w1" || fields[2] != "zone-a" || fields[3] != "default" || fields[4] != "active" || fields[5] != "100" {
		t.Errorf("workers row: %q", r.stdout)
	}

	r = f.mustRun("events", "--run", "1")
	if !strings.Contains(r.stdout, "STATE") || !strings.Contains(r.stdout, "run.succeeded") ||
		!strings.Contains(r.stdout, "running→succeeded") {
		t.Errorf("events --run 1:\n%s", r.stdout)
	}
	r = f.mustRun("events", "--run", "1", "--kind", "run.succeeded", "-o", "json")
	var evs []client.Event
	if err := json.Unmarshal([]byte(r.stdout), &evs); err != nil || len(evs) != 1 || evs[0].RunID != 1 {
		t.Errorf("events --kind -o json: %v %q", err, r.stdout)
	}
	r = f.mustRun("events", "--limit", "2", "-o", "json")
	if err := json.Unmarshal([]byte(r.stdout), &evs); err != nil || len(evs) != 2 {
		t.Errorf("events --limit 2: %v %q", err, r.stdout)
	}

	// -f with --run ends once the run has finished; -o json streams lines.
	r = f.mustRun("events", "--run", "1", "-f", "-o", "json")
	sc := bufio.NewScanner(strings.NewReader(r.stdout))
	n := 0
	for sc.Scan() {
		if !json.Valid(sc.Bytes()) {
			t.Errorf("events -f -o json line %q", sc.Text())
		}
		n++
	}
	if n < 5 {
		t.Errorf("events -f printed %d events", n)
	}
}

func TestEventsFollowPrintsNewEvents(t *testing.T) {
	f := newCLIFixture(t)
	f.apply(map[string]string{"hello": helloDef})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		root := newRoot()
		root.SetOut(out)
		root.SetErr(out)
		root.SetArgs([]string{"--server", f.url, "--token", f.token, "events", "-f", "--kind", "run.running"})
		done <- root.ExecuteContext(ctx)
	}()
	f.mustRun("run", "hello")
	eventually(t, "events -f to print the new run", func() bool { return strings.Contains(out.String(), "run.running") })
	cancel()
	if err := <-done; err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Errorf("events -f after cancel: %v", err)
	}
}

func TestJSONOutputIsValid(t *testing.T) {
	f := newCLIFixture(t)
	dir := writeFiles(t, map[string]string{"hello.yaml": helloDef})
	f.startWorker("w1", "zone-a")
	for _, args := range [][]string{
		{"apply", "-f", dir},
		{"run", "hello", "--wait"},
		{"run", "show", "1"},
		{"runs"},
		{"workers", "--all"},
		{"workflows"},
		{"workflow", "show", "hello"},
		{"events"},
		{"zones"},
		{"zone", "cordon", "zone-a"},
		{"zone", "drain", "zone-a"},
		{"cancel", "1"}, // fails: finished
	} {
		r := f.run(append(args, "-o", "json")...)
		if r.err == nil && !json.Valid([]byte(r.stdout)) {
			t.Errorf("baton %s -o json printed invalid JSON: %q", strings.Join(args, " "), r.stdout)
		}
		if r.err != nil && args[0] != "cancel" {
			t.Errorf("baton %s -o json: %v", strings.Join(args, " "), r.err)
		}
	}
}

func TestEveryClientCommandHasShortAndExample(t *testing.T) {
	var check func(prefix string, cmds []*cobra.Command)
	check = func(prefix string, cmds []*cobra.Command) {
		for _, c := range cmds {
			if c.Short == "" || c.Example == "" {
				t.Errorf("%s%s lacks a Short or an Example", prefix, c.Name())
			}
			check(prefix+c.Name()+" ", c.Commands())
		}
	}
	check("baton ", clientCommands(&globals{}))
}

// lineWith returns the first line of s containing sub.
func lineWith(s, sub string) string {
	for line := range strings.Lines(s) {
		if strings.Contains(line, sub) {
			return line
		}
	}
	return ""
}

// syncBuffer is a buffer safe for one goroutine writing while another
// reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
