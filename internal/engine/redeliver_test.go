package engine_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store"
)

// claimHolding claims as a worker that lists what it holds (held non-nil)
// or, held nil, as one that does not say (older than the field).
func (x *env) claimHolding(w store.Worker, max int, freeCU float64, held []int64) []engine.Assignment {
	x.t.Helper()
	as, err := x.e.Claim(x.ctx, engine.ClaimRequest{WorkerID: w.ID, Max: max, FreeCU: freeCU, Held: held})
	if err != nil {
		x.t.Fatalf("claim: %v", err)
	}
	return as
}

func ids(as []engine.Assignment) []int64 {
	out := make([]int64, len(as))
	for i, a := range as {
		out[i] = a.AttemptID
	}
	return out
}

// A claim whose answer was lost (the server killed after its commit): the
// worker's next claims that list what it holds get the same attempts
// again, first and within their room; started or held attempts never.
func TestClaimRedeliversAttemptsWhoseAnswerWasLost(t *testing.T) {
	cfg := engine.Config{LeaseTTL: time.Minute}
	eachStore(t, cfg, func(t *testing.T, x *env) {
		x.apply(`
name: three
params: {x: {default: "1"}}
tasks:
  - {name: a, run: "echo a ${{ params.x }}", env: {X: "${{ params.x }}"}}
  - {name: b, run: echo b}
  - {name: c, run: echo c}
`)
		run := x.start("three", nil)
		w := x.worker("a", 3)
		other := x.worker("b", 3)
		lostA := x.claimHolding(w, 1, 3, nil) // the answer never reaches the worker
		if len(lostA) != 1 {
			t.Fatalf("first claim: %d assignments, want 1", len(lostA))
		}
		// A worker that does not say what it holds gets new work only.
		lostB := x.claimHolding(w, 1, 3, nil)
		if len(lostB) != 1 || lostB[0].AttemptID == lostA[0].AttemptID {
			t.Fatalf("claim without held: %v, want one new attempt", ids(lostB))
		}
		// Another worker never gets them; nor does a claim without the room.
		if got := x.claimHolding(other, 1, 3, []int64{}); len(got) != 1 || got[0].Task != "c" {
			t.Fatalf("other worker's claim: %+v, want task c", got)
		}
		if got := x.claimHolding(w, 1, 0.5, []int64{}); len(got) != 0 {
			t.Fatalf("claim with 0.5 CU free: %v, want none", ids(got))
		}

		again := x.claimHolding(w, 1, 3, []int64{})
		if len(again) != 1 || !reflect.DeepEqual(again[0], lostA[0]) {
			t.Fatalf("claim holding nothing, max 1: %+v, want the lost %+v", again, lostA[0])
		}
		// Held attempts are not sent again; b is.
		again = x.claimHolding(w, 3, 3, []int64{lostA[0].AttemptID})
		if len(again) != 1 || !reflect.DeepEqual(again[0], lostB[0]) {
			t.Fatalf("claim holding a: %+v, want b's %+v", again, lostB[0])
		}
		// A started attempt is never sent again, even unlisted.
		x.report(w, engine.Report{AttemptID: lostA[0].AttemptID, Kind: engine.ReportStart})
		if got := x.claimHolding(w, 3, 3, []int64{lostB[0].AttemptID}); len(got) != 0 {
			t.Fatalf("claim after a started, holding b: %v, want none", ids(got))
		}

		for _, a := range []engine.Assignment{lostA[0], lostB[0]} {
			if r := x.finish(w, a, store.AttemptSucceeded, nil); r.Status != engine.Accepted {
				t.Fatalf("finish %s: %+v", a.Task, r)
			}
		}
		if x.runAll(other) != 0 {
			t.Fatal("work left to claim")
		}
		c := x.claimHolding(other, 1, 3, []int64{})
		if len(c) != 1 || c[0].Task != "c" {
			t.Fatalf("other worker's redelivery: %+v, want c", c)
		}
		if r := x.finish(other, c[0], store.AttemptSucceeded, nil); r.Status != engine.Accepted {
			t.Fatalf("finish c: %+v", r)
		}
		wantState(t, "run", x.run(run.ID).State, store.RunSucceeded)
		var as []store.Attempt
		err := x.s.Read(x.ctx, func(tx store.Tx) (err error) { as, err = tx.Attempts().ListRun(x.ctx, run.ID); return err })
		if err != nil {
			t.Fatal(err)
		}
		if len(as) != 3 {
			t.Fatalf("%d attempts, want one a task", len(as))
		}
		for _, a := range as {
			if a.Number != 1 || a.State != store.AttemptSucceeded {
				t.Errorf("attempt %d of %s: number %d, %s; want 1, succeeded", a.ID, a.Task, a.Number, a.State)
			}
		}
		if evs := x.events(run.ID, engine.EventRedelivered); len(evs) != 3 {
			t.Errorf("%d %s events, want 3 (a, b, c)", len(evs), engine.EventRedelivered)
		}
		if n := x.e.Count(engine.EventRedelivered); n != 3 {
			t.Errorf("%s counted %d, want 3", engine.EventRedelivered, n)
		}
		if evs := x.events(run.ID, "attempt.lost"); len(evs) != 0 {
			t.Errorf("attempt.lost events %+v, want none", evs)
		}
	})
}
