package engine_test

import (
	"testing"

	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store"
)

// startAt starts workflow wf at run priority p.
func (x *env) startAt(wf string, p int64) store.Run {
	x.t.Helper()
	st, err := x.e.StartRun(x.ctx, engine.StartRequest{Workflow: wf, Priority: p, Actor: "user:test"})
	if err != nil {
		x.t.Fatalf("start %s: %v", wf, err)
	}
	return st.Run
}

// Two workers claim at once, one task each, while twenty older runs of
// priority 0 and two of priority 10 wait: both take a priority 10 task.
// A claim locks only what it takes, so the claim beside it does not skip
// past the urgent tasks to older ones.
func TestClaimsAtOnceKeepPlacementOrder(t *testing.T) {
	eachStore(t, engine.Config{MaxWriteTx: 4}, func(t *testing.T, x *env) {
		if x.s.Dialect() == "sqlite" {
			t.Skip("SQLite has one writer: claims never overlap")
		}
		x.apply("name: one\ntasks:\n  - {name: t, run: x}\n")
		for range 20 {
			x.startAt("one", 0)
		}
		urgent := map[int64]bool{x.startAt("one", 10).ID: true, x.startAt("one", 10).ID: true}
		a1, a2 := x.named("a1", "a", 1, nil), x.named("a2", "a", 1, nil)
		var beside engine.Assignment
		nested := false
		x.e.OnClaimLocked(func() {
			if nested {
				return
			}
			nested = true
			beside = x.claimOne(a2) // while a1's claim holds its locks
		})
		first := x.claimOne(a1)
		if !urgent[first.RunID] || !urgent[beside.RunID] || first.RunID == beside.RunID {
			t.Errorf("claims at once took runs %d and %d, want the two urgent runs %v", first.RunID, beside.RunID, urgent)
		}
	})
}

// A claim whose first candidates it cannot take (too large for its free
// capacity, their slot full) reads further and fills up with the tasks
// behind them.
func TestClaimReadsPastTasksItCannotTake(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.setSlot("db", 1)
		x.apply("name: big\ntasks:\n  - {name: big, run: x, cu: 3}\n")
		x.apply("name: slotted\ntasks:\n  - {name: a, run: x, slot: db}\n  - {name: b, run: x, slot: db}\n")
		x.apply("name: small\ntasks:\n  - {name: small, run: x}\n")
		x.startAt("big", 20)
		x.startAt("slotted", 10)
		small := x.startAt("small", 0)
		w := x.named("a1", "a", 2, nil)
		got := x.claim(w, 2)
		names := taskNames(got)
		if len(got) != 2 || names[0] != "a" || names[1] != "small" || got[1].RunID != small.ID {
			t.Fatalf("claim took %v, want a (db's one place) and small", names)
		}
		if as := x.claim(w, 2); len(as) != 0 {
			t.Errorf("second claim took %v, want nothing: big needs 3 CU, db is full", taskNames(as))
		}
	})
}

// Slots are locked in name order over both passes of a claim: a slot met
// only in the second pass that sorts before one the first pass locked is
// left to the next claim, which takes its task.
func TestClaimLocksSlotsInNameOrder(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.setSlot("b", 1)
		x.setSlot("a", 1)
		x.apply("name: inb\ntasks:\n  - {name: b1, run: x, slot: b}\n  - {name: b2, run: x, slot: b}\n")
		x.apply("name: ina\ntasks:\n  - {name: a1, run: x, slot: a}\n")
		x.startAt("inb", 10)
		x.startAt("ina", 0)
		w := x.named("w", "a", 10, nil)
		if got := taskNames(x.claim(w, 2)); len(got) != 1 || got[0] != "b1" {
			t.Fatalf("first claim took %v, want b1 alone", got)
		}
		if got := taskNames(x.claim(w, 2)); len(got) != 1 || got[0] != "a1" {
			t.Fatalf("second claim took %v, want a1", got)
		}
	})
}
