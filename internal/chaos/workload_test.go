package chaos

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baton-sched/baton/client/vocab"
	"github.com/baton-sched/baton/internal/workflow"
)

// TestWithWitness: every task with a command runs it under the witness
// wrapper, which records the attempt and passes its exit code on; other
// tasks are left alone; the result is still a valid definition.
func TestWithWitness(t *testing.T) {
	src := `name: w
tasks:
  - name: a
    run: echo "${{ run.id }}"
    env: {X: "1"}
  - name: b
    noop: true
  - name: c
    needs: [a]
    run: exit 3
`
	witness := filepath.Join(t.TempDir(), "witness")
	out, err := withWitness([]byte(src), witness, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	def, err := workflow.Parse("w.yaml", out)
	if err != nil {
		t.Fatalf("wrapped definition does not parse: %v\n%s", err, out)
	}
	a, b, c := def.Tasks[0], def.Tasks[1], def.Tasks[2]
	if a.Env[witnessEnv] != `echo "${{ run.id }}"` || a.Env["X"] != "1" || !strings.Contains(a.Run, witness) {
		t.Errorf("task a: run %q, env %v", a.Run, a.Env)
	}
	if b.Kind != vocab.KindNoop || b.Run != "" || len(b.Env) != 0 {
		t.Errorf("noop task changed: %+v", b)
	}
	for _, tc := range []struct {
		attempt, command string
		code             int
	}{{"7", "sleep 0.2", 0}, {"8", "exit 3", 3}} {
		cmd := exec.Command("/bin/sh", "-c", c.Run)
		cmd.Env = append(os.Environ(), "BATON_RUN_ID=1", "BATON_TASK=c", "BATON_ATTEMPT_ID="+tc.attempt, witnessEnv+"="+tc.command)
		err := cmd.Run()
		if code := cmd.ProcessState.ExitCode(); code != tc.code {
			t.Errorf("%s: exit code %d (%v), want %d", tc.command, code, err, tc.code)
		}
	}
	w, err := ReadWitness(witness)
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Spans) != 2 || w.Spans[0].AttemptID != 7 || !w.Spans[0].Ended || w.Spans[0].Ticks < 2 ||
		w.Spans[1].AttemptID != 8 || w.Spans[1].Ended {
		t.Errorf("witness %+v, want attempt 7 ticking and ended, attempt 8 not ended", w.Spans)
	}
}
