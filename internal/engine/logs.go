package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"unicode/utf8"

	"github.com/baton-sched/baton/internal/store"
)

// AppendLogs stores output chunks of a worker's attempts. Output of an
// attempt that finished normally is still taken (the last lines may arrive
// after the finish report), but output of an attempt that was superseded
// (lost, fenced, cancelled) or is not this worker's is refused: those
// attempt IDs are returned, and the worker must kill them.
//
// What is kept of an attempt is bounded by MaxLogBytes, however much is
// sent and whenever: its head and its tail (see capLogs).
func (e *Engine) AppendLogs(ctx context.Context, workerID string, chunks []store.NewLogChunk) ([]int64, error) {
	var fenced []int64
	err := e.inTx(ctx, "worker:"+workerID, func(o *op) error {
		fenced = fenced[:0]
		var order []int64
		byAttempt := map[int64][]store.NewLogChunk{}
		for _, c := range chunks {
			if _, seen := byAttempt[c.AttemptID]; !seen {
				order = append(order, c.AttemptID)
			}
			byAttempt[c.AttemptID] = append(byAttempt[c.AttemptID], c)
		}
		var keep []store.NewLogChunk
		var capped []cappedLog
		for _, id := range order {
			a, err := o.Attempts().Get(o.ctx, id)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			if err != nil || a.WorkerID != workerID || superseded(a.State) {
				fenced = append(fenced, id)
				continue
			}
			kept, st, err := o.capLogs(byAttempt[id])
			if err != nil {
				return err
			}
			keep = append(keep, kept...)
			capped = append(capped, cappedLog{a: a, st: st})
		}
		if err := o.Logs().Insert(o.ctx, keep); err != nil {
			return err
		}
		for _, c := range capped {
			if err := o.trimLogs(c.a, c.st); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("append logs of worker %s: %w", workerID, err)
	}
	return fenced, nil
}

// cappedLog is an attempt whose new chunks capLogs kept.
type cappedLog struct {
	a  store.Attempt
	st *store.LogStats
}

// logCaps splits MaxLogBytes into the most the head holds and the most
// head and tail hold together.
func (o *op) logCaps() (head, total int64) {
	return o.e.cfg.MaxLogBytes / 2, o.e.cfg.MaxLogBytes
}

// capLogs decides which new chunks of an attempt are stored. The head
// takes chunks while they fit in half the cap; every later chunk joins
// the tail, whose oldest chunks trimLogs drops once head and tail pass the
// cap. A chunk stored already (sent again) or older than the tail kept is
// left out; a chunk too large for its part is cut.
func (o *op) capLogs(cs []store.NewLogChunk) ([]store.NewLogChunk, *store.LogStats, error) {
	if len(cs) == 0 {
		return nil, nil, nil
	}
	slices.SortFunc(cs, func(x, y store.NewLogChunk) int { return cmp.Compare(x.Seq, y.Seq) })
	cs = slices.CompactFunc(cs, func(x, y store.NewLogChunk) bool { return x.Seq == y.Seq })
	st, err := o.Logs().Stats(o.ctx, cs[0].AttemptID)
	if err != nil {
		return nil, nil, err
	}
	if cs[0].Seq <= st.LastSeq {
		stored, err := o.Logs().Stored(o.ctx, st.AttemptID, cs[0].Seq, cs[len(cs)-1].Seq)
		if err != nil {
			return nil, nil, err
		}
		cs = slices.DeleteFunc(cs, func(c store.NewLogChunk) bool { return slices.Contains(stored, c.Seq) })
	}
	headCap, total := o.logCaps()
	var keep []store.NewLogChunk
	for _, c := range cs {
		size := int64(len(c.Data))
		st.LastSeq = max(st.LastSeq, c.Seq)
		switch {
		case st.TailFrom == 0 && st.HeadBytes+size <= headCap:
			st.HeadBytes += size
			st.HeadSeq = c.Seq
		case st.TailFrom == 0 && st.HeadSeq == 0: // a first chunk larger than the head
			n := runeCut(c.Data, int(headCap))
			st.Dropped += size - int64(n)
			c.Data = c.Data[:n]
			st.HeadBytes, st.HeadSeq, st.TailFrom = int64(n), c.Seq, c.Seq+1
		case c.Seq <= st.HeadSeq || (st.TailFrom > 0 && c.Seq < st.TailFrom): // too late for its place
			st.Dropped += size
			continue
		default: // the tail
			if st.TailFrom == 0 {
				st.TailFrom = c.Seq
			}
			if room := total - st.HeadBytes; size > room {
				from := len(c.Data) - int(room)
				for from < len(c.Data) && !utf8.RuneStart(c.Data[from]) {
					from++
				}
				st.Dropped += int64(from)
				c.Data = c.Data[from:]
			}
			st.TailBytes += int64(len(c.Data))
		}
		c.Size = int64(len(c.Data))
		keep = append(keep, c)
	}
	return keep, &st, nil
}

// trimLogs drops the oldest chunks of the tail until head and tail fit
// the cap, records the attempt's stats and, the first time output is
// dropped, ends the head with a marker line and records one event.
func (o *op) trimLogs(a store.Attempt, st *store.LogStats) error {
	if st == nil {
		return nil
	}
	prior, err := o.Logs().Stats(o.ctx, a.ID)
	if err != nil {
		return err
	}
	_, total := o.logCaps()
	for st.HeadBytes+st.TailBytes > total {
		sizes, err := o.Logs().Sizes(o.ctx, a.ID, st.TailFrom-1, 64)
		if err != nil {
			return err
		}
		if len(sizes) == 0 {
			break
		}
		upto, removed := int64(0), int64(0)
		for _, s := range sizes {
			if st.HeadBytes+st.TailBytes-removed <= total {
				break
			}
			upto, removed = s.Seq, removed+s.Size
		}
		if err := o.Logs().Delete(o.ctx, a.ID, st.TailFrom, upto); err != nil {
			return err
		}
		st.TailFrom, st.TailBytes, st.Dropped = upto+1, st.TailBytes-removed, st.Dropped+removed
	}
	if prior.Dropped == 0 && st.Dropped > 0 {
		headCap, _ := o.logCaps()
		marker := fmt.Sprintf("\n[baton] output dropped here: this attempt wrote more than max_log_bytes (%s); "+
			"its first %s and its latest output are kept\n", byteSize(total), byteSize(st.HeadBytes))
		if err := o.Logs().AppendText(o.ctx, a.ID, st.HeadSeq, marker); err != nil {
			return err
		}
		st.HeadBytes += int64(len(marker))
		o.record(store.NewEvent{Kind: "attempt.log_truncated", RunID: a.RunID, TaskID: a.TaskID, Task: a.Task,
			AttemptID: a.ID, WorkerID: a.WorkerID, Zone: a.Zone, Reason: fmt.Sprintf(
				"output past max_log_bytes (%s): the first %s and the latest output are kept, the middle is dropped",
				byteSize(total), byteSize(headCap))})
	}
	return o.Logs().PutStats(o.ctx, *st)
}

// runeCut returns the largest n' <= n that does not split a UTF-8
// sequence of s.
func runeCut(s string, n int) int {
	if n >= len(s) {
		return len(s)
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return max(n, 0)
}

// byteSize writes n as "10 MiB", "64 KiB" or "100 bytes".
func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

func superseded(attemptState string) bool {
	return attemptState == store.AttemptLost || attemptState == store.AttemptFenced ||
		attemptState == store.AttemptCancelled
}
