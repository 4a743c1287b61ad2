package server_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/client/vocab"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/storetest"
	"github.com/baton-sched/baton/internal/taskkind"
	"github.com/baton-sched/baton/internal/worker"
)

// echoKind is a task kind defined in this file only: the extension point
// of package taskkind is all a kind needs. Its block {text: TEMPLATE} is
// decoded and checked with field paths, rendered by the engine, sent to a
// worker and run there: the attempt writes the text to its log and as
// its output "text".
var echoKind = taskkind.Kind{
	Name: "echo", Block: "echo", Rank: 500,
	Conflict: "an echo task runs no command: give one of run and echo",
	Schema: map[string]json.RawMessage{"echo": json.RawMessage(`{"type": "object", "additionalProperties": false,
		"required": ["text"], "properties": {"text": {"type": "string"}}}`)},
	Decode: func(d taskkind.Decoder, task map[string]any) taskkind.Spec {
		m, ok := task["echo"].(map[string]any)
		if !ok {
			return nil
		}
		b := &echoBlock{}
		b.Text, _ = m["text"].(string)
		if strings.TrimSpace(b.Text) == "" {
			d.Problem(taskkind.P("echo", "text"), "must not be empty")
		}
		return b
	},
	New: func() taskkind.Spec { return &echoBlock{} },
	Prepare: func(r taskkind.Renderer, s taskkind.Spec) (taskkind.Prepared, error) {
		text, err := r.Render(taskkind.P("echo", "text"), s.(*echoBlock).Text)
		return taskkind.Prepared{Payload: echoBlock{Text: text}}, err
	},
	Execute: func(_ context.Context, x taskkind.Execution) taskkind.Result {
		var b echoBlock
		if err := x.Payload(&b); err != nil {
			return taskkind.Result{Failure: err.Error()}
		}
		x.Write("stdout", []byte(b.Text+"\n"))
		return taskkind.Result{Outputs: map[string]string{"text": b.Text}}
	},
	Outputs: []string{"text"},
}

type echoBlock struct {
	Text string `json:"text"`
}

func (b *echoBlock) Templates() []taskkind.Template {
	return []taskkind.Template{{Path: taskkind.P("echo", "text"), Text: b.Text}}
}

func (b *echoBlock) Keys() []taskkind.KeyValue { return []taskkind.KeyValue{{Key: "echo", Value: b}} }

func init() { taskkind.Register(echoKind) }

const echoWorkflow = `name: echoes
params:
  who: world
tasks:
  - name: greet
    echo:
      text: "hello ${{ params.who }}"
  - name: again
    needs: [greet]
    echo: {text: "${{ tasks.greet.outputs.text }}!"}
`

// TestKindExtension: a kind registered from a test file is decoded from
// YAML (its mistakes named with their path and line), dispatched to a
// real worker, run by its Execute and finished, with outputs that later
// tasks' templates read.
func TestKindExtension(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s, engine.Config{})
		_, err := f.c.Apply(f.ctx, []client.SourceFile{{Filename: "bad.yaml",
			Content: "name: bad\ntasks:\n  - name: a\n    run: x\n    echo:\n      text: \" \"\n"}})
		if err == nil || !strings.Contains(err.Error(), "bad.yaml:6: tasks[0].echo.text: must not be empty") ||
			!strings.Contains(err.Error(), "bad.yaml:5: tasks[0].echo: an echo task runs no command") {
			t.Fatalf("apply a bad echo task: %v", err)
		}
		if _, err := f.c.Apply(f.ctx, []client.SourceFile{{Filename: "echoes.yaml", Content: echoWorkflow}}); err != nil {
			t.Fatalf("apply: %v", err)
		}
		run, err := f.c.StartRun(f.ctx, "echoes", client.StartRunRequest{Params: map[string]string{"who": "baton"}})
		if err != nil {
			t.Fatal(err)
		}
		_, join := tokensOf(f.url)
		a, err := worker.New(worker.Config{
			Servers: []string{f.url}, Token: join, Name: "w-echo", Zone: "a", Capacity: 2, WorkDir: t.TempDir(),
			MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, RequestTimeout: 5 * time.Second,
			ClaimWait: time.Second, Logger: slog.New(slog.DiscardHandler),
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		defer a.Stop()
		var detail client.RunDetail
		eventually(t, "the echo run to end", func() bool {
			detail, err = f.c.Run(f.ctx, run.ID)
			return err == nil && detail.Terminal()
		})
		if detail.State != vocab.RunSucceeded || len(detail.Tasks) != 2 {
			t.Fatalf("run %+v, want succeeded", detail)
		}
		for _, task := range detail.Tasks {
			want := map[string]string{"greet": "hello baton", "again": "hello baton!"}[task.Name]
			if task.Outputs["text"] != want {
				t.Errorf("task %s: outputs %v, want text %q", task.Name, task.Outputs, want)
			}
		}
		logs, err := f.c.Logs(f.ctx, run.ID, "greet", 0, 0)
		if err != nil || len(logs.Chunks) == 0 || !strings.Contains(logs.Chunks[0].Data, "hello baton") {
			t.Errorf("logs of greet: %+v %v", logs, err)
		}
	})
}
