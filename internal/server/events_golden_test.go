package server_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/storetest"
)

var updateGolden = flag.Bool("update-golden", false, "rewrite testdata/*.golden")

const goldenFlow = `name: golden
tasks:
  - name: a
    run: echo a
  - name: b
    needs: [a]
    run: echo b
    retry: {strategy: fixed, max_attempts: 2, delay: 0s}
  - name: c
    needs: [b]
    run: echo c
  - name: notify
    needs: [b]
    run: echo notify
    trigger_rule: one_failed
`

// TestEventHistoryGolden runs a fixed workflow through the API on every
// store (one run with a retry and a skipped task, one that fails with an
// upstream_failed task, one cancelled) and compares its audit trail, as
// the events API lists it in every order and page size, with a golden
// file. Only what varies by nature is normalised: IDs become ordinals in
// the order listed and times become "same as the previous" or "later".
func TestEventHistoryGolden(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s, engine.Config{})
		if _, err := f.c.Apply(f.ctx, []client.SourceFile{{Filename: "golden.yaml", Content: goldenFlow}}); err != nil {
			t.Fatalf("apply: %v", err)
		}
		reg, err := f.c.Register(f.ctx, client.RegisterRequest{Name: "w1", Zone: "a", Capacity: 4})
		if err != nil {
			t.Fatalf("register: %v", err)
		}
		wid := reg.Worker.ID
		// work claims one task at a time and ends it as fail says, until
		// nothing is claimable.
		work := func(fail func(task string, attempt int) bool) {
			tries := map[string]int{}
			for {
				as, err := f.c.Claim(f.ctx, wid, client.ClaimRequest{Max: 1, FreeCU: 4})
				if err != nil {
					t.Fatalf("claim: %v", err)
				}
				if len(as) == 0 {
					return
				}
				a := as[0]
				state := "succeeded"
				tries[a.Task]++
				if fail(a.Task, tries[a.Task]) {
					state = "failed"
				}
				if _, err := f.c.Report(f.ctx, wid, []client.Report{{AttemptID: a.AttemptID, Kind: "start"}}); err != nil {
					t.Fatalf("report start: %v", err)
				}
				if _, err := f.c.Report(f.ctx, wid, []client.Report{{AttemptID: a.AttemptID, Kind: "finish", State: state}}); err != nil {
					t.Fatalf("report finish: %v", err)
				}
			}
		}
		// Run 1: b fails once and succeeds on its retry; notify is skipped.
		r1, err := f.c.StartRun(f.ctx, "golden", client.StartRunRequest{})
		if err != nil {
			t.Fatalf("start: %v", err)
		}
		work(func(task string, attempt int) bool { return task == "b" && attempt == 1 })
		// Run 2: b fails for good; c ends upstream_failed, notify runs.
		r2, err := f.c.StartRun(f.ctx, "golden", client.StartRunRequest{})
		if err != nil {
			t.Fatalf("start: %v", err)
		}
		work(func(task string, _ int) bool { return task == "b" })
		// Run 3: cancelled while a is running.
		r3, err := f.c.StartRun(f.ctx, "golden", client.StartRunRequest{})
		if err != nil {
			t.Fatalf("start: %v", err)
		}
		as, err := f.c.Claim(f.ctx, wid, client.ClaimRequest{Max: 1, FreeCU: 4})
		if err != nil || len(as) != 1 {
			t.Fatalf("claim: %+v %v", as, err)
		}
		if _, err := f.c.Report(f.ctx, wid, []client.Report{{AttemptID: as[0].AttemptID, Kind: "start"}}); err != nil {
			t.Fatalf("report start: %v", err)
		}
		if _, err := f.c.CancelRun(f.ctx, r3.ID, "golden cancel"); err != nil {
			t.Fatalf("cancel: %v", err)
		}
		if _, err := f.c.Report(f.ctx, wid, []client.Report{{AttemptID: as[0].AttemptID, Kind: "finish", State: "cancelled"}}); err != nil {
			t.Fatalf("report finish: %v", err)
		}

		var b strings.Builder
		for _, r := range []client.Run{r1, r2, r3} {
			all := readEvents(t, f, client.EventFilter{RunID: r.ID, Limit: 1000}, false)
			fmt.Fprintf(&b, "== run %d, oldest first\n%s", r.ID-r1.ID+1, renderEvents(all, r1.ID))
			// Paged in small pages both ways, the same events in the same order.
			for _, lim := range []int{1, 2, 3} {
				asc := readEvents(t, f, client.EventFilter{RunID: r.ID, Limit: lim}, false)
				if got, want := renderEvents(asc, r1.ID), renderEvents(all, r1.ID); got != want {
					t.Errorf("run %d, pages of %d oldest first:\n%s\nwant\n%s", r.ID, lim, got, want)
				}
				desc := readEvents(t, f, client.EventFilter{RunID: r.ID, Limit: lim, Newest: true}, true)
				if got, want := renderEvents(reversed(desc), r1.ID), renderEvents(all, r1.ID); got != want {
					t.Errorf("run %d, pages of %d newest first:\n%s\nwant\n%s", r.ID, lim, got, want)
				}
			}
		}
		// By kind across runs, and everything the runs did in the global list.
		for _, kind := range []string{"task.failed", "attempt.failed", "task.skipped", "run.cancelled", "task.running"} {
			evs := readEvents(t, f, client.EventFilter{Kind: kind, Limit: 2}, false)
			fmt.Fprintf(&b, "== kind %s\n%s", kind, renderEvents(evs, r1.ID))
			desc := readEvents(t, f, client.EventFilter{Kind: kind, Limit: 2, Newest: true}, true)
			if got, want := renderEvents(reversed(desc), r1.ID), renderEvents(evs, r1.ID); got != want {
				t.Errorf("kind %s newest first:\n%s\nwant\n%s", kind, got, want)
			}
		}
		var global []client.Event
		for _, e := range readEvents(t, f, client.EventFilter{Limit: 4}, false) {
			if e.RunID != 0 {
				global = append(global, e)
			}
		}
		fmt.Fprintf(&b, "== all run events\n%s", renderEvents(global, r1.ID))
		actor := readEvents(t, f, client.EventFilter{Actor: "worker:" + wid, Limit: 5}, false)
		fmt.Fprintf(&b, "== actor worker\n%s", renderEvents(actor, r1.ID))

		// After an event: the rest, as following does.
		mid := global[len(global)/2]
		after := readEvents(t, f, client.EventFilter{After: mid.ID, Limit: 1000}, false)
		var afterRun []client.Event
		for _, e := range after {
			if e.RunID != 0 {
				afterRun = append(afterRun, e)
			}
		}
		if got, want := renderEvents(afterRun, r1.ID), renderEvents(global[len(global)/2+1:], r1.ID); got != want {
			t.Errorf("after %d:\n%s\nwant\n%s", mid.ID, got, want)
		}
		compareGolden(t, "events_history.golden", b.String())
	})
}

// readEvents reads every event f selects, page by page as the CLI does
// (after the last ID oldest first, before it newest first).
func readEvents(t *testing.T, f *fixture, ef client.EventFilter, newest bool) []client.Event {
	t.Helper()
	var out []client.Event
	for range 1000 {
		page, err := f.c.Events(f.ctx, ef)
		if err != nil {
			t.Fatalf("events %+v: %v", ef, err)
		}
		out = append(out, page.Items...)
		if page.Next == "" || len(page.Items) == 0 {
			return out
		}
		if newest {
			ef.Before = page.Items[len(page.Items)-1].ID
		} else {
			ef.After = page.Items[len(page.Items)-1].ID
		}
	}
	t.Fatalf("events %+v: too many pages", ef)
	return nil
}

func reversed(evs []client.Event) []client.Event {
	out := make([]client.Event, len(evs))
	for i, e := range evs {
		out[len(evs)-1-i] = e
	}
	return out
}

// renderEvents prints events as lines of every field but the ID, which
// must increase, and the time, which must not go back (transactions may
// share a millisecond); runs are numbered from 1, attempts by first sight
// and the worker, whose ID is random, is W.
func renderEvents(evs []client.Event, firstRun int64) string {
	var b strings.Builder
	attempts := map[int64]int{}
	var lastID int64
	var lastAt time.Time
	for i, e := range evs {
		order := ""
		if i > 0 && e.ID <= lastID {
			order += " ID-NOT-INCREASING"
		}
		if i > 0 && e.At.Before(lastAt) {
			order += " TIME-GOES-BACK"
		}
		lastID, lastAt = e.ID, e.At
		run := int64(0)
		if e.RunID != 0 {
			run = e.RunID - firstRun + 1
		}
		att := 0
		if e.AttemptID != 0 {
			if _, ok := attempts[e.AttemptID]; !ok {
				attempts[e.AttemptID] = len(attempts) + 1
			}
			att = attempts[e.AttemptID]
		}
		actor := e.Actor
		if strings.HasPrefix(actor, "worker:") {
			actor = "worker:W"
		}
		fmt.Fprintf(&b, "%s actor=%s run=%d task=%s attempt=%d worker=%t zone=%s %s->%s reason=%q%s\n",
			e.Kind, actor, run, e.Task, att, e.WorkerID != "", e.Zone, e.OldState, e.NewState, e.Reason, order)
	}
	return b.String()
}

func compareGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *updateGolden {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run with -update-golden to write it): %v", err)
	}
	if got != string(want) {
		t.Errorf("event history differs from %s:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
