package bench

import (
	"testing"
	"time"

	"github.com/baton-sched/baton/internal/worker"
)

// The stages of each attempt add up to its dispatch latency, and the tail
// is the slowest 1%: here the one attempt of 100 whose report waited.
func TestSplitOfAttributesTheTail(t *testing.T) {
	ms := int64(time.Millisecond)
	var rows []stampRow
	times := map[int64]*[4]int64{}
	for i := range int64(100) {
		ready := 1_000_000 + 10*i // ms
		wait := int64(1)          // queued → sent, ms
		if i == 42 {
			wait = 50
		}
		received, queued := ready+3, ready+4
		sent := queued + wait
		rows = append(rows, stampRow{id: i, ready: ready, dispatched: ready + 2, started: sent + 2})
		times[i] = &[4]int64{worker.StageReceived: received * ms, worker.StageStartQueued: queued * ms,
			worker.StageStartSent: sent * ms, worker.StageStartAnswered: (sent + 5) * ms}
	}
	rows = append(rows, stampRow{id: 1000, ready: 1, dispatched: 2, started: 9000}) // not traced: left out
	got := splitOf(rows, times)
	want := []StageSplit{
		{Stage: splitStages[0], P50: 2 * time.Millisecond, P99: 2 * time.Millisecond, TailMean: 2 * time.Millisecond},
		{Stage: splitStages[1], P50: time.Millisecond, P99: time.Millisecond, TailMean: time.Millisecond},
		{Stage: splitStages[2], P50: time.Millisecond, P99: time.Millisecond, TailMean: time.Millisecond},
		{Stage: splitStages[3], P50: time.Millisecond, P99: 50 * time.Millisecond, TailMean: 50 * time.Millisecond},
		{Stage: splitStages[4], P50: 2 * time.Millisecond, P99: 2 * time.Millisecond, TailMean: 2 * time.Millisecond},
		{Stage: splitStages[5], P50: 3 * time.Millisecond, P99: 3 * time.Millisecond, TailMean: 3 * time.Millisecond},
	}
	if len(got) != len(want) {
		t.Fatalf("split %+v, want %d stages", got, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("stage %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if splitOf(rows[100:], times) != nil {
		t.Error("a split of no traced attempt, want none")
	}
}
