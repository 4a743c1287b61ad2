package chaos

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v4"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/workflow"
)

// witnessEnv is the variable that carries a task's own command into the
// witness wrapper (names starting BATON_ are the worker's).
const witnessEnv = "CHAOS_TASK_COMMAND"

// WitnessWrapper is the command that runs a task's own command, passed
// in $CHAOS_TASK_COMMAND, and leaves the evidence ReadWitness reads in
// file: a start line, a tick line every tick while it runs, and an end
// line if the command succeeded. The task's processes die together, so a
// killed or fenced attempt simply stops ticking.
func WitnessWrapper(file string, tick time.Duration) string {
	return fmt.Sprintf(`w='%s'; id="$BATON_RUN_ID $BATON_TASK $BATON_ATTEMPT_ID"; `+
		`echo "start $id $(date +%%s%%3N)" >> "$w"; `+
		`( while :; do sleep %s; echo "tick $id $(date +%%s%%3N)" >> "$w"; done ) >/dev/null 2>&1 & t=$!; `+
		`/bin/sh -c "$%s"; rc=$?; kill $t 2>/dev/null; `+
		`if [ $rc -eq 0 ]; then echo "end $id $(date +%%s%%3N)" >> "$w"; fi; exit $rc`,
		file, strconv.FormatFloat(tick.Seconds(), 'f', -1, 64), witnessEnv)
}

// withWitness rewrites a workflow definition so that every task with a
// command runs it under WitnessWrapper: the command moves to the task's
// env (where templates are rendered as in run) and run becomes the
// wrapper. Noop and http tasks are left alone.
func withWitness(src []byte, file string, tick time.Duration) ([]byte, error) {
	if strings.ContainsAny(file, `'"$\`) {
		return nil, fmt.Errorf("witness file %q: quotes, $ and \\ are not allowed in its path", file)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, fmt.Errorf("read workflow: %w", err)
	}
	if len(doc.Content) == 0 {
		return nil, errors.New("read workflow: empty document")
	}
	root := resolve(doc.Content[0])
	tasks := mapValue(root, "tasks")
	if tasks == nil || tasks.Kind != yaml.SequenceNode {
		return nil, errors.New("read workflow: no tasks")
	}
	wrapper := WitnessWrapper(file, tick)
	for i, t := range tasks.Content {
		t = resolve(t)
		run := mapValue(t, "run")
		if run == nil || run.Kind != yaml.ScalarNode {
			continue
		}
		env := mapValue(t, "env")
		if env == nil {
			env = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			t.Content = append(t.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "env"}, env)
		} else if mapValue(env, witnessEnv) != nil {
			return nil, fmt.Errorf("tasks[%d].env.%s: the harness needs this variable", i, witnessEnv)
		}
		env.Content = append(env.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: witnessEnv},
			&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: run.Value})
		*run = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: wrapper, Line: run.Line}
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		return nil, fmt.Errorf("write workflow: %w", err)
	}
	return out, nil
}

// variantKey names a workflow of the workload: its file, and its new name
// and number of tasks when they are changed.
func variantKey(file, as string, tasks int) string {
	key := file
	if as != "" {
		key += " as " + as
	}
	if tasks > 0 {
		key += fmt.Sprintf(" with %d tasks", tasks)
	}
	return key
}

// expandWorkflow renames a workflow definition to as and makes it of
// tasks copies of its first task, named NAME-1 ... NAME-N, none waiting
// on another; an empty as and zero tasks leave it as it is.
func expandWorkflow(src []byte, as string, tasks int) ([]byte, error) {
	if as == "" && tasks == 0 {
		return src, nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, fmt.Errorf("read workflow: %w", err)
	}
	if len(doc.Content) == 0 {
		return nil, errors.New("read workflow: empty document")
	}
	root := resolve(doc.Content[0])
	if as != "" {
		name := mapValue(root, "name")
		if name == nil {
			return nil, errors.New("read workflow: no name")
		}
		name.Value = as
	}
	if tasks > 0 {
		list := mapValue(root, "tasks")
		if list == nil || list.Kind != yaml.SequenceNode || len(list.Content) == 0 {
			return nil, errors.New("read workflow: no task to copy")
		}
		first := resolve(list.Content[0])
		base := mapValue(first, "name")
		if base == nil {
			return nil, errors.New("read workflow: the first task has no name")
		}
		copies := make([]*yaml.Node, tasks)
		for i := range copies {
			t := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			for j := 0; j+1 < len(first.Content); j += 2 {
				k, v := first.Content[j], first.Content[j+1]
				switch k.Value {
				case "needs":
					continue
				case "name":
					v = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: fmt.Sprintf("%s-%d", base.Value, i+1)}
				}
				t.Content = append(t.Content, k, v)
			}
			copies[i] = t
		}
		list.Content = copies
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		return nil, fmt.Errorf("write workflow: %w", err)
	}
	return out, nil
}

// mapValue returns the value of key in mapping n, or nil.
func mapValue(n *yaml.Node, key string) *yaml.Node {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return resolve(n.Content[i+1])
		}
	}
	return nil
}

// applyWorkload applies every workflow of the workload once, each task
// wrapped to write to the witness file; those of loads that expect a
// refusal are applied at their time instead.
func applyWorkload(ctx context.Context, api *client.Client, sc *Scenario, witness string) error {
	var files []client.SourceFile
	var seen []string
	for _, l := range sc.Workload {
		key := variantKey(l.Path, l.As, l.Tasks)
		if slices.Contains(seen, key) || l.Refused != "" {
			continue
		}
		seen = append(seen, key)
		f, err := witnessFile(l, witness, sc.WitnessTick)
		if err != nil {
			return err
		}
		files = append(files, f)
	}
	return retry(ctx, 30*time.Second, func(ctx context.Context) error {
		_, err := api.Apply(ctx, files)
		return err
	})
}

// witnessFile is the workflow file of a load as applied: expanded and
// wrapped to write to the witness file.
func witnessFile(l Load, witness string, tick time.Duration) (client.SourceFile, error) {
	src, err := os.ReadFile(l.Path)
	if err != nil {
		return client.SourceFile{}, fmt.Errorf("read workflow: %w", err)
	}
	if src, err = expandWorkflow(src, l.As, l.Tasks); err != nil {
		return client.SourceFile{}, fmt.Errorf("%s: %w", l.Path, err)
	}
	wrapped, err := withWitness(src, witness, tick)
	if err != nil {
		return client.SourceFile{}, fmt.Errorf("%s: %w", l.Path, err)
	}
	if _, err := workflow.Parse(l.Path, wrapped); err != nil {
		return client.SourceFile{}, fmt.Errorf("%s with the witness: %w", l.Path, err)
	}
	name := filepath.Base(l.Path)
	if l.As != "" {
		name = l.As + ".yaml"
	}
	return client.SourceFile{Filename: name, Content: string(wrapped)}, nil
}

// Refusal is what became of a load that expects its request refused.
type Refusal struct {
	Load   int    `json:"load"`
	Limit  string `json:"limit"`
	Status int    `json:"status"`
	Error  string `json:"error,omitempty"`
	// Step is the request refused: "apply" or "start"; empty when
	// neither was.
	Step string `json:"step,omitempty"`
}

// refuse carries out a load that expects a refusal: the apply of its
// workflow, then one request starting all its runs.
func (w *workload) refuse(ctx context.Context, i int) {
	l := w.sc.Workload[i]
	if sleepUntil(ctx, w.t0.Add(l.At)) != nil {
		return
	}
	out := Refusal{Load: i, Limit: l.Refused}
	defer func() {
		w.mu.Lock()
		w.refusals = append(w.refusals, out)
		w.mu.Unlock()
	}()
	note := func(step string, err error) bool {
		if err == nil {
			return false
		}
		out.Step, out.Status, out.Error = step, client.StatusOf(err), err.Error()
		return true
	}
	f, err := witnessFile(l, w.witness, w.sc.WitnessTick)
	if err != nil {
		out.Error = err.Error()
		return
	}
	if note("apply", retry(ctx, 30*time.Second, func(ctx context.Context) error {
		_, err := w.api.Apply(ctx, []client.SourceFile{f})
		return err
	})) || l.Runs == 0 {
		return
	}
	reqs := make([]client.StartRunRequest, l.Runs)
	for n := range reqs {
		reqs[n] = client.StartRunRequest{Params: l.Params, Priority: l.Priority,
			IdempotencyKey: fmt.Sprintf("chaos-%s-%d-%d", w.nonce, i, n)}
	}
	var runs []client.Run
	if !note("start", retry(ctx, 30*time.Second, func(ctx context.Context) (err error) {
		runs, err = w.api.StartRuns(ctx, l.Definition.Name, reqs)
		return err
	})) {
		w.record(i, l.Definition.Name, nil, runs...)
	}
}

// startedRun is a run the workload started.
type startedRun struct {
	ID       int64
	Workflow string
	Load     int
}

// workload starts the runs of a scenario on its timeline.
type workload struct {
	api   *client.Client
	sc    *Scenario
	t0    time.Time
	nonce string

	// witness is the witness file, for the workflows applied late.
	witness string

	mu       sync.Mutex
	runs     []startedRun
	errs     []error
	refusals []Refusal
}

// start starts load i's runs from its offset on, at its rate.
func (w *workload) start(ctx context.Context, i int) {
	l := w.sc.Workload[i]
	if l.Refused != "" {
		w.refuse(ctx, i)
		return
	}
	if l.Runs == 0 || sleepUntil(ctx, w.t0.Add(l.At)) != nil {
		return
	}
	req := func(n int) client.StartRunRequest {
		return client.StartRunRequest{Params: l.Params, Priority: l.Priority,
			IdempotencyKey: fmt.Sprintf("chaos-%s-%d-%d", w.nonce, i, n)}
	}
	name := l.Definition.Name
	if l.Rate == 0 {
		batch := cmp.Or(l.Batch, defaultBatch)
		for from := 0; from < l.Runs; from += batch {
			reqs := make([]client.StartRunRequest, 0, min(batch, l.Runs-from))
			for n := from; n < min(from+batch, l.Runs); n++ {
				reqs = append(reqs, req(n))
			}
			var runs []client.Run
			err := retry(ctx, 30*time.Second, func(ctx context.Context) (err error) {
				runs, err = w.api.StartRuns(ctx, name, reqs)
				return err
			})
			w.record(i, name, err, runs...)
		}
		return
	}
	interval := time.Duration(float64(time.Second) / l.Rate)
	for n := range l.Runs {
		if sleepUntil(ctx, w.t0.Add(l.At+time.Duration(n)*interval)) != nil {
			return
		}
		var run client.Run
		err := retry(ctx, 30*time.Second, func(ctx context.Context) (err error) {
			run, err = w.api.StartRun(ctx, name, req(n))
			return err
		})
		if err != nil {
			w.record(i, name, err)
			continue
		}
		w.record(i, name, nil, run)
	}
}

func (w *workload) record(load int, name string, err error, runs ...client.Run) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil {
		w.errs = append(w.errs, fmt.Errorf("workload[%d]: start runs of %s: %w", load, name, err))
	}
	for _, r := range runs {
		w.runs = append(w.runs, startedRun{ID: r.ID, Workflow: name, Load: load})
	}
}

// started returns the runs started so far.
func (w *workload) started() []startedRun {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.runs)
}

// retry calls f until it succeeds, fails with an error the API will give
// again (4xx) or timeout passes; each call gets its own short deadline,
// so that a frozen server costs one call, not the whole budget.
func retry(ctx context.Context, timeout time.Duration, f func(context.Context) error) error {
	deadline := time.Now().Add(timeout)
	for {
		callCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := f(callCtx)
		cancel()
		if status := client.StatusOf(err); err == nil || status >= 400 && status < 500 || ctx.Err() != nil {
			return err
		}
		if time.Now().After(deadline) {
			return err
		}
		if werr := client.Wait(ctx, 250*time.Millisecond); werr != nil { // poll interval
			return err
		}
	}
}

// sleepUntil waits until t or until ctx ends.
func sleepUntil(ctx context.Context, t time.Time) error {
	if d := time.Until(t); d > 0 {
		return client.Wait(ctx, d)
	}
	return ctx.Err()
}
