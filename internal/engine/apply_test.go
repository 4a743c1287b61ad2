package engine_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store"
)

func TestApplyVersions(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		v1 := x.apply(chain)
		if !v1.Changed || v1.Version.Version != 1 {
			t.Fatalf("first apply: %+v", v1)
		}
		if again := x.apply(chain); again.Changed || again.Version.ID != v1.Version.ID {
			t.Errorf("re-applying the same definition made a new version: %+v", again)
		}
		old := x.start("chain", nil)
		v2 := x.apply(strings.Replace(chain, "echo c", "echo C", 1))
		if !v2.Changed || v2.Version.Version != 2 {
			t.Fatalf("changed apply: %+v", v2)
		}
		if r := x.run(old.ID); r.Version != 1 {
			t.Errorf("existing run moved to version %d", r.Version)
		}
		if r := x.start("chain", nil); r.Version != 2 {
			t.Errorf("new run on version %d, want 2", r.Version)
		}
	})
}

func TestApplyIsAllOrNothing(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		good := engine.Source{Filename: "good.yaml", Text: []byte(chain)}
		cyclic := engine.Source{Filename: "bad.yaml", Text: []byte(`
name: cyclic
tasks:
  - {name: a, run: x, needs: [c]}
  - {name: b, run: x, needs: [a]}
  - {name: c, run: x, needs: [b]}
`)}
		_, err := x.e.Apply(x.ctx, []engine.Source{good, cyclic}, "user:test")
		if !isInvalid(err) || !strings.Contains(err.Error(), "cycle") || !strings.Contains(err.Error(), "bad.yaml") {
			t.Fatalf("apply with a cycle: %v", err)
		}
		err = x.s.Read(x.ctx, func(tx store.Tx) error {
			wfs, err := tx.Workflows().List(x.ctx, "", 10)
			if len(wfs) != 0 {
				t.Errorf("stored %d workflows from a refused apply", len(wfs))
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		_, err = x.e.Apply(x.ctx, []engine.Source{good, {Filename: "dup.yaml", Text: []byte(chain)}}, "user:test")
		if !isInvalid(err) || !strings.Contains(err.Error(), "also defined in good.yaml") {
			t.Errorf("two files, one workflow: %v", err)
		}
	})
}

func TestStartRun(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply(`
name: p
params:
  who: {}
tasks:
  - {name: t, run: "echo ${{ params.who }}"}
`)
		if _, err := x.e.StartRun(x.ctx, engine.StartRequest{Workflow: "p"}); !isInvalid(err) ||
			!strings.Contains(err.Error(), "params.who") {
			t.Errorf("missing param: %v", err)
		}
		if _, err := x.e.StartRun(x.ctx, engine.StartRequest{Workflow: "nope"}); !errors.Is(err, engine.ErrNotFound) {
			t.Errorf("unknown workflow: %v", err)
		}
		req := engine.StartRequest{Workflow: "p", Params: map[string]string{"who": "me"}, IdempotencyKey: "k1"}
		first, err := x.e.StartRun(x.ctx, req)
		if err != nil || !first.Created {
			t.Fatalf("first start: %+v %v", first, err)
		}
		again, err := x.e.StartRun(x.ctx, req)
		if err != nil || again.Created || again.Run.ID != first.Run.ID {
			t.Errorf("repeated key: %+v %v, want run %d again", again, err, first.Run.ID)
		}
		var n int
		_ = x.s.Read(x.ctx, func(tx store.Tx) error {
			rs, err := tx.Runs().List(x.ctx, store.RunFilter{Limit: 10})
			n = len(rs)
			return err
		})
		if n != 1 {
			t.Errorf("runs stored: %d, want 1", n)
		}
	})
}

func isGone(err error) bool { return errors.Is(err, engine.ErrWorkerGone) }

func TestStartRunsInOneBatch(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply("name: p\nparams:\n  n: {}\ntasks:\n  - name: t\n    run: echo ${{ params.n }}\n")
		req := func(key, n string) engine.StartRequest {
			return engine.StartRequest{Workflow: "p", IdempotencyKey: key, Params: map[string]string{"n": n}, Actor: "user:test"}
		}
		if _, err := x.e.StartRun(x.ctx, req("k1", "1")); err != nil {
			t.Fatal(err)
		}
		out, err := x.e.StartRuns(x.ctx, []engine.StartRequest{req("k1", "1"), req("", "2"), req("k3", "3"), req("k3", "3")})
		if err != nil {
			t.Fatal(err)
		}
		if out[0].Created || !out[1].Created || !out[2].Created || out[3].Created || out[3].Run.ID != out[2].Run.ID {
			t.Errorf("created flags %v %v %v %v, want an existing key found, new runs made once", out[0].Created,
				out[1].Created, out[2].Created, out[3].Created)
		}
		if out[1].Run.Params != `{"n":"2"}` || out[2].Run.IdempotencyKey != "k3" {
			t.Errorf("runs %+v %+v", out[1].Run, out[2].Run)
		}
		// One bad request refuses the whole batch, naming it; nothing is stored.
		_, err = x.e.StartRuns(x.ctx, []engine.StartRequest{req("k4", "4"), {Workflow: "p", Actor: "user:test"}})
		if !isInvalid(err) || !strings.Contains(err.Error(), "runs[1]") {
			t.Errorf("batch with a missing parameter: %v, want invalid naming runs[1]", err)
		}
		var runs []store.Run
		err = x.s.Read(x.ctx, func(tx store.Tx) (err error) {
			runs, err = tx.Runs().List(x.ctx, store.RunFilter{Limit: 100})
			return err
		})
		if err != nil || len(runs) != 3 {
			t.Errorf("%d runs stored (%v), want 3: the refused batch stored nothing", len(runs), err)
		}
	})
}
