package chaos_test

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// counter counts to 30, a step every 200 ms, keeping its count in
// $BATON_CHECKPOINT and writing each attempt's start and each step to
// the witness file.
func counter(witness string) string {
	script := fmt.Sprintf(`i=$(cat "$BATON_CHECKPOINT" 2>/dev/null || echo 0); `+
		`echo "attempt $BATON_ATTEMPT starts at $i" >> %[1]s; `+
		`while [ "$i" -lt 30 ]; do i=$((i+1)); echo "$i" > "$BATON_CHECKPOINT"; echo "step $i" >> %[1]s; sleep 0.2; done`,
		witness)
	return fmt.Sprintf("name: counter\ntasks:\n  - {name: count, run: %q}\n", script)
}

// TestCheckpointSurvivesWorkerKill: a task that checkpoints its progress
// is killed with its worker (SIGKILL) at step 10 or later; its next
// attempt, on another worker, starts from the last checkpoint uploaded,
// not from zero.
func TestCheckpointSurvivesWorkerKill(t *testing.T) {
	c := newCluster(t, 1, testTiming, "")
	witness := filepath.Join(t.TempDir(), "witness")
	apply(t, c, counter(witness))
	w1 := addWorker(t, c, "w1", "a", 4)
	run := startRuns(t, c, "counter", 1)[0]
	var saved int
	eventually(t, time.Minute, "a checkpoint of step 10 or later", func() bool {
		r, err := c.Client().Run(t.Context(), run)
		if err != nil || len(r.Tasks) != 1 {
			return false
		}
		data, _ := base64.StdEncoding.DecodeString(r.Tasks[0].Checkpoint)
		saved, _ = strconv.Atoi(strings.TrimSpace(string(data)))
		return saved >= 10
	})
	addWorker(t, c, "w2", "b", 4)
	if err := w1.Kill(); err != nil {
		t.Fatal(err)
	}
	wantSucceeded(t, waitRuns(t, c, []int64{run}, time.Minute))
	data, err := os.ReadFile(witness)
	if err != nil {
		t.Fatal(err)
	}
	starts := regexp.MustCompile(`(?m)^attempt (\d+) starts at (\d+)$`).FindAllStringSubmatch(string(data), -1)
	steps := strings.Count(string(data), "step ")
	if len(starts) != 2 || starts[0][2] != "0" {
		t.Fatalf("attempt starts %v, want two, the first from 0", starts)
	}
	from, _ := strconv.Atoi(starts[1][2])
	if from < saved || from >= 30 {
		t.Errorf("second attempt started at %d, want at least the checkpoint %d seen before the kill", from, saved)
	}
	// Starting over would take the first attempt's steps (at least saved)
	// plus thirty.
	if steps >= 30+saved {
		t.Errorf("%d steps in all: the second attempt started over", steps)
	}
	t.Logf("checkpoint %d seen before the kill; second attempt resumed at %d; %d steps in all", saved, from, steps)
}
