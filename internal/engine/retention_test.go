package engine_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/storetest"
)

const day = 24 * time.Hour

// age moves the finish (and start) of every finished run back by d, as if
// they had finished that long ago.
func (x *env) age(d time.Duration) {
	x.t.Helper()
	ms := d.Milliseconds()
	storetest.Exec(x.t, x.s, fmt.Sprintf(`UPDATE runs SET finished_at = finished_at - %d, created_at = created_at - %d
		WHERE finished_at > 0`, ms, ms))
}

// rules returns the retention age of each workflow by name.
func (x *env) rules(def time.Duration) map[string]time.Duration {
	x.t.Helper()
	rs, err := x.e.RetentionRules(x.ctx, def)
	if err != nil {
		x.t.Fatal(err)
	}
	names := map[int64]string{}
	for _, n := range []string{"plain", "short", "forever"} {
		err := x.s.Read(x.ctx, func(tx store.Tx) error {
			w, err := tx.Workflows().Get(x.ctx, n)
			names[w.ID] = n
			return err
		})
		if err != nil {
			x.t.Fatal(err)
		}
	}
	out := map[string]time.Duration{}
	for _, r := range rs {
		out[names[r.WorkflowID]] = r.Age
	}
	return out
}

// expire deletes, batch by batch, what the rules say expired, as the
// servers' loop does, and sums what went.
func (x *env) expire(def time.Duration, batch int) (store.RetentionDeleted, int) {
	x.t.Helper()
	rs, err := x.e.RetentionRules(x.ctx, def)
	if err != nil {
		x.t.Fatal(err)
	}
	var sum store.RetentionDeleted
	kept := 0
	for _, r := range rs {
		after := engine.RetentionCursor{}
		for {
			b, err := x.e.DeleteExpiredRuns(x.ctx, r.WorkflowID, r.Age, after, batch)
			if err != nil {
				x.t.Fatal(err)
			}
			if b.Examined > batch {
				x.t.Fatalf("a batch of %d examined %d runs", batch, b.Examined)
			}
			sum.Runs += b.Deleted.Runs
			sum.Tasks += b.Deleted.Tasks
			sum.Attempts += b.Deleted.Attempts
			sum.Events += b.Deleted.Events
			sum.Logs += b.Deleted.Logs
			kept += b.Kept
			if b.Examined < batch {
				break
			}
			after = b.Next
		}
	}
	return sum, kept
}

func (x *env) exists(id int64) bool {
	x.t.Helper()
	err := x.s.Read(x.ctx, func(tx store.Tx) error { _, err := tx.Runs().Get(x.ctx, id); return err })
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		x.t.Fatal(err)
	}
	return err == nil
}

const (
	plainWorkflow   = "name: plain\ntasks: [{name: a, run: a}, {name: b, run: b, needs: [a]}]\n"
	shortWorkflow   = "name: short\nretention: 1d\ntasks: [{name: a, run: a}]\n"
	foreverWorkflow = "name: forever\nretention: 0\ntasks: [{name: a, run: a}]\n"
)

func TestRetentionRulesFollowTheLatestDefinition(t *testing.T) {
	t.Parallel()
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply(plainWorkflow)
		x.apply(shortWorkflow)
		x.apply(foreverWorkflow)
		want := map[string]time.Duration{"plain": 30 * day, "short": day, "forever": 0}
		if got := x.rules(30 * day); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("rules %v, want %v", got, want)
		}
		// A new version without the key goes back to the servers' setting.
		x.apply("name: short\ntasks: [{name: a, run: a}]\n")
		if got := x.rules(0)["short"]; got != 0 {
			t.Errorf("short without retention, servers keeping forever: %v, want 0", got)
		}
	})
}

func TestDeleteExpiredRuns(t *testing.T) {
	t.Parallel()
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply(plainWorkflow)
		x.apply(shortWorkflow)
		x.apply(foreverWorkflow)
		w := x.worker("a", 100)
		var plain, short, forever []int64
		for range 3 {
			plain = append(plain, x.start("plain", nil).ID)
			short = append(short, x.start("short", nil).ID)
			forever = append(forever, x.start("forever", nil).ID)
		}
		x.runAll(w)
		x.age(10 * day)
		active := x.start("plain", nil).ID // started long ago, still running
		storetest.Exec(t, x.s, fmt.Sprintf("UPDATE runs SET created_at = created_at - %d WHERE id = %d",
			(20*day).Milliseconds(), active))
		young := x.start("short", nil).ID
		x.runAll(w)

		// Servers keep 30 days: only short's (1 day) old runs go (with
		// their event rows; rows that also name other runs stay).
		got, _ := x.expire(30*day, 2)
		if got.Runs != 3 || got.Tasks != 3 || got.Attempts != 3 || got.Events == 0 {
			t.Errorf("deleted %+v, want the 3 old runs of short", got)
		}
		for _, id := range short {
			if x.exists(id) {
				t.Errorf("run %d of short, finished 10 days ago, kept 1 day: still there", id)
			}
		}
		if !x.exists(young) {
			t.Errorf("young run %d of short deleted", young)
		}
		// Servers keep 5 days: plain's old runs go too, not the active
		// one; forever keeps its own.
		x.expire(5*day, 2)
		for _, id := range plain {
			if x.exists(id) {
				t.Errorf("run %d of plain still there", id)
			}
		}
		for _, id := range append(forever, active, young) {
			if !x.exists(id) {
				t.Errorf("run %d deleted; it is active, young or kept forever", id)
			}
		}
		if n := storetest.RunRows(t, x.s, 0, -1); n != 0 {
			t.Errorf("%d rows of deleted runs left", n)
		}
	})
}

func TestDeleteExpiredRunsWithSubWorkflows(t *testing.T) {
	t.Parallel()
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		// The child workflow keeps its runs forever; they go with their
		// parent's age all the same.
		x.apply(childWorkflow + "retention: 0\n")
		x.apply(parentWorkflow + "retention: 1d\n")
		w := x.worker("a", 100)
		done := x.start("parent", nil)
		x.playAll(w)
		doneChild := x.child()
		busy := x.start("parent", nil)
		x.play(w) // prepare
		x.startSubs()
		var busyChild store.Run
		err := x.s.Read(x.ctx, func(tx store.Tx) error {
			cs, err := tx.Runs().Children(x.ctx, busy.ID)
			if err == nil && len(cs) != 1 {
				err = fmt.Errorf("%d child runs, want 1", len(cs))
			}
			if err == nil {
				busyChild = cs[0]
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		// The busy parent ended (as if by hand) while its child runs.
		storetest.Exec(t, x.s, fmt.Sprintf("UPDATE runs SET state = 'failed', finished_at = created_at + 1 WHERE id = %d", busy.ID))
		x.age(10 * day)

		_, kept := x.expire(0, 10)
		if kept != 1 {
			t.Errorf("kept %d runs for their active child, want 1", kept)
		}
		if x.exists(done.ID) || x.exists(doneChild.ID) {
			t.Errorf("finished parent %d or its child %d still there", done.ID, doneChild.ID)
		}
		if !x.exists(busy.ID) || !x.exists(busyChild.ID) {
			t.Errorf("parent %d with an active child %d deleted", busy.ID, busyChild.ID)
		}
	})
}

// TestDeleteExpiredRunsRacesReruns reruns expired failed runs while
// retention deletes them: each run ends either deleted whole or rerun
// whole, never half of each. A rerun that loses the race fails (the run is
// gone, or changed meanwhile); on PostgreSQL the two may also deadlock
// (the rerun locks tasks before the run, retention the run before its
// tasks), which the store resolves by running one again.
func TestDeleteExpiredRunsRacesReruns(t *testing.T) {
	t.Parallel()
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply(plainWorkflow)
		w := x.worker("a", 100)
		var ids []int64
		for range 8 {
			ids = append(ids, x.start("plain", nil).ID)
		}
		x.play(w, "a")
		x.age(40 * day)
		wfID := x.run(ids[0]).WorkflowID
		rerun := map[int64]bool{}
		var wg sync.WaitGroup
		wg.Go(func() {
			for _, id := range ids {
				_, err := x.e.RecoverRun(x.ctx, id, engine.Recovery{Failed: true, Actor: "user:test"})
				switch {
				case err == nil:
					rerun[id] = true
				case !errors.Is(err, engine.ErrNotFound) && !errors.Is(err, store.ErrConflict):
					t.Errorf("rerun %d: %v", id, err)
				}
			}
		})
		for range len(ids) {
			if _, err := x.e.DeleteExpiredRuns(x.ctx, wfID, 30*day, engine.RetentionCursor{}, 1); err != nil {
				t.Error(err)
			}
		}
		wg.Wait()
		for _, id := range ids {
			if rerun[id] {
				if r := x.run(id); r.State != store.RunRunning || len(x.tasks(id)) != 2 {
					t.Errorf("rerun run %d: %s with %d tasks, want running with both", id, r.State, len(x.tasks(id)))
				}
			} else if x.exists(id) {
				t.Errorf("run %d neither rerun nor deleted", id)
			}
		}
	})
}
