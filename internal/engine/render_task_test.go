package engine_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/secrets"
)

const rendersWithSecret = `name: shown
params:
  who: {default: world}
tasks:
  - name: push
    run: ./push "${{ params.who }}" --run ${{ run.id }}
    env:
      TOKEN: "${{ secrets.api_token }}"
      WHO: "${{ params.who }}"
  - name: notify
    needs: [push]
    http:
      url: https://hooks.example.com/${{ tasks.push.outputs.id }}
      headers: {Authorization: "Bearer ${{ secrets.api_token }}"}
      body: '{"who": "${{ params.who }}"}'
`

// TestRenderTask: a task's templates come out expanded (params, run
// fields, upstream outputs) with each secret as its placeholder, never
// its value, and without the engine reading secrets at all: an engine
// without the keys renders them the same.
func TestRenderTask(t *testing.T) {
	const value = "s3cr3t-v4lue"
	eachStore(t, engine.Config{Secrets: keyRing(t, secrets.NewKey())}, func(t *testing.T, x *env) {
		if _, err := x.e.SetSecret(x.ctx, "api_token", value, "user:admin"); err != nil {
			t.Fatal(err)
		}
		x.apply(rendersWithSecret)
		run := x.start("shown", map[string]string{"who": "<b>ann</b>"})
		keyless := engine.New(x.s, engine.Config{})

		push, err := keyless.RenderTask(x.ctx, run.ID, "push", 0)
		if err != nil {
			t.Fatal(err)
		}
		if push.Kind != "shell" || push.Attempt != 1 || push.Problem != "" || !strings.Contains(push.Command, "./push") ||
			push.Env["TOKEN"] != "${{ secrets.api_token }}" || push.Env["WHO"] != "<b>ann</b>" {
			t.Errorf("push rendered %+v", push)
		}
		if !strings.Contains(fmt.Sprint(push.Env), fmt.Sprint(run.ID)) {
			t.Errorf("push's command variables %v lack run.id %d", push.Env, run.ID)
		}
		// notify needs push's output, not written yet.
		notify, err := keyless.RenderTask(x.ctx, run.ID, "notify", 0)
		if err != nil || notify.Kind != "http" || httpOf(notify.Payload) != nil || !strings.Contains(notify.Problem, "tasks.push.outputs.id") {
			t.Errorf("notify before push: %+v %v", notify, err)
		}
		w := x.worker("a", 4)
		x.finish(w, x.claimOne(w), "succeeded", map[string]string{"id": "42"})
		notify, err = keyless.RenderTask(x.ctx, run.ID, "notify", 3)
		if err != nil || httpOf(notify.Payload) == nil || notify.Attempt != 3 || httpOf(notify.Payload).URL != "https://hooks.example.com/42" ||
			httpOf(notify.Payload).Headers["Authorization"] != "Bearer ${{ secrets.api_token }}" || httpOf(notify.Payload).Body != `{"who": "<b>ann</b>"}` {
			t.Errorf("notify rendered %+v %v", notify, err)
		}
		if got := fmt.Sprintf("%+v %+v %+v", push, notify, *httpOf(notify.Payload)); strings.Contains(got, value) {
			t.Errorf("a rendered task holds the secret's value: %s", got)
		}
		for _, tc := range []struct {
			run  int64
			task string
		}{{run.ID, "nope"}, {run.ID + 100, "push"}} {
			if _, err := x.e.RenderTask(x.ctx, tc.run, tc.task, 1); !errors.Is(err, engine.ErrNotFound) {
				t.Errorf("RenderTask(%d, %q): %v, want not found", tc.run, tc.task, err)
			}
		}
	})
}
