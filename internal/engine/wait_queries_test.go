package engine_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store"
)

// callCountingStore counts the transactions and the store calls (each one
// SQL statement, or none for an empty batch) made through it.
type callCountingStore struct {
	store.Store
	txs, calls atomic.Int64
}

func (c *callCountingStore) InTx(ctx context.Context, fn func(store.Tx) error) error {
	return c.Store.InTx(ctx, func(tx store.Tx) error {
		c.txs.Add(1)
		return fn(callCountingTx{tx, &c.calls})
	})
}

func (c *callCountingStore) Read(ctx context.Context, fn func(store.Tx) error) error {
	return c.Store.Read(ctx, func(tx store.Tx) error {
		c.txs.Add(1)
		return fn(callCountingTx{tx, &c.calls})
	})
}

func (c *callCountingStore) reset() { c.txs.Store(0); c.calls.Store(0) }

// callCountingTx counts a call for each table a transaction asks for: the
// engine asks for the table of each statement it makes.
type callCountingTx struct {
	store.Tx
	n *atomic.Int64
}

func (t callCountingTx) Workflows() store.Workflows { t.n.Add(1); return t.Tx.Workflows() }
func (t callCountingTx) Runs() store.Runs           { t.n.Add(1); return t.Tx.Runs() }
func (t callCountingTx) Tasks() store.Tasks         { t.n.Add(1); return t.Tx.Tasks() }
func (t callCountingTx) Attempts() store.Attempts   { t.n.Add(1); return t.Tx.Attempts() }
func (t callCountingTx) Workers() store.Workers     { t.n.Add(1); return t.Tx.Workers() }
func (t callCountingTx) Events() store.Events       { t.n.Add(1); return t.Tx.Events() }
func (t callCountingTx) Logs() store.Logs           { t.n.Add(1); return t.Tx.Logs() }
func (t callCountingTx) Zones() store.Zones         { t.n.Add(1); return t.Tx.Zones() }
func (t callCountingTx) Leaders() store.Leaders     { t.n.Add(1); return t.Tx.Leaders() }
func (t callCountingTx) Marks() store.Marks         { t.n.Add(1); return t.Tx.Marks() }
func (t callCountingTx) Schedules() store.Schedules { t.n.Add(1); return t.Tx.Schedules() }
func (t callCountingTx) Alerts() store.Alerts       { t.n.Add(1); return t.Tx.Alerts() }
func (t callCountingTx) Slots() store.Slots         { t.n.Add(1); return t.Tx.Slots() }
func (t callCountingTx) Stats() store.Stats         { t.n.Add(1); return t.Tx.Stats() }
func (t callCountingTx) Secrets() store.Secrets     { t.n.Add(1); return t.Tx.Secrets() }
func (t callCountingTx) Tokens() store.Tokens       { t.n.Add(1); return t.Tx.Tokens() }
func (t callCountingTx) Servers() store.Servers     { t.n.Add(1); return t.Tx.Servers() }
func (t callCountingTx) Users() store.Users         { t.n.Add(1); return t.Tx.Users() }
func (t callCountingTx) Retention() store.Retention { t.n.Add(1); return t.Tx.Retention() }
func (t callCountingTx) Waits() store.Waits         { t.n.Add(1); return t.Tx.Waits() }

// sensors is a workflow of n wait tasks, half on another workflow's run,
// half on a time, none of which holds within the test.
func sensors(name string, n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "name: %s\ntasks:\n", name)
	for i := range n {
		if i%2 == 0 {
			fmt.Fprintf(&b, "  - {name: w%d, wait: {workflow: load-orders, interval: 1s, timeout: 1h}}\n", i)
		} else {
			fmt.Fprintf(&b, "  - {name: w%d, wait: {until: \"2999-01-01T00:00:00Z\", interval: 1s, timeout: 1h}}\n", i)
		}
	}
	return b.String()
}

// A check of due waits costs the same transactions and statements for 10
// waits as for 1000: every condition of the batch is evaluated by the
// query that takes them, and they are pushed on in one statement.
func TestWaitChecksCostNoQueryPerWait(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		cs := &callCountingStore{Store: x.s}
		counted := engine.New(cs, engine.Config{})
		x.apply(loadOrders)
		measure := func(n int) (txs, calls int64, took time.Duration) {
			name := fmt.Sprintf("sensors-%d", n)
			x.apply(sensors(name, n))
			run := x.start(name, nil)
			if got := x.startWaits(); got != n {
				t.Fatalf("started %d waits, want %d", got, n)
			}
			// The first check is due at once; the next, one interval on.
			for i := range 2 {
				if i == 1 {
					waitDue(x, n)
				}
				cs.reset()
				start := time.Now()
				res, err := counted.CheckWaits(x.ctx, engine.WaitCheck{})
				took = time.Since(start)
				if err != nil {
					t.Fatal(err)
				}
				if res.Due != n || res.Pushed != n {
					t.Fatalf("check %d of %d waits: %+v, want all due and pushed on", i, n, res)
				}
			}
			txs, calls = cs.txs.Load(), cs.calls.Load()
			if err := x.e.CancelRun(x.ctx, run.ID, "user:test", ""); err != nil {
				t.Fatal(err)
			}
			// The cancelled waits' rows go at their next check.
			x.checkUntil("the cancelled waits' rows to go", engine.WaitCheck{}, func() bool { return x.waitCount() == 0 })
			return txs, calls, took
		}
		txs10, calls10, _ := measure(10)
		txs1000, calls1000, took := measure(1000)
		t.Logf("%s: a check of 1000 due waits: %d transaction(s), %d store calls, %s (10 waits: %d, %d)",
			x.s.Dialect(), txs1000, calls1000, took, txs10, calls10)
		// A read (any due?), then one transaction: take them with their
		// conditions, push them on, (delete none), (insert no event).
		if txs1000 != 2 || calls1000 > 5 || txs1000 != txs10 || calls1000 != calls10 {
			t.Errorf("1000 waits cost %d transactions and %d store calls, 10 waits %d and %d; want two "+
				"and at most 5 calls for both", txs1000, calls1000, txs10, calls10)
		}
	})
}

// waitDue polls, with a deadline, until n waits are due (by the
// database clock, which tests do not control), checking none.
func waitDue(x *env, n int) {
	x.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var due int
		err := x.s.Read(x.ctx, func(tx store.Tx) error {
			ws, err := tx.Waits().Due(x.ctx, int64(n+1))
			due = len(ws)
			return err
		})
		if err != nil {
			x.t.Fatalf("due waits: %v", err)
		}
		if due >= n {
			return
		}
		if time.Now().After(deadline) {
			x.t.Fatalf("%d of %d waits due after 15 s", due, n)
		}
		time.Sleep(50 * time.Millisecond) // poll interval, not a wait for an event
	}
}
