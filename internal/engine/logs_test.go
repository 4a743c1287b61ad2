package engine_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store"
)

// TestLogCapKeepsHeadAndTail: an attempt that writes far more than
// MaxLogBytes keeps its first half whole, a marker line, and its latest
// output; one event says so; output pushed after the attempt finished, or
// sent again, is bounded the same way.
func TestLogCapKeepsHeadAndTail(t *testing.T) {
	const maxBytes = 64 << 10
	eachStore(t, engine.Config{MaxLogBytes: maxBytes}, func(t *testing.T, x *env) {
		x.apply("name: noisy\ntasks:\n  - name: t\n    run: yes\n")
		run := x.start("noisy", nil)
		w := x.worker("a", 1)
		a := x.claimOne(w)
		seq := int64(0)
		send := func(chunks, size int) []store.NewLogChunk {
			var batch []store.NewLogChunk
			for range chunks {
				seq++
				line := fmt.Sprintf("line %06d ", seq)
				data := line + strings.Repeat("x", size-len(line)-1) + "\n"
				batch = append(batch, store.NewLogChunk{AttemptID: a.AttemptID, Seq: seq, Stream: "stdout", Data: data})
			}
			for i := 0; i < len(batch); i += 16 {
				fenced, err := x.e.AppendLogs(x.ctx, w.ID, batch[i:min(i+16, len(batch))])
				if err != nil || len(fenced) != 0 {
					t.Fatalf("append: %v %v", fenced, err)
				}
			}
			return batch
		}
		stored := func() (string, int64) {
			var chunks []store.LogChunk
			var st store.LogStats
			_ = x.s.Read(x.ctx, func(tx store.Tx) (err error) {
				if chunks, err = tx.Logs().List(x.ctx, a.AttemptID, 0, 1<<20); err != nil {
					return err
				}
				st, err = tx.Logs().Stats(x.ctx, a.AttemptID)
				return err
			})
			var b strings.Builder
			for _, c := range chunks {
				b.WriteString(c.Data)
			}
			return b.String(), st.Dropped
		}
		first := send(256, 4096) // 1 MiB
		out, dropped := stored()
		if len(out) > maxBytes+1024 || !strings.HasPrefix(out, first[0].Data) || !strings.HasSuffix(out, first[255].Data) ||
			strings.Count(out, "[baton] output dropped here") != 1 || dropped < (1<<20)-maxBytes {
			t.Fatalf("kept %d bytes (dropped %d): head %q... tail ...%q", len(out), dropped, out[:40], out[len(out)-40:])
		}
		if !strings.Contains(out, "line 000008 ") || strings.Contains(out, "line 000100 ") {
			t.Errorf("the head (first 32 KiB) is not whole, or the middle was kept")
		}
		// Less than the cap in all is kept whole, with no marker.
		x.apply("name: quiet\ntasks:\n  - name: t\n    run: yes\n")
		x.start("quiet", nil)
		b := x.claimOne(w)
		var small []store.NewLogChunk
		for i := range 12 { // 48 KiB: past half the cap, within it
			small = append(small, store.NewLogChunk{AttemptID: b.AttemptID, Seq: int64(i + 1), Stream: "stderr",
				Data: strings.Repeat("y", 4096)})
		}
		if _, err := x.e.AppendLogs(x.ctx, w.ID, small); err != nil {
			t.Fatal(err)
		}
		var kept []store.LogChunk
		_ = x.s.Read(x.ctx, func(tx store.Tx) (err error) {
			kept, err = tx.Logs().List(x.ctx, b.AttemptID, 0, 100)
			return err
		})
		if len(kept) != 12 || strings.Contains(kept[7].Data, "[baton]") {
			t.Errorf("a log within the cap: %d chunks kept, want all 12 untouched", len(kept))
		}
		send(0, 0)
		again := first[240:] // a resend of the last batch changes nothing
		if _, err := x.e.AppendLogs(x.ctx, w.ID, again); err != nil {
			t.Fatal(err)
		}
		if out2, _ := stored(); out2 != out {
			t.Errorf("a resent batch changed the log")
		}
		x.finish(w, a, store.AttemptSucceeded, nil)
		more := send(256, 4096) // pushed to a finished attempt
		out, _ = stored()
		if len(out) > maxBytes+1024 || !strings.HasPrefix(out, first[0].Data) || !strings.HasSuffix(out, more[255].Data) {
			t.Errorf("after pushing to the finished attempt: %d bytes kept", len(out))
		}
		if evs := x.events(run.ID, "attempt.log_truncated"); len(evs) != 1 || evs[0].AttemptID != a.AttemptID {
			t.Errorf("truncation events: %+v, want one", evs)
		}
	})
}
