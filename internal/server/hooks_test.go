package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/baton-sched/baton/client"
	"github.com/baton-sched/baton/internal/auth"
	"github.com/baton-sched/baton/internal/engine"
	"github.com/baton-sched/baton/internal/server"
	"github.com/baton-sched/baton/internal/store"
	"github.com/baton-sched/baton/internal/store/storetest"
)

const hookedWorkflow = "name: hooked\nparams: {day: null, n: 1}\non: {webhook: true}\n" +
	"tasks:\n  - name: t\n    run: echo ${{ trigger.params.day }}\n"

// hookCall posts body to a workflow's webhook with token ("" sends none).
func hookCall(t *testing.T, url, workflow, token, body string, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/api/v1/hooks/"+workflow, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestWebhook(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s store.Store) {
		e := engine.New(s, engine.Config{})
		srv := server.New(e, server.Config{})
		ts := httptest.NewServer(srv.Handler())
		t.Cleanup(func() { ts.Close(); srv.Stop() })
		ctx := context.Background()
		admin := mustToken(t, s, "editor", auth.RoleEditor)
		c, err := client.New([]string{ts.URL}, client.WithToken(admin))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Apply(ctx, []client.SourceFile{{Filename: "hooked.yaml", Content: hookedWorkflow},
			{Filename: "other.yaml", Content: "name: other\non: {webhook: true}\ntasks: [{name: t, run: t}]\n"}}); err != nil {
			t.Fatal(err)
		}
		runs := func() int {
			page, err := c.Runs(ctx, client.RunFilter{Workflow: "hooked", Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			return len(page.Items)
		}

		// A viewer cannot make a webhook token.
		viewer, err := client.New([]string{ts.URL}, client.WithToken(mustToken(t, s, "viewer", auth.RoleViewer)))
		if err != nil {
			t.Fatal(err)
		}
		var apiErr *client.Error
		if _, err := viewer.CreateWebhookToken(ctx, "hooked"); !errors.As(err, &apiErr) || apiErr.Status != http.StatusForbidden {
			t.Fatalf("viewer creating a webhook token: %v, want 403", err)
		}
		tok, err := c.CreateWebhookToken(ctx, "hooked")
		if err != nil || !strings.HasPrefix(tok.Token, auth.SecretPrefix) || tok.Path != "/api/v1/hooks/hooked" {
			t.Fatalf("create webhook token: %+v, %v", tok, err)
		}
		otherTok, err := c.CreateWebhookToken(ctx, "other")
		if err != nil {
			t.Fatal(err)
		}

		good := `{"day": "2026-12-06", "n": 2}`
		for _, tc := range []struct {
			name, workflow, token string
		}{
			{"no token", "hooked", ""},
			{"bad token", "hooked", auth.SecretPrefix + strings.Repeat("x", 43)},
			{"a user's token", "hooked", admin},
			{"another workflow's token", "hooked", otherTok.Token},
			{"unknown workflow", "nope", tok.Token},
		} {
			if code, body := hookCall(t, ts.URL, tc.workflow, tc.token, good); code != http.StatusUnauthorized {
				t.Errorf("%s: %d %s, want 401", tc.name, code, body)
			}
		}
		for _, tc := range []struct{ name, body, field string }{
			{"missing param", `{"n": 2}`, "day"},
			{"unknown param", `{"day": "d", "dya": 1}`, "dya"},
			{"not a scalar", `{"day": ["d"]}`, "day"},
			{"not an object", `[1]`, "body"},
		} {
			code, body := hookCall(t, ts.URL, "hooked", tok.Token, tc.body)
			if code != http.StatusUnprocessableEntity || !strings.Contains(body, tc.field) {
				t.Errorf("%s: %d %s, want 422 naming %s", tc.name, code, body, tc.field)
			}
		}
		if code, _ := hookCall(t, ts.URL, "hooked", tok.Token, `{"day": "`+strings.Repeat("x", 1<<20)+`"}`); code != http.StatusRequestEntityTooLarge {
			t.Errorf("huge body: %d, want 413", code)
		}
		if n := runs(); n != 0 {
			t.Fatalf("%d runs after refused calls, want 0", n)
		}

		code, body := hookCall(t, ts.URL, "hooked", tok.Token, good, "Idempotency-Key", "k1")
		var started client.WebhookStarted
		if err := json.Unmarshal([]byte(body), &started); code != http.StatusAccepted || err != nil || started.RunID == 0 || !started.Created {
			t.Fatalf("good call: %d %s", code, body)
		}
		code, body = hookCall(t, ts.URL, "hooked", tok.Token, good, "Idempotency-Key", "k1")
		var again client.WebhookStarted
		if err := json.Unmarshal([]byte(body), &again); code != http.StatusAccepted || err != nil || again.RunID != started.RunID || again.Created {
			t.Fatalf("repeated call: %d %s, want run %d again", code, body, started.RunID)
		}
		run, err := c.Run(ctx, started.RunID)
		if err != nil || run.Params["day"] != "2026-12-06" || run.Params["n"] != "2" {
			t.Fatalf("run %+v, %v: want the body's params", run, err)
		}

		// Rotation: the old token stops working at once.
		newTok, err := c.CreateWebhookToken(ctx, "hooked")
		if err != nil {
			t.Fatal(err)
		}
		if code, _ := hookCall(t, ts.URL, "hooked", tok.Token, good); code != http.StatusUnauthorized {
			t.Errorf("old token after rotation: %d, want 401", code)
		}
		if code, body := hookCall(t, ts.URL, "hooked", newTok.Token, good); code != http.StatusAccepted {
			t.Errorf("new token: %d %s, want 202", code, body)
		}
		if err := c.DeleteWebhookToken(ctx, "hooked"); err != nil {
			t.Fatal(err)
		}
		if code, _ := hookCall(t, ts.URL, "hooked", newTok.Token, good); code != http.StatusUnauthorized {
			t.Errorf("deleted token: %d, want 401", code)
		}
		if n := runs(); n != 2 {
			t.Errorf("%d runs, want 2", n)
		}
	})
}
