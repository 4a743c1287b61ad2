package engine_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store"
)

const etlV1 = `name: etl
params:
  day: {default: "d0"}
tasks:
  - {name: extract, run: "extract ${{ params.day }}"}
  - {name: transform, run: "broken ${{ tasks.extract.outputs.file }}", needs: [extract]}
  - {name: load, run: "load", needs: [transform]}
  - {name: audit, run: "audit"}
`

// etlV2 fixes transform, adds report and removes audit.
const etlV2 = `name: etl
params:
  day: {default: "d0"}
tasks:
  - {name: extract, run: "extract ${{ params.day }}"}
  - {name: transform, run: "fixed ${{ params.day }} ${{ tasks.extract.outputs.file }}", needs: [extract]}
  - {name: load, run: "load", needs: [transform]}
  - {name: report, run: "report", needs: [load]}
`

// playETL claims and ends tasks until none is claimable: tasks whose
// command starts with "broken" fail, extract writes an output. It returns
// the commands run, by task.
func (x *env) playETL(w store.Worker) map[string]string {
	x.t.Helper()
	ran := map[string]string{}
	for {
		as := x.claim(w, 100)
		if len(as) == 0 {
			return ran
		}
		for _, a := range as {
			ran[a.Task] = shellView(a)
			state, out := store.AttemptSucceeded, map[string]string(nil)
			if strings.HasPrefix(ran[a.Task], "broken") {
				state = store.AttemptFailed
			}
			if a.Task == "extract" {
				out = map[string]string{"file": "/data/x.csv"}
			}
			x.finish(w, a, state, out)
		}
	}
}

func TestRerunOnLatestVersion(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply(etlV1)
		w := x.worker("z1", 100)
		old := x.start("etl", map[string]string{"day": "d1"})
		x.playETL(w)
		wantState(t, "run on version 1", x.run(old.ID).State, store.RunFailed)

		if _, err := x.e.RecoverRun(x.ctx, old.ID, engine.Recovery{Failed: true, Latest: true}); err != nil {
			t.Fatalf("rerun --latest with version 1 still latest: %v", err)
		}
		x.playETL(w) // the broken transform fails again
		x.apply(etlV2)
		rec, err := x.e.RecoverRun(x.ctx, old.ID, engine.Recovery{Failed: true, Latest: true, Actor: "user:test"})
		if err != nil {
			t.Fatalf("rerun --latest: %v", err)
		}
		if rec.Run.ID == old.ID || rec.RerunOf != old.ID || rec.Run.Version != 2 || rec.Run.Params != `{"day":"d1"}` {
			t.Errorf("rerun --latest = run %d (rerun of %d) on version %d with %s; want a new run of run %d on version 2 with day d1",
				rec.Run.ID, rec.RerunOf, rec.Run.Version, rec.Run.Params, old.ID)
		}
		if !slices.Equal(rec.Carried, []string{"extract"}) || !slices.Equal(rec.Dropped, []string{"audit"}) ||
			!slices.Equal(slices.Sorted(slices.Values(rec.Rerun)), []string{"load", "report", "transform"}) {
			t.Errorf("carried %v, dropped %v, rerun %v; want [extract], [audit], [load report transform]",
				rec.Carried, rec.Dropped, rec.Rerun)
		}
		ran := x.playETL(w)
		if _, again := ran["extract"]; again || ran["transform"] != "fixed d1 /data/x.csv" || ran["report"] == "" {
			t.Errorf("the new run ran %v; want extract carried (not run), the fixed transform reading its output, report added", ran)
		}
		wantState(t, "rerun on version 2", x.run(rec.Run.ID).State, store.RunSucceeded)
		if r := x.run(old.ID); r.State != store.RunFailed || r.Version != 1 {
			t.Errorf("the old run is now %s on version %d, want it left failed on version 1", r.State, r.Version)
		}
		if tk := x.tasks(rec.Run.ID)["extract"]; tk.State != store.TaskSucceeded || !strings.Contains(tk.Outputs, "/data/x.csv") {
			t.Errorf("carried extract = %s with outputs %q, want succeeded with the old outputs", tk.State, tk.Outputs)
		}
		if n := len(x.events(old.ID, "run.rerun")); n != 2 {
			t.Errorf("run.rerun events on the old run = %d, want 2", n)
		}
	})
}

func TestRerunWithParams(t *testing.T) {
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		x.apply(etlV2)
		w := x.worker("z1", 100)
		old := x.start("etl", map[string]string{"day": "d1"})
		active, err := x.e.RecoverRun(x.ctx, old.ID, engine.Recovery{Failed: true, Params: map[string]string{"day": "d2"}})
		if !errors.Is(err, engine.ErrRunActive) {
			t.Errorf("rerun -p of an active run = %+v, %v; want ErrRunActive", active, err)
		}
		x.playETL(w)
		wantState(t, "first run", x.run(old.ID).State, store.RunSucceeded)
		_, err = x.e.RecoverRun(x.ctx, old.ID, engine.Recovery{Failed: true, Params: map[string]string{"dya": "d2"}})
		if !isInvalid(err) || !strings.Contains(err.Error(), `unknown parameter "dya" (did you mean "day"?)`) {
			t.Errorf("rerun with an unknown param: %v, want it refused", err)
		}
		_, err = x.e.RecoverRun(x.ctx, old.ID, engine.Recovery{Failed: true, Params: map[string]string{"day": "d2"}})
		if !isInvalid(err) || !strings.Contains(err.Error(), "nothing to run again") {
			t.Errorf("rerun -p of a run that succeeded, from failed: %v, want nothing to run again", err)
		}
		rec, err := x.e.RecoverRun(x.ctx, old.ID, engine.Recovery{From: "extract", Params: map[string]string{"day": "d2"}})
		if err != nil {
			t.Fatalf("rerun --from extract -p day=d2: %v", err)
		}
		if rec.Run.Params != `{"day":"d2"}` || rec.Run.Version != 1 || len(rec.Carried) != 0 || len(rec.Rerun) != 4 {
			t.Errorf("rerun -p = %+v, want a new run on version 1 with day d2 running all 4 tasks", rec)
		}
		if ran := x.playETL(w); ran["extract"] != "extract d2" || ran["transform"] != "fixed d2 /data/x.csv" {
			t.Errorf("rerun -p ran %v, want day d2", ran)
		}
		if _, err := x.e.RecoverRun(x.ctx, old.ID, engine.Recovery{Mark: "load", MarkState: store.TaskSkipped,
			Params: map[string]string{"day": "d2"}}); !isInvalid(err) {
			t.Errorf("mark with params: %v, want refused", err)
		}
	})
}
