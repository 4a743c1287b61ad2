package engine_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/storetest"
)

// countingStore counts the write transactions a store begins.
type countingStore struct {
	store.Store
	txs atomic.Int64
}

func (c *countingStore) InTx(ctx context.Context, fn func(store.Tx) error) error {
	c.txs.Add(1)
	return c.Store.InTx(ctx, fn)
}

// wideWorkflow has n independent tasks.
func wideWorkflow(name string, n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "name: %s\ntasks:\n", name)
	for i := range n {
		fmt.Fprintf(&b, "  - {name: t%d, run: \"true\"}\n", i)
	}
	return b.String()
}

func limitError(t *testing.T, err error, limit string) {
	t.Helper()
	var le *engine.LimitError
	if !errors.As(err, &le) || le.Limit != limit || !strings.Contains(err.Error(), limit) {
		t.Fatalf("error %v, want one naming %s", err, limit)
	}
}

func TestLimitsRefuseLargeRequestsAndStoreNothing(t *testing.T) {
	cfg := engine.Config{Limits: engine.Limits{MaxTasksPerWorkflow: 5, MaxRunsPerBatch: 3}}
	eachStore(t, cfg, func(t *testing.T, x *env) {
		_, err := x.e.Apply(x.ctx, []engine.Source{{Filename: "wide.yaml", Text: []byte(wideWorkflow("wide", 6))}}, "user:test")
		limitError(t, err, "max_tasks_per_workflow")
		err = x.s.Read(x.ctx, func(tx store.Tx) error {
			_, err := tx.Workflows().Get(x.ctx, "wide")
			return err
		})
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("workflow over the limit: %v, want not stored", err)
		}

		x.apply(wideWorkflow("four", 4))
		_, err = x.e.StartRuns(x.ctx, make4("four", 4))
		limitError(t, err, "max_runs_per_batch")
		if n := x.runStates("four"); len(n) != 0 {
			t.Errorf("runs stored after the refusal: %v", n)
		}
		if _, err := x.e.StartRuns(x.ctx, make4("four", 3)); err != nil {
			t.Errorf("start of 3 runs: %v", err)
		}
	})
}

func make4(wf string, n int) []engine.StartRequest {
	reqs := make([]engine.StartRequest, n)
	for i := range reqs {
		reqs[i] = engine.StartRequest{Workflow: wf, Actor: "user:test", IdempotencyKey: fmt.Sprint("k", i)}
	}
	return reqs
}

// A start over max_rows_per_tx is split into transactions of whole runs,
// each under the bound, and creates every run.
func TestLargeStartIsSplitIntoBoundedTransactions(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s store.Store) {
		cs := &countingStore{Store: s}
		e := engine.New(cs, engine.Config{Limits: engine.Limits{MaxRowsPerTx: 10}})
		x := &env{t: t, ctx: context.Background(), e: e, s: s}
		x.apply(wideWorkflow("four", 4)) // 5 rows a run: 2 runs a transaction
		before := cs.txs.Load()
		reqs := make4("four", 5)
		reqs[4].IdempotencyKey = "k0" // the first run's key: found, not started again
		started, err := e.StartRuns(x.ctx, reqs)
		if err != nil {
			t.Fatal(err)
		}
		if txs := cs.txs.Load() - before; txs != 1+2 {
			t.Errorf("%d transactions, want 1 refused whole and 2 chunks", txs)
		}
		ids := map[int64]bool{}
		for i, st := range started {
			if len(x.tasks(st.Run.ID)) != 4 {
				t.Errorf("run %d of request %d has %d tasks, want 4", st.Run.ID, i, len(x.tasks(st.Run.ID)))
			}
			ids[st.Run.ID] = true
		}
		if len(started) != 5 || len(ids) != 4 || started[4].Run.ID != started[0].Run.ID || started[4].Created {
			t.Errorf("started %+v, want 4 runs with the repeated key's run found", started)
		}
	})
}
