package main

import (
	"bufio"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/baton-sched/baton/client"
)

func TestLogsPrintsStoredOutput(t *testing.T) {
	f := newCLIFixture(t)
	f.apply(map[string]string{"hello": helloDef, "stranded": strandedDef})
	f.startWorker("w1", "zone-a")
	f.mustRun("run", "hello", "--wait")

	want := "out of greet\nattempt 1\n"
	if r := f.mustRun("logs", "1", "greet"); r.stdout != want {
		t.Errorf("logs printed %q, want %q", r.stdout, want)
	}
	if r := f.mustRun("logs", "1", "greet", "--attempt", "1"); r.stdout != want {
		t.Errorf("logs --attempt 1 printed %q, want %q", r.stdout, want)
	}
	if r := f.mustRun("logs", "1", "greet", "-f"); r.stdout != want {
		t.Errorf("logs -f of a finished task printed %q, want %q", r.stdout, want)
	}

	r := f.mustRun("logs", "1", "done", "-o", "json")
	sc := bufio.NewScanner(strings.NewReader(r.stdout))
	var chunks []client.LogChunk
	for sc.Scan() {
		var ch client.LogChunk
		if err := json.Unmarshal(sc.Bytes(), &ch); err != nil {
			t.Fatalf("logs -o json line %q: %v", sc.Text(), err)
		}
		chunks = append(chunks, ch)
	}
	if len(chunks) != 2 || chunks[0].Data != "out of done\n" || chunks[1].Stream != "stderr" {
		t.Errorf("logs -o json: %+v", chunks)
	}

	f.mustRun("run", "stranded")
	if r := f.mustRun("logs", "2", "wait"); r.stdout != "" || !strings.Contains(r.stderr, "not started") {
		t.Errorf("logs of a task not started: %q %q", r.stdout, r.stderr)
	}
	for _, args := range [][]string{{"logs", "1", "nope"}, {"logs", "1", "greet", "--attempt", "5"}, {"logs", "x", "greet"}} {
		if r := f.run(args...); r.err == nil {
			t.Errorf("baton %s succeeded: %q", strings.Join(args, " "), r.stdout)
		}
	}
}

func TestLogsFollowWaitsForTheTask(t *testing.T) {
	f := newCLIFixture(t)
	f.apply(map[string]string{"hello": helloDef})
	f.mustRun("run", "hello")

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	followed := make(chan cliResult, 1)
	go func() { followed <- f.runContext(ctx, "logs", "1", "done", "--follow") }()

	// The task has not started: -f waits until a worker runs it.
	f.startWorker("late", "zone-b")
	r := <-followed
	if r.err != nil || r.stdout != "out of done\nattempt 1\n" {
		t.Errorf("logs -f: %v, printed %q", r.err, r.stdout)
	}
}

const flakyDef = `name: flaky
tasks:
  - name: shaky
    run: flaky thing
    retry: {strategy: fixed, max_attempts: 3, delay: 50ms}
`

func TestLogsFollowMovesOnToTheRetry(t *testing.T) {
	f := newCLIFixture(t)
	f.apply(map[string]string{"flaky": flakyDef})
	f.mustRun("run", "flaky")

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	followed := make(chan cliResult, 1)
	go func() { followed <- f.runContext(ctx, "logs", "1", "shaky", "-f") }()
	f.startWorker("w1", "zone-a")

	r := <-followed
	want := "out of shaky\nattempt 1\nout of shaky\nattempt 2\n"
	if r.err != nil || r.stdout != want || !strings.Contains(r.stderr, "--- attempt 2 ---") {
		t.Errorf("logs -f over a retry: %v, printed %q (stderr %q), want %q", r.err, r.stdout, r.stderr, want)
	}
	if r := f.mustRun("logs", "1", "shaky", "--attempt", "1", "-f"); r.stdout != "out of shaky\nattempt 1\n" {
		t.Errorf("logs --attempt 1 -f printed %q", r.stdout)
	}
	if r := f.mustRun("run", "show", "1"); !strings.Contains(lineWith(r.stdout, "shaky"), "succeeded   2") {
		t.Errorf("run show of a retried task:\n%s", r.stdout)
	}
}
