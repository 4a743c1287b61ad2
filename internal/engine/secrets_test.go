package engine_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/secrets"
	"github.com/baton-sched/baton/internal/store"
)

func keyRing(t *testing.T, keys ...string) *secrets.KeyRing {
	t.Helper()
	r, err := secrets.ParseKeys(strings.Join(keys, "\n"))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

const usesSecret = `name: deploy
tasks:
  - name: push
    run: ./push --token "$TOKEN"
    env:
      TOKEN: "${{ secrets.api_token }}"
  - name: notify
    needs: [push]
    http:
      url: https://hooks.example.com/x
      headers: {Authorization: "Bearer ${{ secrets.api_token }}"}
      body: '{"text": "deployed"}'
`

// TestSecretsReachOnlyTheirAttempt: a secret is sealed in the store,
// listed without its value, opened only into the assignment of the
// attempt that uses it (with the values to mask), and its events carry
// its name only.
func TestSecretsReachOnlyTheirAttempt(t *testing.T) {
	const value = "s3cr3t-v4lue"
	eachStore(t, engine.Config{Secrets: keyRing(t, secrets.NewKey())}, func(t *testing.T, x *env) {
		if _, err := x.e.Apply(x.ctx, []engine.Source{{Filename: "d.yaml", Text: []byte(usesSecret)}}, "user:test"); !isInvalid(err) ||
			!strings.Contains(err.Error(), `d.yaml:6`) || !strings.Contains(err.Error(), `secret "api_token" does not exist`) {
			t.Fatalf("apply with an unknown secret: %v", err)
		}
		if wfs := x.workflows(); len(wfs) != 0 {
			t.Fatalf("a refused apply stored %v", wfs)
		}
		if _, err := x.e.SetSecret(x.ctx, "api_token", value, "user:admin"); err != nil {
			t.Fatal(err)
		}
		for name, v := range map[string]string{"1bad": "x", "ok": ""} {
			if _, err := x.e.SetSecret(x.ctx, name, v, "user:admin"); !isInvalid(err) || strings.Contains(err.Error(), value) {
				t.Errorf("SetSecret(%q, %q): %v", name, v, err)
			}
		}
		x.apply(usesSecret)
		x.start("deploy", nil)
		w := x.worker("a", 2)
		push := x.claimOne(w)
		if push.Env["TOKEN"] != value || !slices.Equal(push.Mask, []string{value}) || strings.Contains(push.Command, value) {
			t.Errorf("push: command %q env %v mask %v", push.Command, push.Env, push.Mask)
		}
		x.finish(w, push, store.AttemptSucceeded, nil)
		notify := x.claimOne(w)
		if httpOf(notify.Payload).Headers["Authorization"] != "Bearer "+value || !slices.Equal(notify.Mask, []string{value}) {
			t.Errorf("notify: %+v mask %v", httpOf(notify.Payload), notify.Mask)
		}
		list, err := x.e.Secrets(x.ctx)
		if err != nil || len(list) != 1 || list[0].Name != "api_token" || list[0].CreatedBy != "user:admin" {
			t.Errorf("list: %+v %v", list, err)
		}
		var all []store.Event
		_ = x.s.Read(x.ctx, func(tx store.Tx) (err error) {
			all, err = tx.Events().List(x.ctx, store.EventFilter{Limit: 1000})
			return err
		})
		kinds := map[string]bool{}
		for _, e := range all {
			kinds[e.Kind] = true
			if strings.Contains(e.Reason, value) {
				t.Errorf("event %s holds the value: %q", e.Kind, e.Reason)
			}
		}
		if !kinds["secret.set"] {
			t.Errorf("no secret.set event in %v", kinds)
		}
		// A deleted secret fails the task that needs it, naming it.
		if err := x.e.DeleteSecret(x.ctx, "api_token", "user:admin"); err != nil {
			t.Fatal(err)
		}
		run2 := x.start("deploy", nil)
		if as := x.claim(w, 1); len(as) != 0 {
			t.Fatalf("claimed %+v without its secret", as)
		}
		if task := x.tasks(run2.ID)["push"]; task.State != store.TaskFailed || !strings.Contains(task.Reason, `secret "api_token" does not exist`) {
			t.Errorf("task without its secret: %s %q", task.State, task.Reason)
		}
	})
}

// TestSecretKeyRotation: values sealed under an old key keep opening
// while the ring holds it; RotateSecrets re-seals them under the current
// key, after which a ring without the old key opens them.
func TestSecretKeyRotation(t *testing.T) {
	oldKey, newKey := secrets.NewKey(), secrets.NewKey()
	eachStore(t, engine.Config{}, func(t *testing.T, x *env) {
		before := engine.New(x.s, engine.Config{Secrets: keyRing(t, oldKey)})
		if _, err := x.e.SetSecret(x.ctx, "k", "v", "user:a"); !isInvalid(err) || !strings.Contains(err.Error(), "no secret key") {
			t.Errorf("set without a key ring: %v", err)
		}
		for _, name := range []string{"a", "b"} {
			if _, err := before.SetSecret(x.ctx, name, "value-"+name, "user:a"); err != nil {
				t.Fatal(err)
			}
		}
		during := engine.New(x.s, engine.Config{Secrets: keyRing(t, newKey, oldKey)})
		if _, err := during.SetSecret(x.ctx, "c", "value-c", "user:a"); err != nil {
			t.Fatal(err)
		}
		after := engine.New(x.s, engine.Config{Secrets: keyRing(t, newKey)})
		if rot, err := after.RotateSecrets(x.ctx, "user:a"); err != nil || len(rot.Failed) != 2 || rot.Current != 1 {
			t.Errorf("rotation without the old key: %+v %v, want a and b failed, nothing lost", rot, err)
		}
		rot, err := during.RotateSecrets(x.ctx, "user:a")
		if err != nil || !slices.Equal(rot.Rotated, []string{"a", "b"}) || rot.Current != 1 || len(rot.Failed) != 0 {
			t.Fatalf("rotation: %+v %v", rot, err)
		}
		list, _ := after.Secrets(x.ctx)
		for _, s := range list {
			if s.KeyID != rot.KeyID {
				t.Errorf("secret %s still under key %s", s.Name, s.KeyID)
			}
		}
		def := "name: w\ntasks:\n  - name: t\n    run: env\n    env: {A: \"${{ secrets.a }}\", C: \"${{ secrets.c }}\"}\n"
		if _, err := after.Apply(x.ctx, []engine.Source{{Filename: "w.yaml", Text: []byte(def)}}, "user:a"); err != nil {
			t.Fatal(err)
		}
		if _, err := after.StartRun(x.ctx, engine.StartRequest{Workflow: "w", Actor: "user:a"}); err != nil {
			t.Fatal(err)
		}
		wk, err := after.RegisterWorker(x.ctx, engine.WorkerSpec{Name: "w", Zone: "a", Capacity: 1})
		if err != nil {
			t.Fatal(err)
		}
		as, err := after.Claim(x.ctx, engine.ClaimRequest{WorkerID: wk.ID, Max: 1, FreeCU: 1})
		if err != nil || len(as) != 1 || as[0].Env["A"] != "value-a" || as[0].Env["C"] != "value-c" {
			t.Errorf("claim after rotation with the new key only: %+v %v", as, err)
		}
		if rot, err := after.RotateSecrets(x.ctx, "user:a"); err != nil || len(rot.Rotated) != 0 || rot.Current != 3 {
			t.Errorf("a second rotation: %+v %v", rot, err)
		}
	})
}

func (x *env) workflows() []store.Workflow {
	x.t.Helper()
	var out []store.Workflow
	if err := x.s.Read(x.ctx, func(tx store.Tx) (err error) {
		out, err = tx.Workflows().List(x.ctx, "", 100)
		return err
	}); err != nil && !errors.Is(err, store.ErrNotFound) {
		x.t.Fatal(err)
	}
	return out
}
