package worker

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// A task writing 10 MB of outputs fails with a reason naming the limit;
// it does not stay running.
func TestAgentFailsTaskWithHugeOutputs(t *testing.T) {
	x := newAgentTest(t, nil)
	x.fake.enqueue(x.assignment(101,
		`i=0; while [ $i -lt 100 ]; do head -c 100000 /dev/zero | tr '\0' x | sed "s/^/k$i=/"; echo; i=$((i+1)); done > "$BATON_OUTPUT"`))
	start := time.Now()
	fin := x.fake.waitReport(t, 101, "finish")
	if fin.State != "failed" || !strings.Contains(fin.Reason, "larger than the limit of 262144 bytes (max_output_bytes)") ||
		fin.Outputs != nil {
		t.Errorf("finish report %+v, want failed for outputs over the limit", fin.Report)
	}
	if out := x.fake.output(101, "stderr"); !strings.Contains(out, "max_output_bytes") {
		t.Errorf("stderr = %q, want the reason", out)
	}
	t.Logf("finished %v after it was queued", time.Since(start))
}

// A finish report the servers refuse as too large (413) is sent again
// without outputs, failed with a reason; the batch it was in is split, and
// the other reports get through as they were.
func TestAgentResendsTooLargeFinishReport(t *testing.T) {
	x := newScriptedAgentTest(t, func(f *fakeServer) { f.maxReportBody = 32 << 10 },
		func(c *Config) { c.MaxOutputBytes = 1 << 20 })
	x.fake.set(func(f *fakeServer) { f.reportGate = make(chan struct{}) })
	x.fake.enqueue(x.assignment(101, `head -c 100000 /dev/zero | tr '\0' y | sed 's/^/big=/' > "$BATON_OUTPUT"`),
		x.assignment(102, `echo small=1 > "$BATON_OUTPUT"`))
	waitFor(t, 10*time.Second, "both finish reports queued", func() bool { return x.a.reports.pending() >= 3 })
	x.fake.set(func(f *fakeServer) { close(f.reportGate); f.reportGate = nil })
	fin := x.fake.waitReport(t, 101, "finish")
	if fin.State != "failed" || !strings.Contains(fin.Reason, "outputs exceeded the servers' size limit") || fin.Outputs != nil {
		t.Errorf("finish report %+v, want failed without outputs", fin.Report)
	}
	small := x.fake.waitReport(t, 102, "finish")
	if small.State != "succeeded" || small.Outputs["small"] != "1" {
		t.Errorf("finish report %+v, want succeeded with its output", small.Report)
	}
	if n := get(x.fake, func(f *fakeServer) int { return f.tooLarge }); n == 0 {
		t.Error("the servers never answered 413: the test did not test anything")
	}
	for _, r := range x.fake.reportsOf(101) {
		if r.Status != http.StatusOK {
			t.Errorf("report %+v not accepted", r)
		}
	}
}
