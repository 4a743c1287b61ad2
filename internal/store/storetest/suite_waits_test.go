package storetest

import (
	"testing"
	"time"

	"github.com/baton-sched/baton/internal/store"
)

func TestWaitConditions(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		wf, v := newWorkflow(t, s, uniq("up"))
		dayStart := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC).UnixMilli()
		dayMs := (24 * time.Hour).Milliseconds()
		scheduled := func(at int64) func(*store.NewRun) { return func(r *store.NewRun) { r.ScheduledAt = at } }
		newRun(t, s, onVersion(wf, v), inState(store.RunSucceeded), scheduled(dayStart+time.Hour.Milliseconds()))
		newRun(t, s, onVersion(wf, v), inState(store.RunFailed), scheduled(dayStart+dayMs+time.Hour.Milliseconds()))
		byHand := newRun(t, s, onVersion(wf, v), inState(store.RunSucceeded)) // logical time: its creation
		now := time.Now().UnixMilli()
		hour := time.Hour.Milliseconds()
		base := int64(1_000_000_000) + seq.Add(1)*100 // attempt IDs no attempt has: their state reads ''
		waits := []store.NewWait{
			{Workflow: wf.Name, FromMs: dayStart, ToMs: dayStart + dayMs},           // its run succeeded that day
			{Workflow: wf.Name, FromMs: dayStart + dayMs, ToMs: dayStart + 2*dayMs}, // the next day's failed
			{Workflow: uniq("other"), FromMs: dayStart, ToMs: dayStart + dayMs},     // another workflow
			{Workflow: wf.Name, FromMs: now - hour, ToMs: now + hour},               // the run started by hand
			{UntilMs: now - hour}, // a time passed
			{UntilMs: now + hour}, // a time to come
			{HTTP: true},          // checked by the engine
		}
		want := map[int64]bool{base: true, base + 3: true, base + 4: true}
		do(t, s, func(tx store.Tx) error {
			for i, w := range waits {
				w.AttemptID, w.TaskID, w.RunID = base+int64(i), 1, 1
				w.IntervalMs, w.TimeoutMs = time.Minute.Milliseconds(), hour
				if err := tx.Waits().Insert(ctx, w); err != nil {
					return err
				}
			}
			return nil
		})
		due := get(t, s, func(tx store.Tx) ([]store.DueWait, error) { return tx.Waits().Due(ctx, 100) })
		mine := map[int64]store.DueWait{}
		for _, d := range due {
			if d.AttemptID >= base && d.AttemptID < base+100 {
				mine[d.AttemptID] = d
			}
		}
		if len(mine) != len(waits) {
			t.Fatalf("%d of the %d new waits due, want all: %+v", len(mine), len(waits), mine)
		}
		for id, d := range mine {
			if d.Met != want[id] || d.AttemptState != "" || d.Now < now || d.Deadline < now+hour-time.Minute.Milliseconds() {
				t.Errorf("wait %d: %+v, want met %v, no attempt, now and deadline an hour on", id-base, d, want[id])
			}
			if d.HTTP != (id == base+6) {
				t.Errorf("wait %d: http %v", id-base, d.HTTP)
			}
		}
		ids := make([]int64, 0, len(mine))
		for id := range mine {
			ids = append(ids, id)
		}
		if n := get(t, s, func(tx store.Tx) (int64, error) { return tx.Waits().Push(ctx, ids) }); n != int64(len(ids)) {
			t.Fatalf("pushed %d, want %d", n, len(ids))
		}
		if any := read(t, s, func(tx store.Tx) (bool, error) { return tx.Waits().AnyDue(ctx) }); any {
			t.Errorf("a wait is due right after all were pushed a minute on")
		}
		// The run started by hand "succeeds" again: the waits on its
		// workflow are due at once.
		if n := get(t, s, func(tx store.Tx) (int64, error) { return tx.Waits().Wake(ctx, byHand.ID) }); n != 3 {
			t.Errorf("woke %d waits, want the 3 on %s", n, wf.Name)
		}
		due = get(t, s, func(tx store.Tx) ([]store.DueWait, error) { return tx.Waits().Due(ctx, 100) })
		if len(due) != 3 {
			t.Errorf("%d waits due after the wake, want 3", len(due))
		}
		if n := get(t, s, func(tx store.Tx) (int64, error) { return tx.Waits().Delete(ctx, ids) }); n != int64(len(ids)) {
			t.Errorf("deleted %d, want %d", n, len(ids))
		}
		if n := read(t, s, func(tx store.Tx) (int64, error) { return tx.Waits().Count(ctx) }); n != 0 {
			t.Errorf("%d waits left, want 0", n)
		}
	})
}

// A wait past its deadline stays due after a push: its next check is its
// deadline, not an interval on.
func TestWaitPushStopsAtTheDeadline(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		id := int64(2_000_000_000) + seq.Add(1)
		do(t, s, func(tx store.Tx) error {
			return tx.Waits().Insert(ctx, store.NewWait{AttemptID: id, TaskID: 1, RunID: 1, UntilMs: 1,
				IntervalMs: time.Hour.Milliseconds(), TimeoutMs: -1})
		})
		do(t, s, func(tx store.Tx) error { _, err := tx.Waits().Push(ctx, []int64{id}); return err })
		due := get(t, s, func(tx store.Tx) ([]store.DueWait, error) { return tx.Waits().Due(ctx, 100) })
		if len(due) != 1 || due[0].AttemptID != id || due[0].Checks != 1 {
			t.Errorf("due %+v, want the wait, checked once, due at its deadline", due)
		}
	})
}

func TestPostgresConcurrentWaitChecksSkipLocked(t *testing.T) {
	t.Parallel()
	ForEach(t, func(t *testing.T, s store.Store) {
		if s.Dialect() != "postgres" {
			t.Skip("SQLite has one writer connection: its transactions never overlap")
		}
		ctx := t.Context()
		do(t, s, func(tx store.Tx) error {
			for i := range 4 {
				if err := tx.Waits().Insert(ctx, store.NewWait{AttemptID: int64(3_000_000_000 + i), TaskID: 1, RunID: 1,
					UntilMs: 1, IntervalMs: 1000, TimeoutMs: 60000}); err != nil {
					return err
				}
			}
			return nil
		})
		got := claimTogether(t, s, func(tx store.Tx) ([]int64, error) {
			ws, err := tx.Waits().Due(ctx, 2)
			ids := make([]int64, len(ws))
			for i, w := range ws {
				ids[i] = w.AttemptID
			}
			return ids, err
		})
		assertDisjoint(t, got, 2)
	})
}
