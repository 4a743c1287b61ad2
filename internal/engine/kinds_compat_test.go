package engine_test

import (
	"bytes"
	"encoding/json"
	"os"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/client/vocab"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/secrets"
	"github.com/baton-sched/baton/internal/store"
)

// TestStoredDefinitionOfEveryKind: a definition with a task of every kind,
// as versions were stored before task kinds were one extension point
// (internal/workflow/testdata/kinds_compat.*), applies unchanged beside
// its YAML (same digest) and runs: each kind's assignment is what it was.
func TestStoredDefinitionOfEveryKind(t *testing.T) {
	stored, err := os.ReadFile("../workflow/testdata/kinds_compat.definition.json")
	if err != nil {
		t.Fatal(err)
	}
	yamlSrc, err := os.ReadFile("../workflow/testdata/kinds_compat.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const token, dsn = "t0ken-value", "postgres://u:pw@db.example/w"
	eachStore(t, engine.Config{Secrets: keyRing(t, secrets.NewKey())}, func(t *testing.T, x *env) {
		for name, v := range map[string]string{"api_token": token, "warehouse": dsn} {
			if _, err := x.e.SetSecret(x.ctx, name, v, "user:admin"); err != nil {
				t.Fatal(err)
			}
		}
		x.apply("name: nightly\ntasks:\n  - {name: n, noop: true}\n")
		if a := x.apply(string(stored)); !a.Changed || a.Version.Version != 1 || a.Version.Spec != string(mustCompact(t, stored)) {
			t.Fatalf("apply the stored definition: %+v", a)
		}
		if a := x.apply(string(yamlSrc)); a.Changed {
			t.Errorf("its YAML source applies as a new version: %+v", a)
		}
		run := x.start("compat", nil)
		w := x.worker("a", 10)
		extract := x.claimOne(w)
		if extract.Kind != vocab.KindShell || extract.Env["TOKEN"] != token || !slices.Equal(extract.Mask, []string{token}) {
			t.Errorf("extract: %+v", extract)
		}
		x.finish(w, extract, store.AttemptSucceeded, map[string]string{"id": "42"})
		byTask := map[string]engine.Assignment{}
		as, err := x.e.Claim(x.ctx, engine.ClaimRequest{WorkerID: w.ID, Max: 10, FreeCU: w.Capacity, Kinds: vocab.WorkerKinds})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range as {
			byTask[a.Task] = a
		}
		if join := byTask["join"]; join.Kind != vocab.KindNoop || join.Payload != nil || join.Mask != nil {
			t.Errorf("join: %+v", join)
		}
		load := byTask["load"]
		wantSQL := &client.SQLRequest{DSN: dsn, MaxRows: 5, Statements: []client.SQLStatement{{Query: "SELECT 1"},
			{Query: "INSERT INTO t VALUES ($1)", Params: []string{"42"}}}}
		if diff := cmp.Diff(wantSQL, sqlOf(load.Payload)); diff != "" || load.Kind != vocab.KindSQL || !slices.Equal(load.Mask, []string{dsn}) {
			t.Errorf("load (mask %q) (-want +got):\n%s", load.Mask, diff)
		}
		x.finish(w, byTask["join"], store.AttemptSucceeded, nil)
		notify := x.claimOne(w)
		wantHTTP := &client.HTTPRequest{Method: "POST", URL: "https://hooks.example.com/42",
			Headers: map[string]string{"Authorization": "Bearer " + token}, Body: `{"day": "2026-01-01"}`, ExpectStatus: []int{200, 201}}
		if diff := cmp.Diff(wantHTTP, httpOf(notify.Payload)); diff != "" || notify.Timeout.Seconds() != 10 {
			t.Errorf("notify (timeout %v) (-want +got):\n%s", notify.Timeout, diff)
		}
		child, err := x.e.RenderTask(x.ctx, run.ID, "child", 1)
		if params, _ := child.Payload.(map[string]string); err != nil || child.Kind != vocab.KindWorkflow || params["day"] != "2026-01-01" {
			t.Errorf("child rendered: %+v %v", child, err)
		}
	})
}

func mustCompact(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}
