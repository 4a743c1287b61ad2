package worker

import (
	"testing"
)

// TestAgentMasksSecrets: a task that prints its secret and writes it to
// its outputs and its failure shows *** in every one of them.
func TestAgentMasksSecrets(t *testing.T) {
	x := newAgentTest(t, nil)
	asg := x.assignment(1, `echo "token is $TOKEN"; echo "$TOKEN" >&2; echo "out=$TOKEN" > "$BATON_OUTPUT"`)
	asg.Env["TOKEN"], asg.Mask = "s3cr3t-t0ken", []string{"s3cr3t-t0ken"}
	x.fake.enqueue(asg)
	fin := x.fake.waitReport(t, 1, "finish")
	if out := x.fake.output(1, "stdout"); out != "token is ***\n***\n" {
		t.Errorf("output %q, want the secret masked on both streams", out)
	}
	if fin.State != "succeeded" || fin.Outputs["out"] != "***" {
		t.Errorf("finish %+v", fin.Report)
	}
}

func TestMaskerHoldback(t *testing.T) {
	m := newMasker([]string{"abcdef", "xyz"})
	for in, want := range map[string]int{"...abc": 3, "...x": 1, "...xy": 2, "...abcdef": 0, "...": 0, "abcdeX": 0} {
		if got := m.holdback([]byte(in)); got != want {
			t.Errorf("holdback(%q) = %d, want %d", in, got, want)
		}
	}
	if newMasker(nil) != nil || newMasker([]string{""}) != nil {
		t.Error("a masker with nothing to mask")
	}
}
